"""Turn error responses into typed exceptions (W7).

A ``google.rpc.Status`` body (``{"error": {"code", "message", "status",
"details"}}``) becomes the ``ApiError`` subclass named by ``status`` (else by
the HTTP code), with ``retry_delay`` from a ``RetryInfo`` detail or, failing
that, from the ``Retry-After`` header. A body that is not such JSON (an HTML
page from a proxy, an empty 502) still gives the class of its HTTP code, with a
message saying what came instead. Credentials that a proxy might echo are
scrubbed from every message.

>>> from gemini_vision.wire.http import HttpResponse
>>> body = (b'{"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED",'
...         b' "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo",'
...         b' "retryDelay": "1.5s"}]}}')
>>> err = api_error_from_response(HttpResponse(429, {"content-type": "application/json"}, body))
>>> type(err).__name__, err.retry_delay, err.status
('ResourceExhaustedError', 1.5, 'RESOURCE_EXHAUSTED')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gemini_vision.errors import ApiError, FieldViolation, api_error_class
from gemini_vision.wire import codec as wire_json
from gemini_vision.wire.http import (
    MAX_SERVER_DELAY,
    REDACTED,
    HttpResponse,
    is_secret_param,
    parse_retry_after,
)

__all__ = [
    "api_error_from_response",
    "api_error_from_status",
    "parse_duration",
    "scrub_json",
    "scrub_secrets",
]

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
_BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
_DURATION = re.compile(r"\s*(-?)([0-9]{1,12})(?:\.([0-9]{1,9}))?s\s*", re.ASCII)
_QUERY_PARAM = re.compile(r"(?<=[?&;])([^=&;#\s\"'<>]+)=([^&;#\s\"'<>]+)")
_API_KEYS = re.compile(r"AIza[0-9A-Za-z_\-]{20,}")
_BEARER = re.compile(r"(?i)(bearer)\s+[A-Za-z0-9._~+/\-]+=*")


def scrub_secrets(text: str) -> str:
    """``text`` with API keys, bearer tokens and credential query values redacted.

    By shape only: the client also removes the credentials it sent by value
    (``api.secrets``) before a response is parsed.

    >>> scrub_secrets("GET /v1beta/models?key=AIzaSyA-very-secret-key-123456 failed")
    'GET /v1beta/models?key=<redacted> failed'
    >>> scrub_secrets("echo ?%6Bey=sk-1&api%5Fkey=sk-2&alt=sse")
    'echo ?%6Bey=<redacted>&api%5Fkey=<redacted>&alt=sse'
    """
    text = _QUERY_PARAM.sub(_redact_param, text)
    text = _BEARER.sub(rf"\1 {REDACTED}", text)
    return _API_KEYS.sub(REDACTED, text)


def parse_duration(value: Any) -> float | None:
    """A protobuf ``Duration`` (``"1.5s"`` or ``{"seconds", "nanos"}``) in seconds.

    ASCII digits only, at most 12 of them for seconds and 9 for the fraction;
    the result is clamped to ``[0, MAX_SERVER_DELAY]`` (a negative wait is no
    wait). Anything else is None, never an exception.

    >>> parse_duration("1.5s"), parse_duration("30s"), parse_duration({"seconds": "2"}), parse_duration("x")
    (1.5, 30.0, 2.0, None)
    >>> parse_duration("999999999999s"), parse_duration({"seconds": "9" * 5000}), parse_duration("²s")
    (86400.0, None, None)
    """  # noqa: E501
    if isinstance(value, str):
        match = _DURATION.fullmatch(value)
        if not match:
            return None
        sign, seconds, fraction = match.groups()
        total = int(seconds) + (int(fraction.ljust(9, "0")) / 1e9 if fraction else 0.0)
        return _clamp_delay(-total if sign else total)
    if isinstance(value, Mapping):
        seconds = _duration_part(value.get("seconds", 0), 12)
        nanos = _duration_part(value.get("nanos", 0), 9)
        if seconds is None or nanos is None:
            return None
        return _clamp_delay(seconds + nanos / 1e9)
    return None


def _duration_part(value: Any, max_digits: int) -> int | None:
    """An int or a string of at most ``max_digits`` ASCII digits (optionally signed)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) < 10**max_digits else None
    if isinstance(value, str):
        digits = value.strip().removeprefix("-")
        if 0 < len(digits) <= max_digits and digits.isascii() and digits.isdigit():
            return int(value)
    return None


