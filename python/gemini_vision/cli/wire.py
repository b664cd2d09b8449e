"""The ``tokens``, ``detect`` and ``segment`` subcommands (SPEC C3, C4).

``tokens IMAGE...`` reads each image's header (never its pixels), and prints
a table: the stored and displayed size, the EXIF orientation, and the token
estimate of every rule in ``gemini_vision.tokens.RULES``, plus the default
rule of ``--model``; then the totals. An unreadable image is reported on its
row and makes the exit code 1.

``detect IMAGE`` and ``segment IMAGE`` call the model (``GEMINI_API_KEY``, or
``--base-url`` for a proxy or the emulator) with the image turned upright (so
the answer's boxes match the displayed image), show a spinner on stderr while
waiting, save the answer, and render it with ``gemini_vision.spatial.render``
(overlay, masks, COCO JSON) when that module is available.

Exit codes: 0 done, 1 the work failed (an API or network error included),
2 bad usage (no API key and no ``--base-url``), 3 an unreadable image. With
``--json`` each prints one JSON document.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path
from typing import TextIO

from gemini_vision.cli.output import UsageError, report

__all__ = ["Spinner", "cmd_call", "cmd_tokens", "register", "token_table"]

DEFAULT_MODEL = "gemini-2.5-flash"
_PROMPTS = {
    "detect": (
        "Find the prominent objects in the image. Answer with a JSON list; for each "
        'object give "box_2d" as [ymin, xmin, ymax, xmax] normalized to 0-1000 and '
        'a short "label".'
    ),
    "segment": (
        "Segment the prominent objects in the image. Answer with a JSON list; for each "
        'object give "box_2d" as [ymin, xmin, ymax, xmax] normalized to 0-1000, "mask" '
        'as a base64 PNG probability map of the box, and a descriptive "label".'
    ),
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tokens``, ``detect`` and ``segment`` on the main parser's subcommands."""
    tokens = sub.add_parser("tokens", help="token estimates for image files, per rule")
    tokens.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    tokens.add_argument(
        "-m", "--model", default=DEFAULT_MODEL, help=f"default rule of ({DEFAULT_MODEL})"
    )
    tokens.add_argument(
        "--media-resolution",
        choices=["LOW", "MEDIUM", "HIGH", "ULTRA_HIGH"],
        help="mediaResolution for the rules that depend on it",
    )
    tokens.add_argument("--vertex", action="store_true", help="Vertex AI defaults")
    tokens.set_defaults(func=cmd_tokens)
    for name, what in (("detect", "2D boxes"), ("segment", "segmentation masks")):
        call = sub.add_parser(name, help=f"ask the model for {what}, then render the answer")
        call.add_argument("image", type=Path, metavar="IMAGE")
        call.add_argument("-p", "--prompt", help="what to ask (default: a prompt for the task)")
        call.add_argument("-m", "--model", default=DEFAULT_MODEL, help=f"model ({DEFAULT_MODEL})")
        call.add_argument("--base-url", help="a proxy or emulator speaking the Gemini API")
        call.add_argument(
            "-o",
            "--out",
            type=Path,
            default=Path(f"gemini-vision-{name}"),
            help="output folder (replaced as a whole when complete)",
        )
        call.add_argument("--timeout", type=float, default=120.0, help="seconds per attempt")
        call.set_defaults(func=cmd_call, task=name)


# --- tokens ---------------------------------------------------------------------------


def token_table(
    paths: list[Path], *, model: str, media_resolution: str | None = None, vertex: bool = False
) -> tuple[list[list[str]], bool]:
    """The rows of the ``tokens`` table (header first, totals last) and whether all images read."""
    from gemini_vision.errors import GeminiVisionError
    from gemini_vision.images import read_header
    from gemini_vision.tokens import RULES, image_tokens, resolve_rule

    rules = list(RULES)
    try:
        default: str | None = resolve_rule(
            model, media_resolution=media_resolution, vertex=vertex
        ).rule.name
    except GeminiVisionError:
        default = None  # a model with no default rule: the per-rule columns still apply
    header = ["image", "type", "stored", "display", "orient.", *rules]
    if default is not None:
        header.append(f"{model} ({default})")
    rows = [header]
    totals: list[int | None] = [0] * (len(header) - 5)
    ok = True
    for path in paths:
        try:
            with open(path, "rb") as handle:
                info = read_header(handle.read())
        except (OSError, GeminiVisionError) as error:
            ok = False
            rows.append([str(path), f"error: {error}"])
            continue
        width, height = info.display_size
        cells: list[int | None] = []
        for rule in [*rules, *([default] if default is not None else [])]:
            try:
                cells.append(
                    image_tokens(
                        width,
                        height,
                        model=model,
                        rule=rule,
                        media_resolution=media_resolution,
                        vertex=vertex,
                    )
                )
            except GeminiVisionError:
                cells.append(None)  # e.g. ULTRA_HIGH for a 2.x rule
        for i, value in enumerate(cells):
            current = totals[i]
            totals[i] = None if value is None or current is None else current + value
        rows.append(
            [
                str(path),
                info.mime_type,
                f"{info.width}x{info.height}",
                f"{width}x{height}",
                str(info.orientation),
                *("-" if v is None else str(v) for v in cells),
            ]
        )
    rows.append(["total", "", "", "", "", *("-" if v is None else str(v) for v in totals)])
    return rows, ok


