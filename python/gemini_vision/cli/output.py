"""What every subcommand shares: exit codes, ``--json`` output, argument types.

Exit codes (the same for every command):

====  ===========================================================
0     done
1     the work failed while running (an API or network error, a
      file that could not be written, a bug)
2     bad usage: an unknown option, an invalid value (``--threads 0``),
      an output that would overwrite an input
3     bad input: a file that cannot be read, or whose content is not
      what the command needs (a missing column, an unreadable image)
====  ===========================================================

With ``--json`` a command prints exactly one JSON document on stdout (human
text is the default); progress and errors always go to stderr, so stdout stays
parseable. On an error nothing is printed on stdout.

>>> import argparse, io, contextlib
>>> out = io.StringIO()
>>> with contextlib.redirect_stdout(out):
...     report(argparse.Namespace(json=True), {"rows": 3}, lambda: print("3 rows"))
>>> out.getvalue()
'{"rows": 3}\\n'
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

__all__ = [
    "EXIT_FAILED",
    "EXIT_INPUT",
    "EXIT_OK",
    "EXIT_USAGE",
    "InputError",
    "UsageError",
    "positive_int",
    "report",
    "threshold_value",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INPUT = 3


class UsageError(Exception):
    """The command was called wrongly (exit code 2); found after parsing, before any output."""


class InputError(Exception):
    """An input cannot be used (exit code 3)."""


def report(args: argparse.Namespace, doc: Any, text: Callable[[], None]) -> None:
    """Print ``doc`` as one JSON document if ``args.json``, else call ``text`` to print."""
    if getattr(args, "json", False):
        from gemini_vision.spatial.files import dumps_json

        sys.stdout.write(dumps_json(doc) + "\n")
        sys.stdout.flush()
    else:
        text()


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1.

    >>> positive_int("4")
    4
    >>> positive_int("0")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: must be at least 1, got 0
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def threshold_value(text: str) -> int:
    """An argparse type: a mask threshold, 0 to 255 (pixels are value > threshold).

    >>> threshold_value("127")
    127
    >>> threshold_value("300")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: must be 0 to 255 (mask pixels are value > THRESHOLD), got 300
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if not 0 <= value <= 255:
        raise argparse.ArgumentTypeError(
            f"must be 0 to 255 (mask pixels are value > THRESHOLD), got {value}"
        )
    return value