def _clamp_delay(seconds: float) -> float:
    return min(max(seconds, 0.0), MAX_SERVER_DELAY)


def _redact_param(match: re.Match[str]) -> str:
    name = match.group(1)
    return f"{name}={REDACTED}" if is_secret_param(name) else match.group(0)


def scrub_json(value: Any) -> Any:
    """A JSON value with ``scrub_secrets`` applied to every string in it (keys too).

    >>> scrub_json([{"url": "https://h/?key=abc", "n": 1}])
    [{'url': 'https://h/?key=<redacted>', 'n': 1}]
    """
    if isinstance(value, str):
        return scrub_secrets(value)
    if isinstance(value, Mapping):
        return {scrub_secrets(str(k)): scrub_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(v) for v in value]
    return value


def api_error_from_status(
    status_json: Any, http_status: int, headers: Mapping[str, str] | None = None
) -> ApiError | None:
    """The ``ApiError`` for a parsed ``{"error": {...}}`` document, or None if it is not one."""
    if isinstance(status_json, list) and len(status_json) == 1:
        status_json = status_json[0]  # the JSON-array stream form wraps it in a list
    if not isinstance(status_json, Mapping) or not isinstance(status_json.get("error"), Mapping):
        return None
    error = status_json["error"]
    code = error.get("code")
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    status = error.get("status") if isinstance(error.get("status"), str) else None
    message = error.get("message") if isinstance(error.get("message"), str) else ""
    raw_details = error.get("details")
    details = [scrub_json(d) for d in raw_details if isinstance(d, Mapping)] if isinstance(
        raw_details, list
    ) else []  # fmt: skip
    retry_delay: float | None = None
    reason: str | None = None
    violations: list[FieldViolation] = []
    for detail in details:
        kind = detail.get("@type")
        if kind == _RETRY_INFO:
            retry_delay = parse_duration(detail.get("retryDelay"))
        elif kind == _ERROR_INFO and isinstance(detail.get("reason"), str):
            reason = detail["reason"]
        elif kind == _BAD_REQUEST and isinstance(detail.get("fieldViolations"), list):
            for violation in detail["fieldViolations"]:
                if isinstance(violation, Mapping):
                    violations.append(
                        FieldViolation(
                            scrub_secrets(str(violation.get("field", ""))),
                            scrub_secrets(str(violation.get("description", ""))),
                        )
                    )
    if retry_delay is None and headers is not None:
        retry_delay = parse_retry_after(headers)
    cls = api_error_class(status, http_status if code is None else code)
    return cls(
        scrub_secrets(message) or f"HTTP {http_status}",
        code=code if code is not None else http_status,
        status=status,
        details=details,
        retry_delay=retry_delay,
        http_status=http_status,
        reason=reason,
        field_violations=violations,
    )


def api_error_from_response(response: HttpResponse) -> ApiError:
    """The ``ApiError`` subclass for a non-2xx response, whatever its body holds.

    >>> err = api_error_from_response(HttpResponse(502, {"content-type": "text/html"},
    ...                               b"<html><body>502 Bad Gateway</body></html>"))
    >>> type(err).__name__, str(err)
    ('UnavailableError', 'HTTP 502: the server answered HTTP 502 with text/html, not a google.rpc.Status JSON body: <html><body>502 Bad Gateway</body></html>')
    """  # noqa: E501
    try:
        document = wire_json.loads(response.body)
    except (ValueError, RecursionError):
        document = None
    error = api_error_from_status(document, response.status, response.headers)
    if error is not None:
        return error
    kind = response.content_type or "no content type"
    preview = _preview(response.body) or "<empty body>"
    message = (
        f"the server answered HTTP {response.status} with {kind}, "
        f"not a google.rpc.Status JSON body: {preview}"
    )
    cls = api_error_class(None, response.status)
    return cls(
        scrub_secrets(message),
        code=response.status,
        http_status=response.status,
        retry_delay=parse_retry_after(response.headers),
    )


def _preview(body: bytes, limit: int = 200) -> str:
    text = body[: limit * 4].decode("utf-8", "replace")[:limit]
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return cleaned + ("…" if len(body) > len(text.encode()) else "")
