"""What ``generateContent`` and ``countTokens`` answer (W4).

Responses are views over the parsed JSON (see ``wire.model``): parsing validates
the document once and creates no per-part objects; the accessors below walk
the JSON directly. Fields the library does not know are kept (``extra``) and
re-emitted by ``to_json``; int64 counts that arrive as strings read as ints.

``text`` joins the text parts of the first candidate, thoughts excluded. It is
``None`` when there is no candidate or the candidate has no text part (a blocked
prompt, a pure function call), so "the model said nothing" and "the model said
an empty string" stay distinguishable.

>>> r = GenerateContentResponse.from_json({"candidates": [{"content": {"parts": [
...     {"text": "Let me think", "thought": True}, {"text": "Hello"}, {"text": " world"},
...     {"functionCall": {"name": "f", "args": {"a": 1}}}]}, "finishReason": "STOP"}],
...     "usageMetadata": {"totalTokenCount": "12"}, "futureField": 1})
>>> r.text, r.thoughts, [c.name for c in r.function_calls]
('Hello world', 'Let me think', ['f'])
>>> r.usage_metadata.total_token_count, r.extra
(12, {'futureField': 1})
"""

from __future__ import annotations

from typing import Any

from gemini_vision.wire.content import Content, FunctionCall, Part
from gemini_vision.wire.model import (
    WireObject,
    count_field,
    flag_field,
    float_field,
    int_field,
    json_field,
    list_field,
    object_field,
    str_field,
)

__all__ = [
    "Candidate",
    "CitationMetadata",
    "CitationSource",
    "CountTokensResponse",
    "GenerateContentResponse",
    "ModalityTokenCount",
    "PromptFeedback",
    "SafetyRating",
    "UsageMetadata",
]


class SafetyRating(WireObject):
    """The probability of harm in one category for a piece of content."""

    __slots__ = ()

    category = str_field()
    probability = str_field()
    #: Whether the content was blocked because of this rating.
    blocked = flag_field()
    probability_score = float_field()
    severity = str_field()
    severity_score = float_field()


class CitationSource(WireObject):
    """A span of the answer attributed to a source."""

    __slots__ = ()

    start_index = int_field()
    end_index = int_field()
    uri = str_field()
    license = str_field()


class CitationMetadata(WireObject):
    """The sources cited by a candidate."""

    __slots__ = ()

    citation_sources = list_field(CitationSource)


class Candidate(WireObject):
    """One answer of the model."""

    __slots__ = ()

    #: The answer's content (absent when the candidate was blocked).
    content = object_field(Content)
    #: ``STOP``, ``MAX_TOKENS``, ``SAFETY``... (None while a stream is still going).
    finish_reason = str_field()
    finish_message = str_field()
    #: Safety ratings of the candidate.
    safety_ratings = list_field(SafetyRating)
    #: Cited sources.
    citation_metadata = object_field(CitationMetadata)
    #: Tokens in this candidate.
    token_count = int_field()
    #: The candidate's index (0 when absent, as proto3 omits defaults).
    index = count_field()
    avg_logprobs = float_field()
    grounding_metadata = json_field()
    grounding_attributions = json_field()
    logprobs_result = json_field()
    url_context_metadata = json_field()

    def _raw_parts(self) -> list[dict[str, Any]]:
        content = self._data.get("content")
        parts = content.get("parts") if content else None
        return parts or []

    @property
    def text(self) -> str | None:
        """The text parts joined, thoughts excluded; None when there is no text part."""
        texts = [
            p["text"]
            for p in self._raw_parts()
            if p.get("text") is not None and p.get("thought") is not True
        ]
        return "".join(texts) if texts else None

    @property
    def thoughts(self) -> str | None:
        """The thought parts' text joined; None when there is none."""
        texts = [
            p["text"]
            for p in self._raw_parts()
            if p.get("text") is not None and p.get("thought") is True
        ]
        return "".join(texts) if texts else None

    @property
    def function_calls(self) -> list[FunctionCall]:
        """The function calls, in order."""
        return [
            FunctionCall._wrap(p["functionCall"])
            for p in self._raw_parts()
            if p.get("functionCall") is not None
        ]

    @property
    def parts(self) -> list[Part]:
        """The content's parts (empty when there is no content)."""
        content = self.content
        return content.parts if content is not None else []


class PromptFeedback(WireObject):
    """Why the prompt was blocked, if it was."""

    __slots__ = ()

    block_reason = str_field()
    safety_ratings = list_field(SafetyRating)


class ModalityTokenCount(WireObject):
    """Tokens of one modality (TEXT, IMAGE, AUDIO, VIDEO, DOCUMENT)."""

    __slots__ = ()

    modality = str_field()
    #: Tokens of this modality (0 when absent: proto3 omits zero).
    token_count = count_field()


class UsageMetadata(WireObject):
    """Token accounting of a response (the last stream chunk carries the totals)."""

    __slots__ = ()

    prompt_token_count = int_field()
    cached_content_token_count = int_field()
    candidates_token_count = int_field()
    tool_use_prompt_token_count = int_field()
    thoughts_token_count = int_field()
    total_token_count = int_field()
    prompt_tokens_details = list_field(ModalityTokenCount)
    cache_tokens_details = list_field(ModalityTokenCount)
    candidates_tokens_details = list_field(ModalityTokenCount)
    tool_use_prompt_tokens_details = list_field(ModalityTokenCount)


class GenerateContentResponse(WireObject):
    """The answer of ``generateContent``, or one chunk of ``streamGenerateContent``."""

    __slots__ = ()

    #: The answers (one unless ``candidateCount`` asked for more).
    candidates = list_field(Candidate)
    #: Set when the prompt itself was blocked.
    prompt_feedback = object_field(PromptFeedback)
    #: Token counts.
    usage_metadata = object_field(UsageMetadata)
    #: The model version that answered.
    model_version = str_field()
    #: The response id.
    response_id = str_field()
    create_time = str_field()

    def _first(self) -> Candidate | None:
        candidates = self._data.get("candidates")
        return Candidate._wrap(candidates[0]) if candidates else None

    @property
    def text(self) -> str | None:
        """The first candidate's text, thoughts excluded (None when there is none)."""
        first = self._first()
        return None if first is None else first.text

    @property
    def thoughts(self) -> str | None:
        """The first candidate's thought text (None when there is none)."""
        first = self._first()
        return None if first is None else first.thoughts

    @property
    def function_calls(self) -> list[FunctionCall]:
        """The first candidate's function calls, in order."""
        first = self._first()
        return [] if first is None else first.function_calls


class CountTokensResponse(WireObject):
    """The answer of ``countTokens``.

    >>> CountTokensResponse.from_json({"totalTokens": 31}).total_tokens
    31
    """

    __slots__ = ()

    #: Tokens in the prompt (0 when absent: proto3 omits zero).
    total_tokens = count_field()
    cached_content_token_count = int_field()
    prompt_tokens_details = list_field(ModalityTokenCount)
    cache_tokens_details = list_field(ModalityTokenCount)
