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
from gemini_vision.cli import batch, bench, files, spatial, wire
from gemini_vision.cli import eval as evaluation

#: The modules that add subcommands, in the order ``--help`` lists them.
#: (demo, render; emulator, upload, tune; tokens, detect, segment; batch; bench)
_COMMANDS = (spatial, files, wire, batch, bench, evaluation)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


#: The pixel box the demo resizes the sample mask to (tests/cli/test_demo_mask.py reads it).
DEMO_BOX = spatial.DEMO_BOX


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
    # Each command module registers its subcommands the same way.
    for module in _COMMANDS:
        module.register(sub)
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
