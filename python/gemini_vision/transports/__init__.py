"""Transports: what carries requests built by the sans-I/O core to a server (X1, X2).

* ``Transport`` / ``AsyncTransport`` -- the protocol: one method, ``send``;
  ``stream`` is optional (see ``base.open_stream``).
* ``UrllibTransport`` -- standard library, the default; ``AsyncUrllibTransport``
  runs it in worker threads.
* ``HttpxTransport`` / ``AsyncHttpxTransport`` -- over httpx (extra ``httpx``).
* ``RecordingTransport`` / ``ReplayTransport`` and their ``Async`` twins --
  cassettes for tests and benchmarks, secrets scrubbed.

httpx is imported only when an httpx transport is made.

>>> from gemini_vision.transports import Transport, UrllibTransport
>>> isinstance(UrllibTransport(), Transport)
True
"""

from __future__ import annotations

from gemini_vision.transports.base import (
    AsyncStreamingResponse,
    AsyncTransport,
    StreamingResponse,
    Transport,
    aopen_stream,
    open_stream,
)
from gemini_vision.transports.cassette import (
    AsyncRecordingTransport,
    AsyncReplayTransport,
    RecordingTransport,
    ReplayTransport,
)
from gemini_vision.transports.httpx_transport import AsyncHttpxTransport, HttpxTransport
from gemini_vision.transports.threaded import AsyncUrllibTransport, ThreadedAsyncTransport
from gemini_vision.transports.urllib_transport import UrllibTransport

__all__ = [
    "AsyncHttpxTransport",
    "AsyncRecordingTransport",
    "AsyncReplayTransport",
    "AsyncStreamingResponse",
    "AsyncTransport",
    "AsyncUrllibTransport",
    "HttpxTransport",
    "RecordingTransport",
    "ReplayTransport",
    "StreamingResponse",
    "ThreadedAsyncTransport",
    "Transport",
    "UrllibTransport",
    "aopen_stream",
    "open_stream",
]
