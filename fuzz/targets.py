"""Fuzz targets (SPEC R5): the parsers that read what the network and the model send.

Each target takes arbitrary bytes and feeds them to one entry point. What the
library documents for bad input -- a ``GeminiVisionError`` subclass, or a
diagnostic recorded in the result -- is a pass; any other exception is a
finding, and so is a result that loses its input without saying so.

``fuzz/run.py`` drives them with atheris (coverage-guided, libFuzzer);
``tests/test_fuzz_smoke.py`` runs each for a few thousand inputs in CI.
The same functions are plain Python, so a finding replays with
``python -c "from fuzz.targets import TARGETS; TARGETS['png'](open('crash', 'rb').read())"``.

>>> sorted(TARGETS)
['extract', 'lane', 'png', 'png_struct', 'sse', 'wire']
>>> TARGETS["extract"](b'[{"box_2d": [0, 0, 500, 500], "label": "a"}]')
"""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tests.png_encoder import CHANNELS, PngSpec, encode

from fuzz.png_struct import build_png
from gemini_vision import masks, spatial
from gemini_vision.api.errors import api_error_from_response
from gemini_vision.api.files import parse_file, parse_list_files
from gemini_vision.api.generate import parse_count_tokens, parse_generate_content
from gemini_vision.api.operations import parse_operation
from gemini_vision.api.sse import StreamParser
from gemini_vision.api.tuned_models import parse_list_tuned_models, parse_tuned_model
from gemini_vision.errors import ApiError, GeminiVisionError, MaskDecodeError
from gemini_vision.spatial.decode import Limits
from gemini_vision.wire.http import HttpResponse

__all__ = ["SEEDS", "TARGETS"]

#: The image size every spatial input is read against (small: masks stay cheap).
IMAGE = (64, 48)


def fuzz_extract(data: bytes) -> None:
    """``spatial.parse`` on any text never raises; every item is an item or a diagnostic."""
    text = data.decode("utf-8", "replace")
    result = spatial.parse(
        text, IMAGE, limits=Limits(max_decoded_bytes=1 << 20, max_png_pixels=1 << 16)
    )
    for item in result.items:
        x0, y0, x1, y1 = item.box if item.box is not None else (0, 0, 0, 0)
        if not (0 <= x0 <= x1 <= IMAGE[0] and 0 <= y0 <= y1 <= IMAGE[1]):
            raise AssertionError(f"box outside the image: {item.box}")


def fuzz_sse(data: bytes) -> None:
    """The stream parser, fed in pieces cut where the input's first byte says."""
    step = 1 + (data[0] if data else 0) % 17
    parser = StreamParser(max_event_size=4096)
    try:
        for start in range(0, len(data), step):
            for _chunk in parser.feed(data[start : start + step]):
                pass
        for _chunk in parser.close():
            pass
    except GeminiVisionError:
        pass


def fuzz_png(data: bytes) -> None:
    """``decode_png`` gives grey pixels or a ``MaskDecodeError``; never more than the limit."""
    try:
        pixels = masks.decode_png(data, max_pixels=1 << 16)
    except MaskDecodeError:
        return
    if pixels.size > 1 << 16 or pixels.ndim != 2:
        raise AssertionError(f"decode_png gave shape {pixels.shape} over the pixel limit")


def _pillow_grey(data: bytes) -> np.ndarray | None:
    """Pillow's ``convert("L")`` of the file, or None when Pillow refuses it."""
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(io.BytesIO(data)) as image:
                return np.asarray(image.convert("L"))
    except Exception:
        return None


def _decode_with(kernels: object, data: bytes) -> np.ndarray | str:
    try:
        return kernels.decode_png(data, 1 << 16)  # type: ignore[attr-defined, no-any-return]
    except MaskDecodeError as exc:
        return type(exc).__name__


def fuzz_png_struct(data: bytes) -> None:
    """Structure-aware PNGs (``fuzz/png_struct.py``), differential: the Rust and
    NumPy decoders agree exactly, and a file they decode, Pillow decodes to the
    same grey pixels."""
    from gemini_vision import _numpy_kernels
    from gemini_vision._backend import kernels

    png = build_png(data)
    ours = _decode_with(kernels, png)
    twin = _decode_with(_numpy_kernels, png)
    if isinstance(ours, str) or isinstance(twin, str):
        if not (isinstance(ours, str) and ours == twin):
            raise AssertionError(f"backends disagree: {ours!r} vs {twin!r}")
        return
    if not np.array_equal(ours, twin):
        raise AssertionError("backends decode different pixels")
    reference = _pillow_grey(png)
    if reference is None or not np.array_equal(ours, reference):
        raise AssertionError(
            f"decoded {ours.shape}, Pillow gave {getattr(reference, 'shape', None)}"
        )


def fuzz_lane(data: bytes) -> None:
    """The batch's fast lane on any bytes: no error; what it takes, ``parse`` reads alike."""
    from gemini_vision._backend import kernels

    sizes = np.array([IMAGE], dtype=np.int64)
    # Bytes that are not UTF-8 become lone surrogates, which the lane never takes.
    text = data.decode("utf-8", "surrogateescape")
    out = kernels.records_to_columns([text], sizes, 127, 13, 1 << 16, 1 << 27, 1 << 26, 1 << 20,
                                     10_000, 1)  # fmt: skip
    taken, cut, _, _, boxes, label_offsets, label_data = out[:7]
    if not taken[0]:
        return
    result = spatial.parse(text, IMAGE)
    expected = [(i.label, *(i.box or ())) for i in result.items]
    labels = label_data.tobytes()
    got = [
        (labels[a:b].decode("utf-8"), *box)
        for a, b, box in zip(label_offsets[:-1], label_offsets[1:], boxes.tolist(), strict=True)
    ]
    # A cut-off answer: the general parser's note, and the item cut inside (2).
    notes = [] if cut[0] == 0 else [(None, "truncated")]
    notes += [(len(got), "truncated")] if cut[0] == 2 else []
    said = [(d.index, d.code) for d in result.diagnostics]
    if got != expected or sorted(said, key=str) != sorted(notes, key=str):
        raise AssertionError(f"the lane read {got!r} {notes}, parse read {expected!r} {said}")


