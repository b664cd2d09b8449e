"""``gemini-vision info``: what this installation runs with.

The version, the kernel backend and the SIMD paths its kernels take on this
CPU (and the NumPy twin's answer), Pillow with its text-shaping support (raqm,
FriBiDi, HarfBuzz) and which path the overlay's labels use for right-to-left
and joining scripts, the fonts found for labels, and the optional extras
installed. ``--json`` gives the same as one JSON document.

>>> facts = collect()
>>> sorted(facts)[:3]
['backend', 'cores', 'extras']
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from importlib import metadata
from typing import Any

__all__ = ["EXTRAS", "cmd_info", "collect", "register"]

#: Optional packages and what they enable (distribution name, use).
EXTRAS: tuple[tuple[str, str], ...] = (
    ("pyarrow", "batch tables, Parquet and JSONL input (extra: arrow)"),
    ("pandas", "batch input as DataFrames"),
    ("pycocotools", "COCO reference in tests and bench (extra: coco)"),
    ("supervision", "SpatialResult.to_supervision, batch detections (extra: supervision)"),
    ("httpx", "the httpx transport (extra: httpx)"),
    ("orjson", "faster JSON parsing (extra: fast)"),
    ("python-bidi", "right-to-left labels without raqm (extra: rtl)"),
    ("arabic-reshaper", "joined Arabic-script labels without raqm (extra: rtl)"),
    ("dask", "Dask harness (extra: dask)"),
    ("pyspark", "Spark harness (extra: spark)"),
)

#: What each SIMD feature speeds up in the kernels.
SIMD_USES = {
    "sse2": "mask bit packing, contour classes",
    "avx2": "mask resize (horizontal pass)",
    "ssse3": "base64 decoding",
    "pclmulqdq": "PNG CRC-32",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``info`` on the main parser's subcommands."""
    info = sub.add_parser(
        "info", help="version, backend, SIMD in use, Pillow text shaping, installed extras"
    )
    info.set_defaults(func=cmd_info)


def collect() -> dict[str, Any]:
    """The facts ``info`` prints, as plain JSON values."""
    import gemini_vision
    from gemini_vision import _numpy_kernels
    from gemini_vision.spatial import draw

    try:
        from gemini_vision import _rust

        rust_simd: list[str] | None = _rust.simd_features()
        rust_error = None
    except ImportError as exc:
        rust_simd, rust_error = None, str(exc)
    used = (
        rust_simd
        if gemini_vision.backend == "rust" and rust_simd is not None
        else _numpy_kernels.simd_features()
    )
    return {
        "version": gemini_vision.__version__,
        "python": platform.python_version(),
        "platform": f"{sys.platform} {platform.machine()}",
        "cores": os.cpu_count(),
        "backend": {
            "name": gemini_vision.backend,
            "forced": os.environ.get("GEMINI_VISION_BACKEND") or None,
            "rust_extension": rust_error is None,
            "rust_import_error": rust_error,
        },
        "simd": {
            "in_use": used,
            "uses": {name: SIMD_USES[name] for name in used if name in SIMD_USES},
            "rust": rust_simd,
            "numpy": _numpy_kernels.simd_features(),
        },
        "pillow": _pillow(),
        "labels": {
            "shaping": draw.shaping_path(),
            "fonts": draw.fonts_found(),
        },
        "extras": {name: _version(name) for name, _ in EXTRAS},
    }


def _pillow() -> dict[str, Any]:
    import PIL
    from PIL import features

    def feature(name: str) -> str | None:
        try:
            if features.check_feature(name):
                return features.version_feature(name) or "yes"
        except (ValueError, OSError):
            pass
        return None

    return {
        "version": PIL.__version__,
        "freetype2": features.version_module("freetype2"),
        "raqm": feature("raqm"),
        "fribidi": feature("fribidi"),
        "harfbuzz": feature("harfbuzz"),
    }


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def cmd_info(args: argparse.Namespace) -> int:
    """Print what this installation runs with."""
    from gemini_vision.cli.output import report

    facts = collect()
    report(args, facts, lambda: print(format_info(facts)))
    return 0


def format_info(facts: dict[str, Any]) -> str:
    """The facts as aligned text lines.

    >>> format_info(collect()).splitlines()[0].split()[0]
    'gemini-vision'
    """
    backend, simd, pil, labels = facts["backend"], facts["simd"], facts["pillow"], facts["labels"]
    backend_note = " (forced by GEMINI_VISION_BACKEND)" if backend["forced"] else ""
    if not backend["rust_extension"]:
        backend_note += f" (Rust extension not loaded: {backend['rust_import_error']})"
    in_use = ", ".join(f"{n} ({simd['uses'].get(n, '')})" for n in simd["in_use"]) or "none"
    rust = "-" if simd["rust"] is None else (", ".join(simd["rust"]) or "none")
    lines = [
        ("gemini-vision", facts["version"]),
        ("python", f"{facts['python']} on {facts['platform']}, {facts['cores']} cores"),
        ("backend", f"{backend['name']}{backend_note}"),
        ("SIMD in use", in_use),
        ("SIMD (rust / numpy)", f"{rust} / {', '.join(simd['numpy']) or 'none'}"),
        ("Pillow", pil["version"]),
        ("  freetype2", pil["freetype2"] or "missing (labels use Pillow's bitmap font)"),
        ("  raqm", pil["raqm"] or "missing"),
        ("  fribidi", pil["fribidi"] or "missing"),
        ("  harfbuzz", pil["harfbuzz"] or "missing"),
        ("label shaping", labels["shaping"]),
        ("label fonts", ", ".join(labels["fonts"]) or "Pillow's default only"),
    ]
    for name, use in EXTRAS:
        version = facts["extras"][name]
        lines.append((f"extra {name}", f"{version}  ({use})" if version else f"-  ({use})"))
    width = max(len(key) for key, _ in lines)
    return "\n".join(f"{key.ljust(width)}  {value}" for key, value in lines)
