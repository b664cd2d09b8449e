"""What ``generateContent`` and ``countTokens`` answer (W4).

Responses are views over the parsed JSON (see ``wire.json``): parsing validates
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

from collections.abc import Mapping
from typing import Any, ClassVar

from gemini_vision.wire.content import Content, FunctionCall, Part
from gemini_vision.wire.json import (
    ANY,
    BOOL,
    FLOAT,
    INT,
    STR,
    Checker,
    WireObject,
    as_int,
    int_field,
    list_field,
    list_of,
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
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "category": STR,
        "probability": STR,
        "blocked": BOOL,
        "probabilityScore": FLOAT,
        "severity": STR,
        "severityScore": FLOAT,
    }

    category = str_field("category")
    probability = str_field("probability")

    @property
    def blocked(self) -> bool:
        """Whether the content was blocked because of this rating."""
        return self._data.get("blocked") is True


class CitationSource(WireObject):
    """A span of the answer attributed to a source."""

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "startIndex": INT,
        "endIndex": INT,
        "uri": STR,
        "license": STR,
    }

    start_index = int_field("startIndex")
    end_index = int_field("endIndex")
    uri = str_field("uri")
    license = str_field("license")


class CitationMetadata(WireObject):
    """The sources cited by a candidate."""

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "citationSources": list_of(CitationSource._check),
    }

    citation_sources = list_field("citationSources", CitationSource)


class Candidate(WireObject):
    """One answer of the model."""

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "content": Content._check,
        "finishReason": STR,
        "finishMessage": STR,
        "safetyRatings": list_of(SafetyRating._check),
        "citationMetadata": CitationMetadata._check,
        "tokenCount": INT,
        "index": INT,
        "avgLogprobs": FLOAT,
        "groundingMetadata": ANY,
        "groundingAttributions": ANY,
        "logprobsResult": ANY,
        "urlContextMetadata": ANY,
    }

    @property
    def content(self) -> Content | None:
        """The answer's content (absent when the candidate was blocked)."""
        return self._obj("content", Content)

    #: ``STOP``, ``MAX_TOKENS``, ``SAFETY``... (None while a stream is still going).
    finish_reason = str_field("finishReason")

    @property
    def index(self) -> int:
        """The candidate's index (0 when absent, as proto3 omits defaults)."""
        return as_int(self._data.get("index")) or 0

    @property
    def token_count(self) -> int | None:
        """Tokens in this candidate."""
        return as_int(self._data.get("tokenCount"))

    @property
    def safety_ratings(self) -> list[SafetyRating]:
        """Safety ratings of the candidate."""
        return self._list("safetyRatings", SafetyRating)

    @property
    def citation_metadata(self) -> CitationMetadata | None:
        """Cited sources."""
        return self._obj("citationMetadata", CitationMetadata)

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
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "blockReason": STR,
        "safetyRatings": list_of(SafetyRating._check),
    }

    block_reason = str_field("blockReason")
    safety_ratings = list_field("safetyRatings", SafetyRating)


class ModalityTokenCount(WireObject):
    """Tokens of one modality (TEXT, IMAGE, AUDIO, VIDEO, DOCUMENT)."""

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {"modality": STR, "tokenCount": INT}

    modality = str_field("modality")

    @property
    def token_count(self) -> int:
        """Tokens of this modality (0 when absent: proto3 omits zero)."""
        return as_int(self._data.get("tokenCount")) or 0


_DETAILS = list_of(ModalityTokenCount._check)


class UsageMetadata(WireObject):
    """Token accounting of a response (the last stream chunk carries the totals)."""

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "promptTokenCount": INT,
        "cachedContentTokenCount": INT,
        "candidatesTokenCount": INT,
        "toolUsePromptTokenCount": INT,
        "thoughtsTokenCount": INT,
        "totalTokenCount": INT,
        "promptTokensDetails": _DETAILS,
        "cacheTokensDetails": _DETAILS,
        "candidatesTokensDetails": _DETAILS,
        "toolUsePromptTokensDetails": _DETAILS,
    }

    prompt_token_count = int_field("promptTokenCount")
    cached_content_token_count = int_field("cachedContentTokenCount")
    candidates_token_count = int_field("candidatesTokenCount")
    tool_use_prompt_token_count = int_field("toolUsePromptTokenCount")
    thoughts_token_count = int_field("thoughtsTokenCount")
    total_token_count = int_field("totalTokenCount")
    prompt_tokens_details = list_field("promptTokensDetails", ModalityTokenCount)
    cache_tokens_details = list_field("cacheTokensDetails", ModalityTokenCount)
    candidates_tokens_details = list_field("candidatesTokensDetails", ModalityTokenCount)
    tool_use_prompt_tokens_details = list_field("toolUsePromptTokensDetails", ModalityTokenCount)


class GenerateContentResponse(WireObject):
    """The answer of ``generateContent``, or one chunk of ``streamGenerateContent``."""

    __slots__ = ()
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "candidates": list_of(Candidate._check),
        "promptFeedback": PromptFeedback._check,
        "usageMetadata": UsageMetadata._check,
        "modelVersion": STR,
        "responseId": STR,
        "createTime": STR,
    }

    @property
    def candidates(self) -> list[Candidate]:
        """The answers (one unless ``candidateCount`` asked for more)."""
        return self._list("candidates", Candidate)

    @property
    def prompt_feedback(self) -> PromptFeedback | None:
        """Set when the prompt itself was blocked."""
        return self._obj("promptFeedback", PromptFeedback)

    @property
    def usage_metadata(self) -> UsageMetadata | None:
        """Token counts."""
        return self._obj("usageMetadata", UsageMetadata)

    #: The model version that answered.
    model_version = str_field("modelVersion")

    #: The response id.
    response_id = str_field("responseId")

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
    _SPEC: ClassVar[Mapping[str, Checker]] = {
        "totalTokens": INT,
        "cachedContentTokenCount": INT,
        "promptTokensDetails": _DETAILS,
        "cacheTokensDetails": _DETAILS,
    }

    @property
    def total_tokens(self) -> int:
        """Tokens in the prompt (0 when absent: proto3 omits zero)."""
        return as_int(self._data.get("totalTokens")) or 0

    cached_content_token_count = int_field("cachedContentTokenCount")
    prompt_tokens_details = list_field("promptTokensDetails", ModalityTokenCount)