def _keep_answer(out: Path, answer: str) -> None:
    """Save the model's answer alone as ``out/response.json`` (after a failed render)."""
    from gemini_vision.spatial.files import replace_folder

    def write(temp: Path) -> None:
        (temp / "response.json").write_text(answer, encoding="utf-8")

    try:
        replace_folder(out, write)
    except Exception as exc:  # the render's error is the one to report
        print(f"gemini-vision: could not save the answer either: {exc}", file=sys.stderr)
    else:
        print(f"gemini-vision: the answer is saved in {out / 'response.json'}", file=sys.stderr)


def _print_table(rows: list[list[str]], out: TextIO) -> None:
    width = max(len(r) for r in rows)
    sizes = [
        max((len(r[i]) for r in rows if len(r) == width and i < len(r)), default=0)
        for i in range(width)
    ]
    for row in rows:
        if len(row) < width:  # an error row: no columns to align
            print("  ".join(row), file=out)
            continue
        cells = [c.ljust(sizes[i]) if i < 2 else c.rjust(sizes[i]) for i, c in enumerate(row)]
        print("  ".join(cells).rstrip(), file=out)


def cmd_tokens(args: argparse.Namespace) -> int:
    """Print the token table for ``args.images``; 1 if any image could not be read."""
    rows, ok = token_table(
        list(args.images),
        model=args.model,
        media_resolution=args.media_resolution,
        vertex=args.vertex,
    )
    header = rows[0]
    doc = {
        "model": args.model,
        "images": [
            {"path": row[0], "error": row[1].removeprefix("error: ")}
            if len(row) < len(header)
            else {
                "path": row[0],
                "type": row[1],
                "stored": row[2],
                "display": row[3],
                "orientation": int(row[4]),
                "tokens": {
                    h: None if v == "-" else int(v)
                    for h, v in zip(header[5:], row[5:], strict=True)
                },
            }
            for row in rows[1:-1]
        ],
        "total": {
            h: None if v == "-" else int(v) for h, v in zip(header[5:], rows[-1][5:], strict=True)
        },
    }
    report(args, doc, lambda: _print_table(rows, sys.stdout))
    return 0 if ok else 1


# --- detect / segment -----------------------------------------------------------------


class Spinner:
    """A spinner with elapsed seconds on ``stream`` while a call runs (a single line if not a TTY).

    >>> import io
    >>> with Spinner("waiting", stream=io.StringIO()):
    ...     pass
    """

    _FRAMES = "|/-\\"

    def __init__(self, text: str, *, stream: TextIO | None = None, interval: float = 0.1):
        self.text = text
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        start = time.monotonic()
        frame = 0
        while not self._stop.wait(self.interval):
            elapsed = time.monotonic() - start
            self.stream.write(f"\r{self._FRAMES[frame % 4]} {self.text} {elapsed:.1f}s")
            self.stream.flush()
            frame += 1
        self.stream.write("\r" + " " * (len(self.text) + 16) + "\r")
        self.stream.flush()

    def __enter__(self) -> Spinner:
        if self.stream.isatty():
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        else:
            print(f"{self.text}...", file=self.stream)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def cmd_call(args: argparse.Namespace) -> int:
    """Ask the model about ``args.image``, save the answer, and render it into ``args.out``."""
    from gemini_vision.cli.spatial import check_output
    from gemini_vision.client import Client
    from gemini_vision.images import image_part

    if not os.environ.get("GEMINI_API_KEY") and not args.base_url:
        raise UsageError(
            "set GEMINI_API_KEY (or give --base-url for a proxy or emulator that needs no key)"
        )
    check_output(args.out, [args.image])  # before the call: its answer must have a place
    part = image_part(args.image, apply_orientation=True)  # boxes then match the upright image
    prompt = args.prompt or _PROMPTS[args.task]
    with (
        Client(base_url=args.base_url, timeout=args.timeout) as client,
        Spinner(f"asking {args.model}"),
    ):
        response = client.generate(
            args.model, [part, prompt], response_mime_type="application/json"
        )
    from gemini_vision.cli.spatial import render_document
    from gemini_vision.spatial import render
    from gemini_vision.spatial.files import dumps_json

    answer = dumps_json(response.to_json(), indent=2) + "\n"
    # The answer is saved in the same folder, written all or nothing with the rest.
    try:
        rendered = render(args.image, response.to_json(), args.out, extra={"response.json": answer})
    except Exception:
        _keep_answer(args.out, answer)  # a paid answer is never lost to a failed render
        raise

    def text() -> None:
        print(f"answer saved to {args.out / 'response.json'}")
        print(rendered.table())
        for diagnostic in rendered.result.diagnostics:
            print(f"  note: {diagnostic.message}")
        print(f"wrote {len(rendered.files)} files to {rendered.folder}/")

    report(args, render_document(rendered, args.model), text)
    return 0
