"""Server-sent events for ``streamGenerateContent?alt=sse`` (W6), incrementally.

Theory of operation. ``SseDecoder`` follows the WHATWG event-stream grammar:
bytes are decoded as UTF-8 (invalid sequences replaced), a leading BOM is
dropped, lines end with CRLF, LF or a lone CR (a CR at the end of one chunk and
an LF at the start of the next are one line end), ``field: value`` lines build
an event (one space after the colon is dropped; several ``data`` lines are
joined with ``\\n``), ``:`` lines are comments, and a blank line dispatches the
event. Two deliberate departures: an event still open when the stream ends is
dispatched by ``close()`` (servers omit the final blank line), and lines that
are not SSE fields are kept on the event as ``other_lines`` rather than
dropped, because the API may stop speaking SSE mid-stream and send a raw,
pretty-printed ``google.rpc.Status`` body. Each event (and the line being
read) is bounded by ``max_event_size`` characters (R2).

``StreamParser`` turns events into ``GenerateContentResponse`` chunks. An error
document, framed as SSE or not, becomes an ``ApiError``; it is raised by the
*next* call to ``feed`` or ``close`` so that the chunks before it are always
delivered first. ``merge_chunks`` folds the chunks into one response.

>>> d = SseDecoder()
>>> d.feed(b'data: {"a":\\r\\ndata:1}\\r\\n\\r\\n: comment\\ndata: x')
[SseEvent(data='{"a":\\n1}', event='message', id=None, retry=None, other_lines=())]
>>> d.close()
[SseEvent(data='x', event='message', id=None, retry=None, other_lines=())]
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gemini_vision.api.errors import api_error_from_status
from gemini_vision.errors import GeminiVisionError, ProtocolError
from gemini_vision.wire import codec as wire_json
from gemini_vision.wire.codec import copy_json
from gemini_vision.wire.http import parse_header_int
from gemini_vision.wire.response import GenerateContentResponse

__all__ = ["DEFAULT_MAX_EVENT_SIZE", "SseDecoder", "SseEvent", "StreamParser", "merge_chunks"]

#: Default bound on one event's size, in characters (a chunk may carry an image).
DEFAULT_MAX_EVENT_SIZE = 64 * 1024 * 1024
_LINE_END = re.compile(r"\r\n|\r|\n")
_FIELDS = frozenset({"data", "event", "id", "retry"})


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One dispatched event; ``other_lines`` holds lines that were not SSE fields."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None
    other_lines: tuple[str, ...] = ()


class SseDecoder:
    """Incremental event-stream decoder: ``feed(bytes) -> events``, then ``close()``."""

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        if max_event_size < 1:
            raise ValueError("max_event_size must be positive")
        self.max_event_size = max_event_size
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._partial: list[str] = []
        self._partial_size = 0
        self._started = False
        self._cr_pending = False
        self._closed = False
        self._reset_event()
        self.last_event_id: str | None = None

    def _reset_event(self) -> None:
        self._data: list[str] = []
        self._size = 0
        self._event = ""
        self._retry: int | None = None
        self._other: list[str] = []

    def feed(self, chunk: bytes) -> list[SseEvent]:
        """Decode ``chunk`` and return the events it completed."""
        if self._closed:
            raise ProtocolError("SseDecoder.feed() after close()")
        return self._lines(self._decoder.decode(chunk))

    def close(self) -> list[SseEvent]:
        """End of stream: flush the decoder and dispatch an event left open."""
        if self._closed:
            return []
        events = self._lines(self._decoder.decode(b"", final=True))
        self._closed = True
        if self._partial:
            line = "".join(self._partial)
            self._partial, self._partial_size = [], 0
            self._line(line, events)
        self._dispatch(events)
        return events

    def _lines(self, text: str) -> list[SseEvent]:
        events: list[SseEvent] = []
        if not self._started and text:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]
        if self._cr_pending and text.startswith("\n"):
            text = text[1:]  # the LF of a CRLF split across two chunks
        if text:
            self._cr_pending = text.endswith("\r")
        start = 0
        for match in _LINE_END.finditer(text):
            piece = text[start : match.start()]
            if self._partial:
                self._partial.append(piece)
                piece = "".join(self._partial)
                self._partial, self._partial_size = [], 0
            self._check_size(len(piece))
            self._line(piece, events)
            start = match.end()
        if start < len(text):
            rest = text[start:]
            self._partial.append(rest)
            self._partial_size += len(rest)
            self._check_size(self._partial_size)
        return events

    def _check_size(self, line_size: int) -> None:
        if self._size + line_size > self.max_event_size:
            raise ProtocolError(
                f"an SSE event exceeds {self.max_event_size} characters (max_event_size)"
            )

    def _line(self, line: str, events: list[SseEvent]) -> None:
        if not line:
            self._dispatch(events)
            return
        if line.startswith(":"):
            return
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
            self._size += len(value) + 1
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif field == "retry":
            retry = parse_header_int(value)
            if retry is not None:
                self._retry = retry
        else:
            self._other.append(line)
            self._size += len(line) + 1

    def _dispatch(self, events: list[SseEvent]) -> None:
        if self._data or self._other:
            events.append(
                SseEvent(
                    data="\n".join(self._data),
                    event=self._event or "message",
                    id=self.last_event_id,
                    retry=self._retry,
                    other_lines=tuple(self._other),
                )
            )
        self._reset_event()


class StreamParser:
    """Bytes of an ``alt=sse`` stream in, ``GenerateContentResponse`` chunks out.

    ``feed`` and ``close`` decode at once and return an iterator over the
    chunks completed; if the stream carried an error (an error document, a
    chunk that is not a valid response, an event over the size bound), the
    iterator raises it after yielding every chunk that came before it. An error
    not yet raised that way is raised by the next ``feed``/``close``.

    >>> p = StreamParser()
    >>> [c.text for c in p.feed(b'data: {"candidates": [{"content": {"parts": [{"text": "He"}]}}]}\\n\\n')]
    ['He']
    >>> list(p.feed(b'{\\n  "error": {"code": 503, "status": "UNAVAILABLE", "message": "overloaded"}\\n}\\n'))
    []
    >>> list(p.close())
    Traceback (most recent call last):
    ...
    gemini_vision.errors.UnavailableError: HTTP 503 UNAVAILABLE: overloaded
    """  # noqa: E501

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE, http_status: int = 200):
        self._decoder = SseDecoder(max_event_size)
        self._http_status = http_status
        self._error: GeminiVisionError | None = None
        self._error_raised = False
        self.chunk_count = 0

    def feed(self, data: bytes) -> Iterator[GenerateContentResponse]:
        """Decode ``data``; iterate over the chunks it completed (then any error)."""
        self._raise_pending()
        if self._error is not None:
            return iter(())
        try:
            events = self._decoder.feed(data)
        except ProtocolError as error:
            self._error = error
            events = []
        return self._deliver(self._chunks(events))

    def close(self) -> Iterator[GenerateContentResponse]:
        """End of stream: iterate over the last chunks (then any error)."""
        self._raise_pending()
        if self._error is not None:
            return iter(())
        return self._deliver(self._chunks(self._decoder.close()))

    @property
    def error(self) -> GeminiVisionError | None:
        """The error the stream carried, once found (raised or not)."""
        return self._error

    def _raise_pending(self) -> None:
        if self._error is not None and not self._error_raised:
            self._error_raised = True
            raise self._error

    def _deliver(self, chunks: list[GenerateContentResponse]) -> Iterator[GenerateContentResponse]:
        yield from chunks
        self._raise_pending()

    def _chunks(self, events: Iterable[SseEvent]) -> list[GenerateContentResponse]:
        chunks: list[GenerateContentResponse] = []
        for event in events:
            if self._error is not None:
                break  # nothing after an error is delivered
            try:
                chunks.append(self._parse_event(event))
            except GeminiVisionError as error:
                self._error = error
        return chunks

    def _parse_event(self, event: SseEvent) -> GenerateContentResponse:
        text = event.data
        if event.other_lines:
            # Not SSE (any more): the server may have sent a raw JSON body.
            text = "\n".join([text, *event.other_lines]) if text else "\n".join(event.other_lines)
        try:
            document = wire_json.loads(text.encode())
        except (ValueError, RecursionError):
            preview = " ".join(text[:200].split())
            raise ProtocolError(
                f"stream event {self.chunk_count} is not JSON: {preview!r}"
            ) from None
        error = api_error_from_status(document, self._status_for(document))
        if error is not None:
            raise error
        chunk = GenerateContentResponse.from_owned_json(
            document, path=f"stream chunk {self.chunk_count}: "
        )
        self.chunk_count += 1
        return chunk

    def _status_for(self, document: Any) -> int:
        # A mid-stream error arrives under HTTP 200; its own code says what it is.
        if isinstance(document, dict) and isinstance(document.get("error"), dict):
            code = document["error"].get("code")
            if isinstance(code, int) and not isinstance(code, bool):
                return code
        return self._http_status


def _merge_part(parts: list[dict[str, Any]], part: dict[str, Any]) -> None:
    last = parts[-1] if parts else None
    if (
        last is not None
        and isinstance(part.get("text"), str)
        and isinstance(last.get("text"), str)
        and bool(last.get("thought")) == bool(part.get("thought"))
        and set(part) <= {"text", "thought", "thoughtSignature"}
        and set(last) <= {"text", "thought", "thoughtSignature"}
    ):
        last["text"] += part["text"]
        if "thoughtSignature" in part:
            last["thoughtSignature"] = part["thoughtSignature"]
        return
    parts.append(copy_json(part))


def merge_chunks(chunks: Iterable[GenerateContentResponse]) -> GenerateContentResponse:
    """Fold stream chunks into one response.

    Per candidate index: consecutive text parts are concatenated (thoughts apart
    from answers), other parts (function calls, inline data) appended in order;
    ``finishReason``, safety ratings and token count come from the last chunk
    that has them; citation sources accumulate. Usage metadata, model version
    and response id come from the last chunk that has them.

    >>> a = GenerateContentResponse.from_json({"candidates": [{"content": {"role": "model",
    ...     "parts": [{"text": "Hel"}]}}]})
    >>> b = GenerateContentResponse.from_json({"candidates": [{"content": {"role": "model",
    ...     "parts": [{"text": "lo"}]}, "finishReason": "STOP"}], "usageMetadata": {"totalTokenCount": 3}})
    >>> m = merge_chunks([a, b]); m.text, m.candidates[0].finish_reason, m.usage_metadata.total_token_count
    ('Hello', 'STOP', 3)
    """  # noqa: E501
    merged: dict[str, Any] = {}
    candidates: dict[int, dict[str, Any]] = {}
    for chunk in chunks:
        for key, value in chunk.as_json().items():
            if key != "candidates" and value is not None:
                merged[key] = copy_json(value)
        for candidate in chunk.as_json().get("candidates") or ():
            index = int(candidate.get("index") or 0)
            target = candidates.setdefault(index, {})
            for key, value in candidate.items():
                if key == "content":
                    content = target.setdefault("content", {"parts": []})
                    if value.get("role") is not None:
                        content.setdefault("role", value["role"])
                    for part in value.get("parts") or ():
                        _merge_part(content.setdefault("parts", []), part)
                    for extra_key, extra in value.items():
                        if extra_key not in ("role", "parts"):
                            content[extra_key] = copy_json(extra)
                elif key == "citationMetadata" and isinstance(value, dict):
                    sources = target.setdefault("citationMetadata", {"citationSources": []})
                    sources.setdefault("citationSources", []).extend(
                        copy_json(value.get("citationSources") or [])
                    )
                elif value is not None:
                    target[key] = copy_json(value)
    if candidates:
        merged = {"candidates": [candidates[i] for i in sorted(candidates)], **merged}
    # Every piece was validated in its chunk: this walk only adopts the merged document.
    return GenerateContentResponse.from_owned_json(merged)
