"""Waiting for Ctrl-C (SIGINT) or SIGTERM in a command that serves until stopped.

``StopSignals`` is entered before anything can answer a client, so a signal
sent as soon as the first answer arrives is never lost; ``wait()`` then blocks
the main thread until one comes.

Why not ``KeyboardInterrupt`` out of ``serve_forever``: CPython 3.11 can leave
a SIGINT pending for good when the kernel hands it to another thread (a
request handler, a BLAS worker) and that thread then recomputes the
interpreter's "something to do" flag, so the main thread's select loop never
looks (the emulator ignored Ctrl-C about once in 40 runs on a loaded machine).
Python's C-level handler writes every signal to the wakeup fd from whichever
thread it runs on, so a select on that fd always wakes.

>>> import os, signal
>>> with StopSignals() as stop:
...     os.kill(os.getpid(), signal.SIGTERM)
...     stop.wait()
'SIGTERM'
"""

from __future__ import annotations

import select
import signal
import socket
import threading
from types import FrameType, TracebackType
from typing import Any

__all__ = ["StopSignals"]

_STOPS = (signal.SIGINT, signal.SIGTERM)


def _ignore(number: int, frame: FrameType | None) -> None:
    """The Python-level handler while waiting: the wakeup fd carries the news."""


class StopSignals:
    """SIGINT and SIGTERM turned into a wait, in the main thread (see the module)."""

    def __init__(self) -> None:
        self._wake: socket.socket | None = None
        self._notify: socket.socket | None = None
        self._previous: dict[int, Any] = {}
        self._old_fd = -1

    def __enter__(self) -> StopSignals:
        self._wake, self._notify = socket.socketpair()
        self._notify.setblocking(False)
        self._previous = {number: signal.signal(number, _ignore) for number in _STOPS}
        self._old_fd = signal.set_wakeup_fd(self._notify.fileno(), warn_on_full_buffer=False)
        return self

    def wait(self) -> str:
        """Block until SIGINT or SIGTERM arrives; the name of the one that did."""
        assert self._wake is not None, "wait() outside the with block"
        while True:
            select.select([self._wake], [], [])
            for number in self._wake.recv(64):
                if number in _STOPS:
                    return signal.Signals(number).name

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # The Python-level handler of a signal already read may still be
        # pending, for the reason above; run it now, while it is the no-op,
        # not after the restore (it would raise KeyboardInterrupt there).
        # pthread_kill runs pending handlers after sending; signal 0 sends nothing.
        signal.pthread_kill(threading.get_ident(), 0)
        signal.set_wakeup_fd(self._old_fd)
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        for sock in (self._wake, self._notify):
            if sock is not None:
                sock.close()
        self._wake = self._notify = None
