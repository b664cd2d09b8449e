"""Command-line subcommands for files, tuning and the emulator (C6).

* ``gemini-vision emulator [--port N] [--api-key KEY]`` serves the emulator on
  127.0.0.1 until interrupted, printing the base URL and key to use.

Progress goes to stderr (a redrawn bar on a terminal, a line per 10 % step
otherwise); results go to stdout as JSON.

>>> import io
>>> bar = ProgressBar("upload", total=200, stream=io.StringIO(), interactive=False)
>>> bar.update(100); bar.update(200); bar.stream.getvalue().splitlines()
['upload  50% 100/200', 'upload 100% 200/200']
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

__all__ = ["ProgressBar", "register"]

EXIT_OK = 0
EXIT_FAILED = 1


class ProgressBar:
    """A one-line text progress bar (``interactive``: redrawn; else 10 % steps as lines)."""

    def __init__(
        self,
        label: str,
        total: int | None,
        *,
        stream: TextIO | None = None,
        interactive: bool | None = None,
        width: int = 30,
    ) -> None:
        self.label = label
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.width = width
        self._last_decile = -1

    def update(self, done: int, total: int | None = None, note: str = "") -> None:
        """Show ``done`` of ``total`` (``note`` is appended, e.g. the loss)."""
        if total is not None:
            self.total = total
        percent = 0 if not self.total else min(100, int(100 * done / self.total))
        counts = f"{done}/{self.total}" if self.total is not None else str(done)
        tail = f" {note}" if note else ""
        if self.interactive:
            filled = self.width * percent // 100
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {percent:3d}% {counts}{tail}")
            if percent >= 100:
                self.stream.write("\n")
        elif percent // 10 > self._last_decile:
            self._last_decile = percent // 10
            self.stream.write(f"{self.label} {percent:3d}% {counts}{tail}\n")
        self.stream.flush()


def _cmd_emulator(args: argparse.Namespace) -> int:
    from gemini_vision.testing import Emulator

    emulator = Emulator(
        port=args.port,
        api_key=args.api_key,
        file_processing_polls=args.processing_polls,
        tuning_polls=args.tuning_polls,
    )
    print(f"gemini-vision emulator on {emulator.base_url}", flush=True)
    print(f"  api key: {args.api_key}   (send it as x-goog-api-key)", flush=True)
    print("  stop with Ctrl-C", flush=True)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return EXIT_OK


def register(sub: Any) -> None:
    """Add the ``emulator`` subcommand to ``cli.py``'s parser."""
    emulator = sub.add_parser("emulator", help="run the Gemini API emulator on a loopback port")
    emulator.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    emulator.add_argument("--api-key", default="emulator-key", help="the key clients must send")
    emulator.add_argument(
        "--processing-polls", type=int, default=1, help="gets before an uploaded file is ACTIVE"
    )
    emulator.add_argument(
        "--tuning-polls", type=int, default=3, help="operation polls before a tuning job is done"
    )
    emulator.set_defaults(func=_cmd_emulator)
