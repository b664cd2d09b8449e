"""Where a real-style mask's time goes: each stage of the Rust pipeline, on one thread.

Writes the masks of ``real_style_records`` (the batch benchmark's real-style
workload: 256x256 binary PNGs, boxes of about 320x240 in a 1280x960 frame)
to a temporary file, builds the cargo example ``pipeline_stages``
(``benches/stages/pipeline_stages.rs``) and runs it on them. It prints, per
stage (base64, PNG, fused resize + threshold, RLE in the frame, compressed
string, and the whole ``mask_rle`` + string), the best round's microseconds
per mask, of thread CPU time and of wall time. Run::

    .venv/bin/python benches/pipeline_stages.py [--records 100] [--rounds 30]

To compare builds (before/after a change), give each built program with
``--program``; the runs then alternate between them (``--repeat`` times) and
each stage's best over all of a program's runs is printed::

    .venv/bin/python benches/pipeline_stages.py --program OLD --program NEW --repeat 5

On a shared machine whose speed drifts from minute to minute (the
development VM's per-mask time has swung between 38 and 70 µs within an
hour), runs taken in turn meet different speeds and a 1 µs change is lost.
``--together`` runs two programs at the same time, one on each of two cores
(``taskset``; the cores swap from pair to pair), so that both meet the same
minute, and prints per stage the median of the pairs' differences and how
many pairs the second program won (take 30 pairs or more: a few pairs can
still land on a moment when one core is much slower than the other)::

    .venv/bin/python benches/pipeline_stages.py --program OLD --program NEW --together 30 --rounds 3
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "python"))

from gemini_vision.cli.bench import real_style_records  # noqa: E402


def mask_lines(records: list[dict[str, object]]) -> list[str]:
    """One line per mask: ``x0 y0 x1 y1 frame_h frame_w base64``, boxes as the guide scales them."""
    lines = []
    for record in records:
        width, height = int(str(record["width"])), int(str(record["height"]))
        text = str(record["text"]).strip().removeprefix("```json").removesuffix("```")
        for item in json.loads(text):
            y0, x0, y1, x1 = item["box_2d"]
            y0, y1 = int(y0 / 1000 * height), int(y1 / 1000 * height)
            x0, x1 = int(x0 / 1000 * width), int(x1 / 1000 * width)
            lines.append(f"{x0} {y0} {x1} {y1} {height} {width} {item['mask']}")
    return lines


def build() -> Path:
    """Build the example in release mode; its path."""
    if shutil.which("cargo") is None:
        sys.exit("cargo is not on the PATH")
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--example", "pipeline_stages"],
        cwd=ROOT,
        check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "release" / "examples" / "pipeline_stages"


def parse(output: str) -> dict[str, tuple[float, float]]:
    """Stage name -> (CPU, wall) microseconds per mask."""
    out = {}
    for line in output.splitlines()[1:]:
        name, cpu, wall = line.split()
        out[name] = (float(cpu), float(wall))
    return out


@contextlib.contextmanager
def masks_file(records: int) -> Iterator[Path]:
    """A temporary file of the masks of ``records`` real-style records (``mask_lines``)."""
    with tempfile.TemporaryDirectory() as tmp:
        masks = Path(tmp) / "masks.txt"
        masks.write_text("\n".join(mask_lines(real_style_records(records))) + "\n")
        yield masks


def print_programs(programs: list[Path]) -> None:
    for k, program in enumerate(programs):
        print(f"program {k + 1}: {program}")


def together(programs: list[Path], masks: Path, rounds: int, pairs: int) -> None:
    """Run the two programs at once on cores 0 and 1 (swapped each pair); print the differences."""
    if len(programs) != 2 or shutil.which("taskset") is None or (os.cpu_count() or 1) < 2:
        sys.exit("--together needs two --program, two cores and taskset")
    cpu: dict[Path, dict[str, list[float]]] = {p: {} for p in programs}
    for k in range(pairs):
        running = [
            (
                program,
                subprocess.Popen(
                    ["taskset", "-c", str((k + i) % 2), str(program), str(masks), str(rounds)],
                    stdout=subprocess.PIPE,
                    text=True,
                ),
            )
            for i, program in enumerate(programs)
        ]
        for program, process in running:
            out, _ = process.communicate()
            if process.returncode != 0:
                sys.exit(f"{program} failed")
            for name, (seconds, _wall) in parse(out).items():
                cpu[program].setdefault(name, []).append(seconds)
    first, second = programs
    print(f"{pairs} pairs run together, {rounds} rounds each; us per mask, thread CPU")
    print(f"{'stage':>8}{'median 1':>10}{'median 2':>10}{'2 - 1':>10}{'2 won':>8}")
    for name, a in cpu[first].items():
        b = cpu[second][name]
        diffs = [y - x for x, y in zip(a, b, strict=True)]
        won = sum(d < 0 for d in diffs)
        print(
            f"{name:>8}{statistics.median(a):10.2f}{statistics.median(b):10.2f}"
            f"{statistics.median(diffs):+10.2f}{won:>5}/{len(diffs)}"
        )
    print_programs(programs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100, help="records of 10 masks")
    parser.add_argument("--rounds", type=int, default=30, help="rounds per run")
    parser.add_argument("--program", action="append", help="a built pipeline_stages (repeatable)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per program, alternating")
    parser.add_argument(
        "--together", type=int, default=0, metavar="PAIRS", help="two programs at once, PAIRS times"
    )
    args = parser.parse_args()
    programs = [Path(p) for p in args.program] if args.program else [build()]
    if args.together:
        with masks_file(args.records) as masks:
            together(programs, masks, args.rounds, args.together)
        return
    best: dict[Path, dict[str, tuple[float, float]]] = {p: {} for p in programs}
    with masks_file(args.records) as masks:
        for _ in range(args.repeat):
            for program in programs:
                run = subprocess.run(
                    [str(program), str(masks), str(args.rounds)],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                for name, (cpu, wall) in parse(run.stdout).items():
                    old = best[program].get(name, (float("inf"), float("inf")))
                    best[program][name] = (min(old[0], cpu), min(old[1], wall))
    print(f"load average {os.getloadavg()[0]:.2f} (1 min) at the end")
    print(f"{args.records * 10} masks, best of {args.repeat} x {args.rounds} rounds")
    print("us per mask, thread CPU / wall")
    header = "".join(f"{'program ' + str(k + 1):>20}" for k in range(len(programs)))
    print(f"{'stage':>8}{header}")
    for name in best[programs[0]]:
        cells = "".join(
            f"{best[p][name][0]:10.2f}{best[p][name][1]:10.2f}" for p in programs if name in best[p]
        )
        print(f"{name:>8}{cells}")
    print_programs(programs)


if __name__ == "__main__":
    main()
