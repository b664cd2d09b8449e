"""Inflate the masks' zlib streams with each well-kept Rust inflate crate, side by side.

The extension inflates PNG data with one crate (``rust/png/scanlines.rs``);
this measures the candidates on the streams the batch really sees, so the
choice is made by measurement: fdeflate, zlib-rs, libdeflate (``libdeflater``)
and miniz_oxide. It copies ``benches/inflate`` (a small Rust program, not part
of the extension's build) to a temporary directory, builds it in release mode
with cargo, and feeds it the IDAT streams of the two batch workloads of
``benches/test_bench_batch.py`` (real-style masks: 256x256 binary, filter 0,
zlib level 9; 64x64 soft masks, Pillow's encoder) and of the 50 masks of
``benches/test_bench_spatial.py`` (256x256 soft, Pillow's encoder). Run::

    .venv/bin/python benches/inflate_crates.py

Each line: microseconds per stream (best of 50 passes over every stream) and
output MB/s. Every crate's output is checked against fdeflate's.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gemini_vision.cli.bench import real_style_records, synthetic_records


def idat_streams(records: list[dict[str, object]]) -> list[bytes]:
    """The distinct masks' zlib streams (IDAT payloads joined), in first-seen order."""
    seen: dict[str, bytes] = {}
    for record in records:
        text = str(record["text"]).strip().removeprefix("```json").removesuffix("```")
        for item in json.loads(text):
            mask = item["mask"]
            if mask in seen:
                continue
            png = base64.b64decode(mask.removeprefix("data:image/png;base64,"))
            pos, stream = 8, b""
            while pos < len(png):
                (length,) = struct.unpack(">I", png[pos : pos + 4])
                if png[pos + 4 : pos + 8] == b"IDAT":
                    stream += png[pos + 8 : pos + 8 + length]
                pos += 12 + length
            seen[mask] = stream
    return list(seen.values())


def encode(streams: list[bytes]) -> bytes:
    """The program's input: per stream its inflated length, its length, its bytes."""
    return b"".join(struct.pack("<II", len(zlib.decompress(s)), len(s)) + s for s in streams)


def main() -> None:
    if shutil.which("cargo") is None:
        sys.exit("cargo is not on the PATH")
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(Path(__file__).with_name("inflate"), tmp, dirs_exist_ok=True)
        env = {**os.environ, "CARGO_TARGET_DIR": str(Path(tmp) / "target")}
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=tmp, env=env, check=True)
        program = Path(tmp) / "target" / "release" / "inflate-crates"
        from benches.test_bench_spatial import model_answer

        for name, records in (
            ("real-style masks (256x256 binary, filter 0, zlib 9)", real_style_records(200)),
            ("64x64 soft masks (Pillow's encoder)", synthetic_records(200)),
            ("spatial bench: 256x256 soft masks", [{"text": model_answer(1920, 1080)}]),
        ):
            streams = idat_streams(records)
            mean = sum(map(len, streams)) / len(streams)
            print(f"{name}: {len(streams)} streams, {mean:.0f} bytes each on average")
            result = subprocess.run(
                [str(program)], input=encode(streams), capture_output=True, check=True
            )
            print(result.stdout.decode(), end="")


if __name__ == "__main__":
    main()
