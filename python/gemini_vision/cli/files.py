"""Command-line subcommands for files, tuning and the emulator (C6).

* ``gemini-vision emulator [--port N] [--api-key KEY]`` serves the emulator on
  127.0.0.1 until interrupted (Ctrl-C, or SIGTERM), printing the base URL and
  key to use;
* ``gemini-vision upload FILE`` uploads with the resumable protocol, with a
  progress bar of the bytes the server acknowledged, and waits for ``ACTIVE``;
* ``gemini-vision tune EXAMPLES.jsonl --base-model M`` creates a tuned model
  from ``{"text_input": ..., "output": ...}`` lines and follows the operation
  with a progress bar of the tuning steps.

Progress goes to stderr (a redrawn bar on a terminal, a line per 10 % step
otherwise); results go to stdout as JSON (indented; with ``--json`` on one
line). With ``--json`` the emulator prints its base URL and key as one JSON
line. A malformed examples file is bad input (exit code 3).

>>> import io
>>> bar = ProgressBar("upload", total=200, stream=io.StringIO(), interactive=False)
>>> bar.update(100); bar.update(200); bar.stream.getvalue().splitlines()
['upload  50% 100/200', 'upload 100% 200/200']
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, TextIO

from gemini_vision.cli.output import InputError
from gemini_vision.cli.stop_signals import StopSignals

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
    # Signals are caught before the URL is printed: a client may answer at once.
    with StopSignals() as stop:
        emulator.start()
        try:
            if getattr(args, "json", False):
                # One document, then the server runs until interrupted.
                document = {"base_url": emulator.base_url, "api_key": args.api_key}
                print(json.dumps(document), flush=True)
            else:
                print(f"gemini-vision emulator on {emulator.base_url}", flush=True)
                print(f"  api key: {args.api_key}   (send it as x-goog-api-key)", flush=True)
                print("  stop with Ctrl-C", flush=True)
            stop.wait()
        finally:
            emulator.stop()
    return EXIT_OK


def _client(args: argparse.Namespace) -> Any:
    from gemini_vision.client import Client

    # The key comes from GEMINI_API_KEY (never from the command line, where it would
    # be visible in the process list and the shell history).
    return Client(base_url=args.base_url) if args.base_url else Client()


def _cmd_upload(args: argparse.Namespace) -> int:
    client = _client(args)
    bar = ProgressBar(f"upload {os.path.basename(args.file)}", total=None)
    file = client.upload_file(
        args.file,
        mime_type=args.mime_type,
        display_name=args.display_name,
        on_progress=lambda done, total: bar.update(done, total),
    )
    if args.wait:
        file = client.wait_for_file(file, timeout=args.timeout)
    print(json.dumps(file.to_json(), indent=None if getattr(args, "json", False) else 2))
    return EXIT_OK


def _read_examples(path: str) -> list[tuple[str, str]]:
    pairs = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                pairs.append((str(item["text_input"]), str(item["output"])))
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(
                    f'{path}:{number}: expected {{"text_input": ..., "output": ...}} ({exc})'
                ) from None
    return pairs


def _cmd_tune(args: argparse.Namespace) -> int:
    from gemini_vision.wire.tuned import Dataset, TunedModel, TuningTask

    client = _client(args)
    model = TunedModel(
        base_model=args.base_model,
        display_name=args.display_name,
        tuning_task=TuningTask(training_data=Dataset.of(_read_examples(args.examples))),
    )
    operation = client.create_tuned_model(model, tuned_model_id=args.id)
    print(f"started {operation.name}", file=sys.stderr)
    bar = ProgressBar("tuning", total=operation.metadata.total_steps)

    def show(progress: Any) -> None:
        loss = progress.latest.mean_loss if progress.latest is not None else None
        bar.update(
            progress.completed_steps,
            progress.total_steps,
            "" if loss is None else f"loss {loss:.4f}",
        )

    tuned = client.wait_for_operation(operation, on_progress=show, timeout=args.timeout)
    print(json.dumps(tuned.to_json(), indent=None if getattr(args, "json", False) else 2))
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``emulator``, ``upload`` and ``tune`` subcommands to the command line's parser."""
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

    upload = sub.add_parser("upload", help="upload a file with the Files API (resumable)")
    upload.add_argument("file", help="the file to upload")
    upload.add_argument("--mime-type", help="default: sniffed from the bytes or the name")
    upload.add_argument("--display-name")
    upload.add_argument(
        "--no-wait", dest="wait", action="store_false", help="do not wait for the file to be ACTIVE"
    )
    upload.add_argument("--timeout", type=float, default=600.0)
    upload.add_argument("--base-url", help="a proxy or the emulator")
    upload.set_defaults(func=_cmd_upload)

    tune = sub.add_parser("tune", help="create a tuned model and follow its progress")
    tune.add_argument("examples", help='JSON lines: {"text_input": ..., "output": ...}')
    tune.add_argument("--base-model", required=True, help="e.g. models/gemini-1.5-flash-001")
    tune.add_argument("--id", help="the tunedModelId (makes the create safe to retry)")
    tune.add_argument("--display-name")
    tune.add_argument("--timeout", type=float, default=3600.0)
    tune.add_argument("--base-url", help="a proxy or the emulator")
    tune.set_defaults(func=_cmd_tune)
