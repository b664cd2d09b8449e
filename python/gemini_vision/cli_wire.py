"""The ``tokens`` subcommand (SPEC C3).

``tokens IMAGE...`` reads each image's header (never its pixels), and prints
a table: the stored and displayed size, the EXIF orientation, and the token
estimate of every rule in ``gemini_vision.tokens.RULES``, plus the default
rule of ``--model``; then the totals. An unreadable image is reported on its
row and makes the exit code 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

__all__ = ["add_parsers", "cmd_tokens", "token_table"]

DEFAULT_MODEL = "gemini-2.5-flash"


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tokens`` on the main parser's subcommands."""
    tokens = sub.add_parser("tokens", help="token estimates for image files, per rule")
    tokens.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    tokens.add_argument("--model", default=DEFAULT_MODEL, help=f"default rule of ({DEFAULT_MODEL})")
    tokens.add_argument(
        "--media-resolution",
        choices=["LOW", "MEDIUM", "HIGH", "ULTRA_HIGH"],
        help="mediaResolution for the rules that depend on it",
    )
    tokens.add_argument("--vertex", action="store_true", help="Vertex AI defaults")
    tokens.set_defaults(func=cmd_tokens)


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
    _print_table(rows, sys.stdout)
    return 0 if ok else 1
