"""Run one fuzz target under atheris, coverage-guided.

    python fuzz/run.py TARGET [libFuzzer flags] [corpus folder]
    python fuzz/run.py png -runs=200000          # a longer run, on demand
    python fuzz/run.py extract -max_total_time=600 corpus/extract

The target's seeds (``fuzz.targets.SEEDS``) are written to a fresh corpus folder
unless one is given. A finding stops the run with the traceback and writes the
input to ``crash-*`` in the working folder. Needs ``pip install atheris``
(part of the ``test`` extra on CPython < 3.12).
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

with atheris.instrument_imports(include=["gemini_vision", "fuzz"]):
    from fuzz.targets import SEEDS, TARGETS


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] not in TARGETS:
        sys.exit(f"usage: {argv[0]} {{{','.join(sorted(TARGETS))}}} [libFuzzer flags] [corpus]")
    name = argv[1]
    flags = argv[2:]
    if not any(not flag.startswith("-") for flag in flags):
        corpus = tempfile.mkdtemp(prefix=f"gv-fuzz-{name}-")
        for number, seed in enumerate(SEEDS[name]):
            with open(os.path.join(corpus, f"seed-{number}"), "wb") as out:
                out.write(seed)
        flags.append(corpus)
    target = TARGETS[name]
    atheris.Setup([argv[0], *flags], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
