"""The model's text from whatever the caller holds: the text itself, or a response.

``parse`` accepts the text of the answer, or a whole generateContent response
(a dict, or its JSON text). From a response it takes the first candidate's
text parts (thoughts excluded, as the response's ``.text`` accessor does) and
its ``finishReason``; MAX_TOKENS means the answer was cut off.

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

from gemini_vision.errors import LocalError
from gemini_vision.spatial.diagnostics import Diagnostic

__all__ = ["answer_text"]


def answer_text(value: str | Mapping[str, Any]) -> tuple[str, str | None, list[Diagnostic]]:
    """(text, finishReason, diagnostics) of a model answer or a generateContent response.

    A string is a response only if it is a JSON object with a ``candidates``
    list; any other string is the model's text.

    Raises:
        LocalError: ``value`` is neither a string nor a mapping.
    """
    if isinstance(value, str):
        stripped = value.lstrip()
        if not stripped.startswith("{") or '"candidates"' not in stripped[:4096]:
            return value, None, []
        try:
            decoded = json.loads(stripped)
        except (ValueError, RecursionError):
            return value, None, []
        if not isinstance(decoded, dict) or not isinstance(decoded.get("candidates"), list):
            return value, None, []
        return _from_response(decoded)
    if isinstance(value, Mapping):
        return _from_response(value)
    raise LocalError(
        f"text must be the model's text (str) or a generateContent response (dict), "
        f"got {type(value).__name__}"
    )


def _from_response(response: Mapping[str, Any]) -> tuple[str, str | None, list[Diagnostic]]:
    candidates = response.get("candidates")
    if not isinstance(candidates, list) or not candidates:
        reason = _block_reason(response)
        return (
            "",
            None,
            [
                Diagnostic(
                    None, "rejected", "no_candidate", f"the response has no candidate{reason}"
                )
            ],
        )
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
        and not part.get("thought")
    ]
    diags = []
    if len(candidates) > 1:
        diags.append(
            Diagnostic(
                None,
                "note",
                "candidates",
                f"the response has {len(candidates)} candidates; the first one is parsed",
            )
        )
    if not texts:
        diags.append(
            Diagnostic(
                None,
                "rejected",
                "no_text",
                f"the first candidate has no text (finishReason {finish_reason or 'absent'})",
            )
        )
    return "".join(texts), finish_reason, diags


def _block_reason(response: Mapping[str, Any]) -> str:
    feedback = response.get("promptFeedback")
    if isinstance(feedback, Mapping) and isinstance(feedback.get("blockReason"), str):
        return f" (the prompt was blocked: {feedback['blockReason']})"
    return ""
