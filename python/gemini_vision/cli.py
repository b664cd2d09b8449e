"""The ``gemini-vision`` command line.

Errors are one clear line on stderr (a traceback only with ``--debug``) and the
exit code says what happened: 0 done, 1 the work failed, 2 bad usage.

>>> main(["--version"])  # doctest: +ELLIPSIS
gemini-vision ...
0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import gemini_vision
from gemini_vision import cli_files, cli_wire

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


#: The pixel box the demo pastes the sample mask into, as (width, height).
DEMO_BOX = (300, 200)


def _cmd_demo(args: argparse.Namespace) -> int:
    from importlib import resources

    from gemini_vision import masks
    from gemini_vision.tokens import image_tokens

    print(f"gemini-vision {gemini_vision.__version__}, backend: {gemini_vision.backend}")
    print(
        f"image tokens, 1920x1080: {image_tokens(1920, 1080)} (gemini-2.5-flash default), "
        f"{image_tokens(1920, 1080, rule='documented')} (documented rule)"
    )
    data = resources.files("gemini_vision").joinpath("data/sample_mask.png").read_bytes()
    mask = masks.decode_png(data)
    print(f"sample mask: {mask.shape[1]}x{mask.shape[0]} grey PNG probability map")
    # The documented procedure (SPEC S5): resize to the pixel box, then value > 127.
    width, height = DEMO_BOX
    area = int(masks.resize_threshold(mask, DEMO_BOX, 127).sum())
    print(
        f"resized to a {width}x{height} box, threshold 127: mask area {area} px "
        f"({100 * area / (width * height):.1f}% of the box)"
    )
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand.

    >>> build_parser().prog
    'gemini-vision'
    """
    parser = argparse.ArgumentParser(
        prog="gemini-vision", description="Gemini vision answers to pixels, offline and fast."
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="run the offline demo on the shipped sample")
    demo.set_defaults(func=_cmd_demo)
    cli_files.register(sub)
    cli_wire.add_parsers(sub)  # tokens, detect, segment
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(f"gemini-vision {gemini_vision.__version__}")
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        print("gemini-vision: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"gemini-vision: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return code


if __name__ == "__main__":
    sys.exit(main())
