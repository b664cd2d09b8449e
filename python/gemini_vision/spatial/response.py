"""The model's text from whatever the caller holds: the text itself, or a response.

``parse`` accepts the text of the answer, or a whole generateContent response
(a ``GenerateContentResponse``, a dict, or its JSON text; google-genai's
``GenerateContentResponse`` and its ``model_dump()`` in either mode, read
through ``wire.sdk``). From a response it
takes the first candidate's text (thoughts excluded: ``.text`` of the wire type)
and its ``finishReason``; MAX_TOKENS means the answer was cut off. A response
that the wire parser refuses (a field of the wrong type) is still read
leniently, with a note, because the answer's text is what matters here.

>>> answer_text({"candidates": [{"content": {"parts": [{"text": "[]"}]},
...                              "finishReason": "MAX_TOKENS"}]})[:2]
('[]', 'MAX_TOKENS')
>>> answer_text("plain text")[:2]
('plain text', None)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gemini_vision.errors import LocalError, ProtocolError
from gemini_vision.spatial.diagnostics import Diagnostic
from gemini_vision.wire.response import GenerateContentResponse
from gemini_vision.wire.sdk import from_sdk, is_sdk_object, plain_json

__all__ = ["answer_text"]


def answer_text(
    value: str | Mapping[str, Any] | GenerateContentResponse,
) -> tuple[str, str | None, list[Diagnostic]]:
    """(text, finishReason, diagnostics) of a model answer or a generateContent response.

    A string is a response only if it is a JSON object with a ``candidates``
    list (or a ``promptFeedback``); any other string is the model's text.

    Raises:
        LocalError: ``value`` is none of those types.
    """
    if isinstance(value, GenerateContentResponse):
        return _from_response(value)
    if is_sdk_object(value):
        return _from_mapping(from_sdk(value))
    if isinstance(value, str):
        stripped = value.lstrip()
        head = stripped[:4096]
        if not stripped.startswith("{") or (
            '"candidates"' not in head and '"promptFeedback"' not in head
        ):
            return value, None, []
        try:
            decoded = json.loads(stripped)
        except (ValueError, RecursionError):
            return value, None, []
        if not isinstance(decoded, dict) or not (
            isinstance(decoded.get("candidates"), list) or "promptFeedback" in decoded
        ):
            return value, None, []
        return _from_mapping(decoded)
    if isinstance(value, Mapping):
        # A model_dump() holds enum members, bytes and datetimes: plain JSON first.
        return _from_mapping(plain_json(value))
    raise LocalError(
        "text must be the model's text (str) or a generateContent response "
        "(gemini_vision's GenerateContentResponse, google-genai's, or a dict), "
        f"got {_qualified(type(value))}"
    )


def _from_mapping(data: Mapping[str, Any]) -> tuple[str, str | None, list[Diagnostic]]:
    try:
        response = GenerateContentResponse.from_owned_json(dict(data))
    except ProtocolError as exc:
        text, finish, diags = _lenient(data)
        note = f"the response does not follow the wire format ({exc}); its text was read anyway"
        return text, finish, [Diagnostic(None, "note", "response_format", note), *diags]
    return _from_response(response)


def _from_response(
    response: GenerateContentResponse,
) -> tuple[str, str | None, list[Diagnostic]]:
    candidates = response.candidates
    diags: list[Diagnostic] = []
    if not candidates:
        feedback = response.prompt_feedback
        blocked = feedback.block_reason if feedback is not None else None
        reason = f" (the prompt was blocked: {blocked})" if blocked else ""
        message = f"the response has no candidate{reason}"
        return "", None, [Diagnostic(None, "rejected", "no_candidate", message)]
    first = candidates[0]
    if len(candidates) > 1:
        diags.append(_many(len(candidates)))
    text = first.text
    if text is None:
        diags.append(_no_text(first.finish_reason))
    return text or "", first.finish_reason, diags


def _lenient(data: Mapping[str, Any]) -> tuple[str, str | None, list[Diagnostic]]:
    """The first candidate's text parts and finishReason, taking what is usable."""
    candidates = data.get("candidates")
    if not isinstance(candidates, list) or not candidates:
        return "", None, [Diagnostic(None, "rejected", "no_candidate", "no candidate")]
    first = candidates[0] if isinstance(candidates[0], Mapping) else {}
    finish = first.get("finishReason")
    finish_reason = finish if isinstance(finish, str) else None
    content = first.get("content")
    parts = content.get("parts") if isinstance(content, Mapping) else None
    texts = [
        part["text"]
        for part in (parts if isinstance(parts, list) else [])
        if isinstance(part, Mapping)
        and isinstance(part.get("text"), str)
        and part.get("thought") is not True
    ]
    diags = [_many(len(candidates))] if len(candidates) > 1 else []
    if not texts:
        diags.append(_no_text(finish_reason))
    return "".join(texts), finish_reason, diags


def _many(count: int) -> Diagnostic:
    return Diagnostic(
        None, "note", "candidates", f"the response has {count} candidates; the first is parsed"
    )


def _no_text(finish_reason: str | None) -> Diagnostic:
    return Diagnostic(
        None,
        "rejected",
        "no_text",
        f"the first candidate has no text (finishReason {finish_reason or 'absent'})",
    )


def _qualified(cls: type) -> str:
    """``bytes``, or ``some.module.Name`` for a type outside the builtins (tells SDKs apart)."""
    module = cls.__module__
    return cls.__name__ if module == "builtins" else f"{module}.{cls.__name__}"
