"""The ``gemini-vision`` command line.

Errors are one clear line on stderr (a traceback only with ``--debug``) and the
exit code says what happened: 0 done, 1 the work failed, 2 bad usage, 3 bad
input (``gemini_vision.cli.output`` documents them). ``--json`` makes every
command that reports something print one JSON document on stdout instead of
text. ``--debug`` and ``--json`` are accepted before or after the command.
When the reader of stdout goes away (``| head -1``), the command stops quietly.

>>> main(["--version"])  # doctest: +ELLIPSIS
gemini-vision ...
0
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
from collections.abc import Sequence
from types import ModuleType

import gemini_vision
from gemini_vision.cli import batch, bench, files, info, spatial, wire
from gemini_vision.cli.output import (
    EXIT_FAILED,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_USAGE,
    InputError,
    UsageError,
)

__all__ = ["EXIT_FAILED", "EXIT_INPUT", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


def _command_modules() -> tuple[ModuleType, ...]:
    """The modules that add subcommands, in the order ``--help`` lists them.

    (demo, render; emulator, upload, tune; tokens, detect, segment; batch; bench; info;
    eval when that module is there.)
    """
    modules: list[ModuleType] = [spatial, files, wire, batch, bench, info]
    with contextlib.suppress(ImportError):
        modules.append(importlib.import_module("gemini_vision.cli.eval"))
    return tuple(modules)


#: The pixel box the demo resizes the sample mask to (tests/cli/test_demo_mask.py reads it).
DEMO_BOX = spatial.DEMO_BOX

#: Flags every subcommand accepts too (so they work before or after the command's name).
_GLOBAL_FLAGS = (
    ("--debug", "show tracebacks on errors"),
    ("--json", "print one JSON document on stdout instead of text"),
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand.

    >>> build_parser().prog
    'gemini-vision'
    """
    parser = argparse.ArgumentParser(
        prog="gemini-vision",
        description="Gemini vision answers to pixels, offline and fast.",
        epilog="exit codes: 0 done, 1 the work failed, 2 bad usage, 3 bad input",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    for flag, text in _GLOBAL_FLAGS:
        parser.add_argument(flag, action="store_true", help=text)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Each command module registers its subcommands the same way.
    for module in _command_modules():
        module.register(sub)
    for command in sub.choices.values():
        for flag, text in _GLOBAL_FLAGS:
            if flag not in command._option_string_actions:
                # SUPPRESS: the flag given before the command is not reset by the subparser.
                command.add_argument(
                    flag, action="store_true", default=argparse.SUPPRESS, help=text
                )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    try:
        return _main(argv)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK


def _main(argv: Sequence[str] | None) -> int:
    # Labels are the model's text and may hold lone surrogates, which no encoding
    # can write: they are printed as escapes instead of failing the command.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        if args.json:
            print(json.dumps({"version": gemini_vision.__version__}))
        else:
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
    except BrokenPipeError:
        raise
    except Exception as exc:
        if args.debug:
            raise
        code = exit_code(exc)
        prefix = "usage error" if code == EXIT_USAGE else "error"
        print(f"gemini-vision: {prefix}: {exc}", file=sys.stderr)
        return code
    return code


def exit_code(exc: BaseException) -> int:
    """The exit code for an exception a command raised (see ``cli.output``).

    >>> from gemini_vision.errors import LocalError
    >>> exit_code(UsageError("x")), exit_code(LocalError("x")), exit_code(RuntimeError("x"))
    (2, 3, 1)
    """
    from gemini_vision.errors import LocalError, MaskDecodeError, RleError

    if isinstance(exc, UsageError):
        return EXIT_USAGE
    reading = (FileNotFoundError, IsADirectoryError, NotADirectoryError, UnicodeDecodeError)
    if isinstance(exc, (InputError, LocalError, MaskDecodeError, RleError, *reading)):
        return EXIT_INPUT
    if type(exc).__module__.startswith("pyarrow") and "Invalid" in type(exc).__name__:
        return EXIT_INPUT  # e.g. a file that is not Parquet
    return EXIT_FAILED


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
