"""gemini_vision.evaluate against pycocotools and faster-coco-eval, in one run.

A synthetic set the size of COCO val2017 (5,000 images, ~36,000 instances, 80
categories; see ``gemini_vision.evaluate.synthetic``) is written to two JSON
files; then each tool, in its own fresh process, loads both files, evaluates,
accumulates and summarises (end to end, the way people run them), for bbox
and segm. Printed: wall time inside the process (imports excluded), peak
resident memory of the process (and beside it, its resident memory after the
imports), the ratio to pycocotools, and whether the 12 stats equal
pycocotools' exactly.

    python benches/evaluate_vs_reference.py [--images 5000] [--repeat 1]

faster-coco-eval is skipped when it is not installed (``pip install -e .[bench]``).
Times from a shared machine are noisy; the ratios are measured side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

_RUNNER = r"""
import contextlib, io, json, resource, sys, time
import numpy as np
tool, gt_path, dt_path, iou = sys.argv[1:5]
if tool == "gemini_vision":
    from gemini_vision import evaluate
    def run():
        return evaluate.coco(gt_path, dt_path, iou).stats
elif tool == "pycocotools":
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    def run():
        with contextlib.redirect_stdout(io.StringIO()):
            g = COCO(gt_path); d = g.loadRes(dt_path)
            e = COCOeval(g, d, iou); e.evaluate(); e.accumulate(); e.summarize()
        return e.stats
else:
    from faster_coco_eval import COCO, COCOeval_faster
    def run():
        with contextlib.redirect_stdout(io.StringIO()):
            g = COCO(gt_path); d = g.loadRes(dt_path)
            e = COCOeval_faster(g, d, iou); e.evaluate(); e.accumulate(); e.summarize()
        return e.stats
def peak_kib():
    # VmHWM: this address space's high-water mark. ru_maxrss would not do: Linux
    # carries it over exec from the parent, which holds the whole synthetic set.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
base = peak_kib()
t = time.perf_counter()
stats = run()
dt = time.perf_counter() - t
peak = peak_kib()
print(json.dumps({"seconds": dt, "peak_mib": peak / 1024, "base_mib": base / 1024,
                  "stats": [float(v) for v in np.asarray(stats)]}))
"""

TOOLS = ("gemini_vision", "pycocotools", "faster_coco_eval")


def _available(tool: str) -> bool:
    mod = {"gemini_vision": "gemini_vision", "pycocotools": "pycocotools.cocoeval"}.get(
        tool, "faster_coco_eval"
    )
    code = f"import {mod}"
    return subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


def _run(tool: str, gt: str, dt: str, iou: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _RUNNER, tool, gt, dt, iou],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool; the best is kept")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from gemini_vision.evaluate.synthetic import synthetic_coco

    t = time.perf_counter()
    gt, dt = synthetic_coco(n_images=args.images, seed=args.seed)
    print(
        f"synthetic set: {len(gt['images'])} images, {len(gt['annotations'])} instances, "
        f"{len(dt)} predictions ({time.perf_counter() - t:.1f} s to make)"
    )
    tools = [t for t in TOOLS if _available(t)]
    with tempfile.TemporaryDirectory() as tmp:
        gt_path, dt_path = os.path.join(tmp, "gt.json"), os.path.join(tmp, "dt.json")
        with open(gt_path, "w") as f:
            json.dump(gt, f)
        with open(dt_path, "w") as f:
            json.dump(dt, f)
        for iou in ("bbox", "segm"):
            rows = {}
            for tool in tools:
                runs = [_run(tool, gt_path, dt_path, iou) for _ in range(args.repeat)]
                rows[tool] = min(runs, key=lambda r: float(r["seconds"]))  # type: ignore[arg-type]
            ref = rows.get("pycocotools")
            print(f"\n{iou}:")
            print(
                f"  {'tool':<18} {'seconds':>8} {'vs pycocotools':>15} {'peak MiB':>9}"
                f" {'imports':>8}  stats"
            )
            for tool, r in rows.items():
                secs = float(r["seconds"])  # type: ignore[arg-type]
                ratio = f"{float(ref['seconds']) / secs:.1f}x" if ref else "-"  # type: ignore[arg-type]
                same = "-" if ref is None else ("equal" if r["stats"] == ref["stats"] else "DIFFER")
                if ref is not None and r["stats"] != ref["stats"]:
                    diff = max(
                        abs(a - b)
                        for a, b in zip(r["stats"], ref["stats"], strict=True)  # type: ignore[call-overload]
                    )
                    same += f" (max |diff| {diff:.2e})"
                peak, base = float(r["peak_mib"]), float(r["base_mib"])  # type: ignore[arg-type]
                print(f"  {tool:<18} {secs:8.3f} {ratio:>15} {peak:9.0f} {base:8.0f}  {same}")
            print("  AP:", [round(v, 4) for v in rows[tools[0]]["stats"][:3]])  # type: ignore[index]


if __name__ == "__main__":
    main()
