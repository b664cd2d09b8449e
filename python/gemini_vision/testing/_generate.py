"""The emulator's model methods: scripted ``generateContent`` / ``streamGenerateContent``, and
``countTokens``.

A test scripts the answers of a model with ``Emulator.script(model, answers)``;
each call takes the next one. An answer is a string (the text of one
candidate), a ``GenerateContentResponse`` dict sent as is, or a list of such
dicts sent as the chunks of a stream (a non-streaming call gets them as one
response). A streamed string is split into ``stream_chunks`` pieces. When the
script of a model is used up, the answer is ``DEFAULT_ANSWER``.

``CANNED_SEGMENTATION`` is a spatial answer as the guide shows them: a fenced
JSON list with ``box_2d``, ``label`` and a base64 PNG ``mask`` (built here with
``zlib``, so the emulator needs no imaging library).

>>> script = Scripts()
>>> script.add("gemini-2.5-flash", ["hello"])
>>> script.next("models/gemini-2.5-flash")
'hello'
>>> script.next("models/gemini-2.5-flash") == DEFAULT_ANSWER
True
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import math
import secrets
import struct
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "CANNED_SEGMENTATION",
    "DEFAULT_ANSWER",
    "MODEL_CATALOG",
    "Answer",
    "Scripts",
    "count_tokens",
    "model_key",
    "response_chunks",
    "whole_response",
]

Answer = str | Mapping[str, Any] | Sequence[Mapping[str, Any]]
DEFAULT_ANSWER = "The emulator has no scripted answer for this model."


def _png_gray(width: int, height: int, pixel: Callable[[int, int], int]) -> bytes:
    """A minimal 8-bit greyscale PNG (IHDR, one IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes(pixel(x, y) for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _disc(x: int, y: int) -> int:
    # A soft disc: 255 inside, falling to 0 over the rim, so thresholds matter.
    distance = math.hypot(x - 15.5, y - 15.5)
    return max(0, min(255, int(255 * (14.0 - distance) / 4.0)))


_MASK_PNG = _png_gray(32, 32, _disc)
CANNED_SEGMENTATION = (
    "```json\n"
    + json.dumps(
        [
            {
                "box_2d": [120, 250, 620, 750],
                "mask": "data:image/png;base64," + base64.b64encode(_MASK_PNG).decode(),
                "label": "ball",
            },
            {"box_2d": [700, 100, 950, 400], "label": "shadow"},
        ],
        indent=2,
    )
    + "\n```"
)


def _catalog_entry(model_id: str, display: str, output_limit: int) -> dict[str, Any]:
    return {
        "name": f"models/{model_id}",
        "baseModelId": model_id,
        "version": "001",
        "displayName": display,
        "description": f"{display} (as served by the gemini-vision emulator)",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": output_limit,
        "supportedGenerationMethods": ["generateContent", "countTokens", "createCachedContent"],
        "temperature": 1.0,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2.0,
        "thinking": True,
    }


#: The ``Model`` resources ``models.get``/``models.list`` answer (plus any scripted model).
MODEL_CATALOG: dict[str, dict[str, Any]] = {
    entry["name"]: entry
    for entry in (
        _catalog_entry("gemini-2.5-flash", "Gemini 2.5 Flash", 65536),
        _catalog_entry("gemini-2.5-pro", "Gemini 2.5 Pro", 65536),
        _catalog_entry("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", 65536),
        _catalog_entry("gemini-2.0-flash", "Gemini 2.0 Flash", 8192),
    )
}


def model_key(model: str) -> str:
    """``"gemini-x"`` -> ``"models/gemini-x"``; resource names stay as they are.

    >>> model_key("gemini-2.5-flash"), model_key("tunedModels/t")
    ('models/gemini-2.5-flash', 'tunedModels/t')
    """
    return model if "/" in model else f"models/{model}"


class Scripts:
    """The scripted answers per model, consumed in order; thread-safe."""

    def __init__(self) -> None:
        self._queues: dict[str, list[Answer]] = {}
        self._lock = threading.Lock()

    def add(self, model: str, answers: Sequence[Answer]) -> None:
        """Append answers to a model's script."""
        if isinstance(answers, (str, Mapping)):
            answers = [answers]
        with self._lock:
            self._queues.setdefault(model_key(model), []).extend(answers)

    def has(self, model: str) -> bool:
        """Whether a script was ever set up for ``model``."""
        with self._lock:
            return model_key(model) in self._queues

    def models(self) -> list[str]:
        """The models that have a script, in the order they were first scripted."""
        with self._lock:
            return list(self._queues)

    def next(self, model: str) -> Answer:
        """The next answer for ``model`` (``DEFAULT_ANSWER`` when none is left)."""
        with self._lock:
            queue = self._queues.get(model_key(model))
            return queue.pop(0) if queue else DEFAULT_ANSWER

    def clear(self) -> None:
        """Forget every script."""
        with self._lock:
            self._queues.clear()


def _text_response(text: str, model: str, *, finish: bool, prompt_tokens: int) -> dict[str, Any]:
    candidate: dict[str, Any] = {
        "content": {"role": "model", "parts": [{"text": text}]},
        "index": 0,
    }
    out: dict[str, Any] = {"candidates": [candidate], "modelVersion": model.split("/")[-1]}
    if finish:
        candidate["finishReason"] = "STOP"
        answer_tokens = max(1, math.ceil(len(text) / 4))
        out["usageMetadata"] = {
            "promptTokenCount": prompt_tokens,
            "candidatesTokenCount": answer_tokens,
            "totalTokenCount": prompt_tokens + answer_tokens,
        }
    return out


def whole_response(answer: Answer, model: str, prompt_tokens: int) -> dict[str, Any]:
    """The ``GenerateContentResponse`` of a non-streaming call."""
    if isinstance(answer, str):
        out = _text_response(answer, model, finish=True, prompt_tokens=prompt_tokens)
    elif isinstance(answer, Mapping):
        out = copy.deepcopy(dict(answer))
    else:
        chunks = [copy.deepcopy(dict(chunk)) for chunk in answer]
        out = chunks[-1] if chunks else {}
        texts = [
            part.get("text", "")
            for chunk in chunks
            for candidate in chunk.get("candidates", [])[:1]
            for part in candidate.get("content", {}).get("parts", [])
        ]
        if out.get("candidates"):
            out["candidates"][0].setdefault("content", {})["parts"] = [{"text": "".join(texts)}]
    out.setdefault("responseId", secrets.token_urlsafe(9))
    return out


def response_chunks(
    answer: Answer, model: str, prompt_tokens: int, pieces: int
) -> list[dict[str, Any]]:
    """The chunks of a streaming call (a string is split into ``pieces`` parts)."""
    response_id = secrets.token_urlsafe(9)
    if isinstance(answer, str):
        size = max(1, math.ceil(len(answer) / max(1, pieces)))
        parts = [answer[i : i + size] for i in range(0, len(answer), size)] or [""]
        chunks = [
            _text_response(part, model, finish=i == len(parts) - 1, prompt_tokens=prompt_tokens)
            for i, part in enumerate(parts)
        ]
    elif isinstance(answer, Mapping):
        chunks = [copy.deepcopy(dict(answer))]
    else:
        chunks = [copy.deepcopy(dict(chunk)) for chunk in answer]
    for chunk in chunks:
        chunk.setdefault("responseId", response_id)
    return chunks


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the image header (PNG, JPEG, WebP, HEIF), or None."""
    from gemini_vision.errors import LocalError
    from gemini_vision.images.headers import read_header

    try:
        header = read_header(data)
    except LocalError:
        return None
    return header.width, header.height


ImageTokens = Callable[[int, int, str], int]


def rule_image_tokens(width: int, height: int, model: str) -> int:
    """The model's default rule from ``gemini_vision.tokens``; 258 when it has none.

    Tuned models and moving aliases do not name their base model, so no rule
    is implied; 258 (one tile) is what the API counts for most of them.

    >>> rule_image_tokens(100, 100, "models/gemini-3.6-flash")
    1089
    >>> rule_image_tokens(9, 9, "tunedModels/t")
    258
    """
    from gemini_vision.errors import LocalError
    from gemini_vision.tokens import image_tokens

    try:
        return image_tokens(width, height, model=model.split("/")[-1])
    except LocalError:
        return 258


def count_tokens(body: Mapping[str, Any], model: str, image_tokens: ImageTokens) -> dict[str, Any]:
    """A ``CountTokensResponse``: text at ~4 characters a token, images by ``image_tokens``."""
    request = body.get("generateContentRequest", body)
    contents = request.get("contents", []) if isinstance(request, Mapping) else []
    text_tokens = image_total = 0
    for content in contents if isinstance(contents, list) else []:
        for part in content.get("parts", []) if isinstance(content, Mapping) else []:
            if not isinstance(part, Mapping):
                continue
            if isinstance(part.get("text"), str):
                text_tokens += math.ceil(len(part["text"]) / 4)
            inline = part.get("inlineData") or part.get("inline_data")
            if isinstance(inline, Mapping):
                try:
                    raw = base64.b64decode(str(inline.get("data", "")), validate=False)
                except (binascii.Error, ValueError):
                    raw = b""
                size = _image_size(raw)
                image_total += image_tokens(size[0], size[1], model) if size else 258
            if isinstance(part.get("fileData") or part.get("file_data"), Mapping):
                image_total += 258
    details = [{"modality": "TEXT", "tokenCount": text_tokens}]
    if image_total:
        details.append({"modality": "IMAGE", "tokenCount": image_total})
    return {"totalTokens": text_tokens + image_total, "promptTokensDetails": details}
