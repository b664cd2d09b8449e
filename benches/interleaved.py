"""Side-by-side timings, interleaved round by round, for a machine that is not quiet.

pytest-benchmark times one implementation after another, so a load that comes
and goes between them skews their ratios. Here every round runs each
implementation of a group once, in turn, and the report gives each one's
minimum and median and its ratio to the group's first row (the reference), so
the ratios come from the same moments. Run::

    .venv/bin/python benches/interleaved.py [group ...] [--rounds N]

Groups: ``spatial`` (spatial.parse of 50 masks at 1920x1080, one thread and
all), ``wire`` (the 2 MB text and the structure-heavy response, standard
library JSON), ``numpy`` (the NumPy fallback's PNG decode and resize+threshold
against Pillow), ``import`` (fresh interpreters). Implementations whose tools
are not installed (OpenCV, google-genai: the ``bench`` extra) are left out.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

Group = list[tuple[str, Callable[[], Any]]]


def spatial_group() -> Group:
    from tests.conftest import NUMPY, RUST

    from benches import test_bench_spatial as b

    width, height = 1920, 1080
    items = b.answer(width, height)
    group: Group = [("reference (Pillow)", lambda: b.reference(items, width, height))]
    if b.HAVE_CV2:
        import cv2

        cv2.setNumThreads(1)
        group.append(("OpenCV, 1 thread (not exact)", lambda: b.opencv(items, width, height)))
    if RUST is not None:
        parse_1, parse_all = b._parse(RUST, 1), b._parse(RUST, None)
        group.append(("spatial.parse, 1 thread", lambda: parse_1(items, width, height)))
        group.append(("spatial.parse, all threads", lambda: parse_all(items, width, height)))
    numpy_parse = b._parse(NUMPY, 1)
    group.append(("spatial.parse, NumPy backend", lambda: numpy_parse(items, width, height)))
    return group


def wire_group(case: str) -> Group:
    import json

    from benches import test_bench_wire as b
    from gemini_vision.wire import codec as wire_json

    os.environ["GEMINI_VISION_JSON"] = "stdlib"
    wire_json._codec = None
    body = b.RESPONSES[case]
    group: Group = [("json.loads (dicts only)", lambda: json.loads(body))]
    if b.HAVE_GENAI:
        genai = b.parser_for("google-genai")
        group.append(("google-genai", lambda: genai(body)))
    ours = b.parser_for("gemini-vision")
    group.append(("gemini-vision (standard library json)", lambda: ours(body)))
    return group


def _pillow_decode(png: bytes) -> Any:
    import io

    import numpy as np
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("L"))


def numpy_group(kind: str) -> Group:
    import io

    import numpy as np
    from PIL import Image

    from gemini_vision import _numpy_kernels as nk
    from gemini_vision import masks

    order = masks.installed_pillow_order()
    rng = np.random.default_rng(0)
    if kind.startswith("decode"):
        import base64

        from benches.test_bench_png import RGB_PNG
        from benches.test_bench_spatial import _blob_png

        png = RGB_PNG if kind == "decode-rgb" else base64.b64decode(_blob_png(rng).split(",", 1)[1])
        return [
            (
                "Pillow open + convert('L')",
                lambda: np.asarray(Image.open(io.BytesIO(png)).convert("L")),
            ),
            ("NumPy fallback decode_png", lambda: nk.decode_png(png, 1 << 24)),
        ]
    src_h, src_w, out_w, out_h = (int(v) for v in kind.split("x"))
    grey = rng.integers(0, 256, (src_h, src_w), dtype=np.uint8)

    def pillow() -> Any:
        image = Image.fromarray(grey, "L").resize((out_w, out_h), Image.Resampling.BILINEAR)
        return np.asarray(image) > 127

    return [
        ("Pillow resize + > 127", pillow),
        ("NumPy fallback", lambda: nk.resize_bilinear_threshold(grey, out_w, out_h, 127, order)),
    ]


def import_group() -> Group:
    def fresh(statement: str) -> Callable[[], Any]:
        return lambda: subprocess.run([sys.executable, "-c", statement], check=True)

    return [
        ("python -c pass", fresh("pass")),
        ("import gemini_vision", fresh("import gemini_vision")),
        (
            "from gemini_vision.client import Client",
            fresh("from gemini_vision.client import Client"),
        ),
    ]


GROUPS: dict[str, Callable[[], list[tuple[str, Group]]]] = {
    "spatial": lambda: [("spatial.parse, 50 masks, 1920x1080", spatial_group())],
    "wire": lambda: [
        ("parse a 2 MB text response", wire_group("big text")),
        ("parse a structure-heavy response", wire_group("heavy")),
    ],
    "numpy": lambda: [
        ("PNG decode, 256x256 grey", numpy_group("decode")),
        ("PNG decode, 256x256 RGB", numpy_group("decode-rgb")),
        *(
            (f"resize + threshold {k}", numpy_group(k))
            for k in ("64x64x500x400", "64x64x2000x1500", "256x256x500x400", "1024x1024x100x80")
        ),
    ],
    "import": lambda: [("import, fresh interpreter", import_group())],
}


def run(title: str, group: Group, rounds: int) -> None:
    """Time the group round by round; ``cpu/wall`` is the process's CPU time
    (every thread) over the wall time, median of the rounds: near 1 for one
    thread, up to the core count when threads really run side by side (on a
    loaded machine a second thread may find no core, and the column says so)."""
    times: dict[str, list[float]] = {name: [] for name, _ in group}
    cpu: dict[str, list[float]] = {name: [] for name, _ in group}
    for _, fn in group:
        fn()  # warm up
    for _ in range(rounds):
        for name, fn in group:
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            wall = time.perf_counter() - start
            times[name].append(wall)
            cpu[name].append((time.process_time() - start_cpu) / wall)
    ref_min = min(times[group[0][0]])
    ref_median = statistics.median(times[group[0][0]])
    print(f"\n{title} ({rounds} rounds, interleaved)")
    print(f"  {'':44} {'min':>10} {'median':>10} {'ref/min':>8} {'ref/median':>10} {'cpu/wall':>8}")
    for name, values in times.items():
        low, mid = min(values), statistics.median(values)
        print(
            f"  {name:44} {low * 1e3:9.3f}ms {mid * 1e3:9.3f}ms "
            f"{ref_min / low:7.2f}x {ref_median / mid:9.2f}x {statistics.median(cpu[name]):8.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("groups", nargs="*", default=list(GROUPS))
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print("load average:", " ".join(f"{v:.2f}" for v in os.getloadavg()))
    for name in args.groups:
        for title, group in GROUPS[name]():
            run(title, group, args.rounds)
    print("\nload average:", " ".join(f"{v:.2f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
