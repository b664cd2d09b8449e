"""``gemini-vision bench``: the kernels and the batch path against the reference tools (SPEC C5).

A compact harness with ``time.perf_counter``: each case runs long enough to be
timed (the best of a few repeats is kept) on the Rust kernels, the NumPy
fallback and the tool people use today — Pillow for PNG decoding and resizing,
pycocotools for RLE (when installed), and for the batch a Python loop over the
guide's procedure (JSON, Pillow decode, Pillow resize, NumPy threshold,
pycocotools encode). The table's ratio is reference time / Rust time.
The full benchmarks, with statistics, are ``make bench`` (pytest-benchmark).

>>> rows = run_cases(quick=True, only=["threshold"])
>>> rows[0].name.startswith("threshold")
True
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

__all__ = [
    "Row",
    "cmd_bench",
    "format_table",
    "real_style_records",
    "register",
    "run_cases",
    "synthetic_records",
]


@dataclass
class Row:
    """One line of the table: seconds per call (None: not run) and what a call does."""

    name: str
    unit: str
    rust: float | None
    numpy: float | None
    reference: float | None
    reference_name: str

    @property
    def ratio(self) -> float | None:
        """Reference time over Rust time (how many times faster Rust is)."""
        if self.rust is None or self.reference is None or self.rust == 0:
            return None
        return self.reference / self.rust


#: Every case's name prefix, in the order they run (``--only`` matches these).
CASES = (
    "decode_png",
    "resize",
    "resize+threshold",
    "threshold",
    "rle_encode",
    "batch",
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``bench`` on the main parser's subcommands."""
    bench = sub.add_parser(
        "bench",
        help="time the kernels and the batch path against Pillow / pycocotools",
        description=(
            "Time each case on the Rust kernels, the NumPy twin and the reference tool; "
            "a line per case on stderr as it finishes, the table (or --json) on stdout. "
            f"Cases: {', '.join(CASES)}."
        ),
    )
    bench.add_argument(
        "-q", "--quick", action="store_true", help="small sizes, few repeats (seconds)"
    )
    bench.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run the cases whose name starts so (repeatable)",
    )
    bench.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    """Print the benchmark table (or JSON), with a line per case on stderr as it finishes."""
    import sys

    import gemini_vision
    from gemini_vision.cli.output import UsageError, report

    if args.only and not any(
        case.startswith(prefix) or prefix.startswith(case) for prefix in args.only for case in CASES
    ):
        raise UsageError(
            f"--only {' '.join(args.only)} matches no case; the cases are {', '.join(CASES)}"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header = (
        f"gemini-vision {gemini_vision.__version__}; {os.cpu_count()} cores, "
        f"load {load:.1f}; best of repeats, time.perf_counter"
    )
    start = time.perf_counter()

    def progress(row: Row) -> None:
        ratio = "" if row.ratio is None else f", {row.ratio:.1f}x"
        print(
            f"bench: {row.name}: rust {_fmt(row.rust)}, numpy {_fmt(row.numpy)}, "
            f"reference {_fmt(row.reference)}{ratio} ({time.perf_counter() - start:.0f} s)",
            file=sys.stderr,
            flush=True,
        )

    rows = run_cases(quick=args.quick, only=args.only, on_row=progress)
    if not rows:
        raise UsageError(f"--only {' '.join(args.only or [])} matches no case")
    doc = {
        "version": gemini_vision.__version__,
        "backend": gemini_vision.backend,
        "cores": os.cpu_count(),
        "load": load,
        "quick": bool(args.quick),
        "cases": [
            {
                "name": row.name,
                "per": row.unit,
                "rust_s": row.rust,
                "numpy_s": row.numpy,
                "reference_s": row.reference,
                "reference": row.reference_name or None,
                "ratio": row.ratio,
            }
            for row in rows
        ],
    }

    def text() -> None:
        print(header)
        print(format_table(rows))

    report(args, doc, text)
    return 0


def format_table(rows: list[Row]) -> str:
    """The rows as an aligned text table.

    >>> print(format_table([Row("x", "call", 1e-3, None, 5e-3, "ref")]))
    case  per   rust     numpy  reference      ratio
    x     call  1.00 ms  -      5.00 ms (ref)  5.0x
    """
    header = ["case", "per", "rust", "numpy", "reference", "ratio"]
    lines = [header]
    for row in rows:
        ratio = row.ratio
        reference = _fmt(row.reference)
        if row.reference is not None:
            reference += f" ({row.reference_name})"
        lines.append(
            [
                row.name,
                row.unit,
                _fmt(row.rust),
                _fmt(row.numpy),
                reference,
                "-" if ratio is None else f"{ratio:.1f}x",
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def _time(fn: Callable[[], Any], *, quick: bool) -> float:
    """Seconds per call: the best of a few repeats, each long enough to time."""
    budget, repeats = (0.02, 3) if quick else (0.2, 5)
    fn()  # warm up (first-call costs, caches)
    loops, elapsed = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= budget or loops >= 1 << 20:
            break
        loops *= 2 if elapsed <= 0 else max(2, min(10, int(budget / elapsed) + 1))
    best = elapsed / loops
    for _ in range(repeats - 1):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        best = min(best, (time.perf_counter() - start) / loops)
    return best


def _png(grey: np.ndarray[Any, Any]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, format="PNG")
    return buffer.getvalue()


def _soft_mask(rng: np.random.Generator, size: int) -> np.ndarray[Any, Any]:
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    d = ((yy - rng.uniform(0.4, 0.6)) / 0.3) ** 2 + ((xx - rng.uniform(0.4, 0.6)) / 0.35) ** 2
    soft = 255 / (1 + np.exp((d - 1) * 6)) + rng.normal(0, 8, d.shape)
    out: np.ndarray[Any, Any] = np.clip(soft, 0, 255).astype(np.uint8)
    return out


def synthetic_records(
    count: int, *, masks: int = 10, size: tuple[int, int] = (1024, 768), seed: int = 0
) -> list[dict[str, Any]]:
    """``count`` segmentation answers of ``masks`` 64x64 PNG masks each (boxes 5-30% a side).

    >>> synthetic_records(2, masks=1)[1]["id"]
    1
    """
    rng = np.random.default_rng(seed)
    pngs = [
        "data:image/png;base64," + base64.b64encode(_png(_soft_mask(rng, 64))).decode()
        for _ in range(8)
    ]
    width, height = size
    out = []
    for i in range(count):
        items = []
        for k in range(masks):
            y0, x0 = (int(v) for v in rng.integers(0, 700, 2))
            h, w = (int(v) for v in rng.integers(50, 300, 2))
            items.append(
                {
                    "box_2d": [y0, x0, min(y0 + h, 1000), min(x0 + w, 1000)],
                    "label": f"object {k}",
                    "mask": pngs[int(rng.integers(len(pngs)))],
                }
            )
        text = "```json\n" + json.dumps(items) + "\n```"
        out.append({"id": i, "width": width, "height": height, "text": text})
    return out


def _png_filter_none(grey: np.ndarray[Any, Any], level: int = 9) -> bytes:
    """An 8-bit grey PNG whose every scanline has filter type 0, deflated by zlib at ``level``."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    height, width = grey.shape
    raw = np.zeros((height, width + 1), dtype=np.uint8)  # column 0: the filter byte
    raw[:, 1:] = grey
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), level))
        + chunk(b"IEND", b"")
    )


def _binary_blob(rng: np.random.Generator, size: int = 256) -> np.ndarray[Any, Any]:
    """A 0/255 mask: an ellipse whose radius wanders with the angle (a few random harmonics)."""
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)
    cy, cx = rng.uniform(0.45, 0.55, 2)
    sy, sx = rng.uniform(0.8, 1.2, 2)
    angle = np.arctan2(yy - cy, xx - cx)
    radius = np.full(angle.shape, rng.uniform(0.3, 0.55))
    for k in range(2, 12):
        radius += rng.normal(0, 0.04 / k**0.5) * np.cos(k * angle + rng.uniform(0, 2 * np.pi))
    inside = np.hypot((yy - cy) / sy, (xx - cx) / sx) < radius
    out: np.ndarray[Any, Any] = np.where(inside, 255, 0).astype(np.uint8)
    return out


def real_style_records(
    count: int, *, masks: int = 10, size: tuple[int, int] = (1280, 960), seed: int = 0
) -> list[dict[str, Any]]:
    """``count`` answers of ``masks`` masks shaped like the model's (boxes ~25% a side).

    The masks have the properties of the ones the model returns (the public
    cookbook's): 256x256 8-bit grey, values 0 and 255 only, no interlace,
    filter type 0 on every scanline, zlib level 9, about 560 bytes of IDAT
    (about 850 base64 characters with the ``data:`` prefix). A pool of 35
    distinct masks is drawn from, as the cookbook has 35. Boxes are about
    320x240 pixels of the default 1280x960 image.

    >>> record = real_style_records(1, masks=2)[0]
    >>> (record["width"], record["height"], record["text"].count("data:image/png"))
    (1280, 960, 2)
    """
    rng = np.random.default_rng(seed)
    pngs = [
        "data:image/png;base64," + base64.b64encode(_png_filter_none(_binary_blob(rng))).decode()
        for _ in range(35)
    ]
    width, height = size
    out = []
    for i in range(count):
        items = []
        for k in range(masks):
            h, w = (int(v) for v in rng.integers(200, 300, 2))
            y0, x0 = int(rng.integers(0, 1000 - h)), int(rng.integers(0, 1000 - w))
            items.append(
                {
                    "box_2d": [y0, x0, y0 + h, x0 + w],
                    "label": f"object {k}",
                    "mask": pngs[int(rng.integers(len(pngs)))],
                }
            )
        text = "```json\n" + json.dumps(items) + "\n```"
        out.append({"id": i, "width": width, "height": height, "text": text})
    return out


def reference_rows(records: list[dict[str, Any]], threshold: int = 127) -> list[tuple[Any, ...]]:
    """The guide's procedure per mask, in a Python loop: (id, label, box, RLE counts, area)."""
    from PIL import Image
    from pycocotools import mask as coco_mask

    out = []
    for record in records:
        width, height = record["width"], record["height"]
        text = record["text"].strip().removeprefix("```json").removesuffix("```")
        for item in json.loads(text):
            y0, x0, y1, x1 = item["box_2d"]
            y0, y1 = int(y0 / 1000 * height), int(y1 / 1000 * height)
            x0, x1 = int(x0 / 1000 * width), int(x1 / 1000 * width)
            png = base64.b64decode(item["mask"].removeprefix("data:image/png;base64,"))
            grey = Image.open(io.BytesIO(png)).convert("L")
            resized = grey.resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR)
            frame = np.zeros((height, width), dtype=np.uint8, order="F")
            frame[y0:y1, x0:x1] = np.asarray(resized) > threshold
            rle = coco_mask.encode(frame)
            area = int(coco_mask.area(rle))
            out.append((record["id"], item["label"], (x0, y0, x1, y1), rle["counts"], area))
    return out


def run_cases(
    *,
    quick: bool = False,
    only: list[str] | None = None,
    on_row: Callable[[Row], None] | None = None,
) -> list[Row]:
    """Time every case (or those whose name starts with one of ``only``).

    ``on_row`` is called with each row as soon as it is timed (progress).
    """
    from gemini_vision import _numpy_kernels

    try:
        from gemini_vision import _rust as rust_module
    except ImportError:
        rust: Any = None
    else:
        rust = rust_module
    rng = np.random.default_rng(0)
    rows: list[Row] = []

    def wanted(name: str) -> bool:
        return not only or any(name.startswith(prefix) for prefix in only)

    def kernel_row(
        name: str, call: Callable[[Any], Any], reference: Callable[[], Any] | None, ref_name: str
    ) -> None:
        if not wanted(name):
            return
        row = Row(
            name,
            "call",
            None if rust is None else _time(lambda: call(rust), quick=quick),
            _time(lambda: call(_numpy_kernels), quick=quick),
            None if reference is None else _time(reference, quick=quick),
            ref_name,
        )
        rows.append(row)
        if on_row is not None:
            on_row(row)

    from PIL import Image

    grey = _soft_mask(rng, 256)
    png = _png(grey)
    kernel_row(
        "decode_png 256x256 grey",
        lambda k: k.decode_png(png, 1 << 24),
        lambda: np.asarray(Image.open(io.BytesIO(png)).convert("L")),
        "Pillow",
    )
    small = _soft_mask(rng, 64)
    pil_small = Image.fromarray(small)
    kernel_row(
        "resize 64x64 -> 500x400",
        lambda k: k.resize_bilinear(small, 500, 400, 13),
        lambda: np.asarray(pil_small.resize((500, 400), Image.Resampling.BILINEAR)),
        "Pillow",
    )
    pil_grey = Image.fromarray(grey)
    kernel_row(
        "resize+threshold 256x256 -> 192x108",
        lambda k: k.resize_bilinear_threshold(grey, 192, 108, 127, 13),
        lambda: np.asarray(pil_grey.resize((192, 108), Image.Resampling.BILINEAR)) > 127,
        "Pillow + NumPy",
    )
    large = np.ascontiguousarray(grey.repeat(4, 0).repeat(4, 1))
    kernel_row("threshold 1024x1024", lambda k: k.threshold(large, 127), None, "")
    box_mask = np.ascontiguousarray(np.asarray(pil_grey.resize((192, 108))) > 127)
    encode_reference = _coco_encode_reference(box_mask)
    kernel_row(
        "rle_encode 192x108 box in 1920x1080",
        lambda k: k.rle_encode(box_mask, 600, 400, 1080, 1920),
        encode_reference,
        "pycocotools, full frame",
    )
    for row in _batch_rows(quick=quick, wanted=wanted):
        rows.append(row)
        if on_row is not None:
            on_row(row)
    return rows


def _coco_encode_reference(mask: np.ndarray[Any, Any]) -> Callable[[], Any] | None:
    try:
        from pycocotools import mask as coco_mask
    except ImportError:
        return None

    def encode() -> Any:
        frame = np.zeros((1080, 1920), dtype=np.uint8, order="F")
        frame[400 : 400 + mask.shape[0], 600 : 600 + mask.shape[1]] = mask
        return coco_mask.encode(frame)

    return encode


def _batch_call(process: Any, records: list[dict[str, Any]], threads: int | None) -> Any:
    return lambda: process(records, threads=threads)


def _batch_rows(*, quick: bool, wanted: Callable[[str], bool]) -> list[Row]:
    import importlib.util

    import gemini_vision
    from gemini_vision import batch

    count = 20 if quick else 500
    have_coco = importlib.util.find_spec("pycocotools") is not None
    backend = gemini_vision.backend
    rows = []
    # The repo's 64x64 probability maps, and masks shaped like the model's own.
    for workload, make in (("64x64", synthetic_records), ("real-style", real_style_records)):
        name = f"batch {count} records x 10 {workload} masks"
        if not (wanted(name) or wanted("batch")):
            continue
        records = make(count)
        reference = _time(partial(reference_rows, records), quick=quick) if have_coco else None
        for threads, label in ((1, "1 thread"), (None, f"{os.cpu_count()} threads")):
            seconds = _time(_batch_call(batch.process, records, threads), quick=quick)
            per_record = seconds / count
            rows.append(
                Row(
                    f"{name}, {label} ({backend})",
                    "record",
                    per_record if backend == "rust" else None,
                    per_record if backend == "numpy" else None,
                    None if reference is None else reference / count,
                    "guide's loop + pycocotools",
                )
            )
    return rows