_PARSERS: list[Callable[[HttpResponse], object]] = [
    parse_generate_content,
    parse_count_tokens,
    parse_file,
    parse_list_files,
    parse_operation,
    parse_tuned_model,
    parse_list_tuned_models,
]


def fuzz_wire(data: bytes) -> None:
    """Every response parser on one body; a non-2xx status must become an ``ApiError``."""
    status = 200 if not data or data[0] % 4 else 400 + data[0] % 200
    response = HttpResponse(status, {"content-type": "application/json"}, data[1:])
    if status >= 300:
        if not isinstance(api_error_from_response(response), ApiError):
            raise AssertionError("api_error_from_response did not give an ApiError")
        return
    for parse in _PARSERS:
        with contextlib.suppress(GeminiVisionError):
            parse(response)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "extract": fuzz_extract,
    "lane": fuzz_lane,
    "png": fuzz_png,
    "png_struct": fuzz_png_struct,
    "sse": fuzz_sse,
    "wire": fuzz_wire,
}


def _png(width: int, height: int, colour_type: int, depth: int, interlace: int) -> bytes:
    """A small valid PNG (the test suite's plain encoder), every filter type in turn."""
    channels = CHANNELS[colour_type]
    top = (1 << depth) - 1 if colour_type != 3 else min(15, (1 << depth) - 1)
    pixels = [
        [
            tuple((x * 37 + y * 11 + c * 5) % (top + 1) for c in range(channels))
            for x in range(width)
        ]
        for y in range(height)
    ]
    palette = [(i * 16, 255 - i * 16, i * 7) for i in range(16)] if colour_type == 3 else None
    spec = PngSpec(width, height, colour_type, depth, pixels, bool(interlace), palette,
                   filters=(0, 1, 2, 3, 4))  # fmt: skip
    return encode(spec)


def _lane_answer() -> bytes:
    mask = base64.b64encode(_png(8, 8, 0, 8, 0)).decode()
    item = {"box_2d": [100, 100, 600, 700], "label": "cat", "mask": f"data:image/png;base64,{mask}"}
    return (
        "```json\n" + json.dumps([item, {"box_2d": [0, 0, 100, 100], "label": ""}]) + "\n```"
    ).encode()


def _mask_answer() -> bytes:
    mask = base64.b64encode(_png(8, 8, 0, 8, 0)).decode()
    items = [
        {"box_2d": [100, 100, 600, 700], "label": "cat", "mask": f"data:image/png;base64,{mask}"},
        {"point": [500, 250], "label": "nose"},
        {"box_3d": [0.1, 0.2, 1.5, 0.3, 0.3, 0.3, 0, 0, 45], "label": "box"},
    ]
    return ("Here:\n```json\n" + json.dumps(items) + "\n```").encode()


def _response(text: str) -> dict[str, object]:
    return {
        "candidates": [
            {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
        ],
        "usageMetadata": {"promptTokenCount": 258, "candidatesTokenCount": 12},
    }


_CORPUS = Path(__file__).resolve().parent / "corpus"

#: Valid inputs the fuzzer starts from and mutates, per target.
SEEDS: dict[str, list[bytes]] = {
    "lane": [
        _lane_answer(),
        b'[{"box_2d": [10, 20, 300, 400], "label": "a\\u00e9"},'
        b' {"label": "b", "box_2d": [0, 0, 1000, 1000]}]',
    ],
    "extract": [
        _mask_answer(),
        b'[{"box_2d": [10, 20, 30, 40], "label": "a"}, {"box_2d": [1, 2, 3]}]',
        b'{"points": [{"point": [1, 2], "label": "x"}]',
    ],
    "png": [
        _png(5, 3, c, d, i)
        for c, d in [(0, 1), (0, 8), (0, 16), (2, 8), (3, 4), (4, 8), (6, 16)]
        for i in (0, 1)
    ],
    # Plus the inputs of past findings (fuzz/corpus/png_struct/), kept as regressions.
    "png_struct": [bytes(64), bytes(range(256)), b"\x07" * 200, b"\x00\x03" * 300]
    + [path.read_bytes() for path in sorted(_CORPUS.glob("png_struct/*"))],
    "sse": [
        b"".join(
            b"data: " + json.dumps(_response(t)).encode() + b"\r\n\r\n" for t in ("He", "llo")
        ),
        b'data: {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "slow"}}\n\n',
    ],
    "wire": [
        b"\x01" + json.dumps(_response("hi")).encode(),
        b"\x01" + json.dumps({"name": "files/a", "state": "ACTIVE", "sizeBytes": "12"}).encode(),
        b"\x01"
        + json.dumps(
            {
                "name": "tunedModels/m/operations/o",
                "done": False,
                "metadata": {"totalSteps": 10, "completedSteps": 3},
            }
        ).encode(),
        b"\x00"
        + json.dumps(
            {
                "error": {
                    "code": 429,
                    "status": "RESOURCE_EXHAUSTED",
                    "details": [
                        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}
                    ],
                }
            }
        ).encode(),
    ],
}
