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
from datetime import datetime, timezone
from typing import Any

from gemini_vision.errors import ApiError, FieldViolation, api_error_class
from gemini_vision.wire import json as wire_json
from gemini_vision.wire.http import REDACTED, Headers, HttpResponse

__all__ = [
    "api_error_from_response",
    "api_error_from_status",
    "parse_duration",
    "parse_retry_after",
    "scrub_secrets",
]

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"
_ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
_BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
_DURATION = re.compile(r"\s*(-?)(\d{1,12})(?:\.(\d{1,9}))?s\s*")
_SECRET_PARAMS = re.compile(r"(?i)(?<=[?&])(key|access_token|api_key|token)=[^&\s\"'<>]+")
_API_KEYS = re.compile(r"AIza[0-9A-Za-z_\-]{20,}")
_BEARER = re.compile(r"(?i)(bearer)\s+[A-Za-z0-9._~+/\-]+=*")


def scrub_secrets(text: str) -> str:
    """``text`` with API keys, bearer tokens and credential query values redacted.

    >>> scrub_secrets("GET /v1beta/models?key=AIzaSyA-very-secret-key-123456 failed")
    'GET /v1beta/models?key=<redacted> failed'
    """
    text = _SECRET_PARAMS.sub(rf"\1={REDACTED}", text)
    text = _BEARER.sub(rf"\1 {REDACTED}", text)
    return _API_KEYS.sub(REDACTED, text)


def parse_duration(value: Any) -> float | None:
    """A protobuf ``Duration`` (``"1.5s"`` or ``{"seconds", "nanos"}``) in seconds.

    >>> parse_duration("1.5s"), parse_duration("30s"), parse_duration({"seconds": "2"}), parse_duration("x")
    (1.5, 30.0, 2.0, None)
    """  # noqa: E501
    if isinstance(value, str):
        match = _DURATION.fullmatch(value)
        if not match:
            return None
        sign, seconds, fraction = match.groups()
        total = int(seconds) + (int(fraction.ljust(9, "0")) / 1e9 if fraction else 0.0)
        return -total if sign else total
    if isinstance(value, Mapping):
        try:
            return int(value.get("seconds", 0)) + int(value.get("nanos", 0)) / 1e9
        except (TypeError, ValueError):
            return None
    return None


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_HTTP_DATES = (
    # IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    re.compile(r"[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT"),
    # RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
    re.compile(r"[A-Za-z]+, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT"),
)
_ASCTIME = re.compile(r"[A-Za-z]{3} ([A-Za-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})")


def parse_http_date(value: str) -> float | None:
    """An HTTP date (RFC 9110: IMF-fixdate, RFC 850 or asctime) as a POSIX timestamp.

    >>> parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT")
    784111777.0
    >>> parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), parse_http_date("Sun Nov  6 08:49:37 1994")
    (784111777.0, 784111777.0)
    """  # noqa: E501
    value = value.strip()
    fields: tuple[str, ...] | None = None
    for pattern in _HTTP_DATES:
        match = pattern.fullmatch(value)
        if match:
            day, month, year, hh, mm, ss = match.groups()
            if len(year) == 2:  # RFC 9110: a two-digit year more than 50 years ahead is past
                year = ("19" if int(year) >= 50 else "20") + year
            fields = (year, month, day, hh, mm, ss)
            break
    else:
        match = _ASCTIME.fullmatch(value)
        if match:
            month, day, hh, mm, ss, year = match.groups()
            fields = (year, month, day, hh, mm, ss)
    if fields is None or fields[1].lower() not in _MONTHS:
        return None
    year, month, day, hh, mm, ss = fields
    try:
        moment = datetime(
            int(year), _MONTHS[month.lower()], int(day), int(hh), int(mm), int(ss),
            tzinfo=timezone.utc,
        )  # fmt: skip
    except ValueError:
        return None
    return moment.timestamp()


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or None.

    A number of seconds is used as is. An HTTP date is measured against ``now``
    when given, else against the response's own ``Date`` header (no clock is
    read here); with neither it is unusable and gives None.

    >>> parse_retry_after({"Retry-After": "120"})
    120.0
    >>> parse_retry_after({"Retry-After": "Sun, 06 Nov 1994 08:49:37 GMT",
    ...                    "Date": "Sun, 06 Nov 1994 08:49:07 GMT"})
    30.0
    """
    if not isinstance(headers, Headers):
        headers = Headers(headers)
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    target = parse_http_date(value)
    if target is None:
        return None
    if now is None:
        date = headers.get("date")
        now = parse_http_date(date) if date else None
        if now is None:
            return None
    return max(0.0, target - now)


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
    details = [d for d in raw_details if isinstance(d, Mapping)] if isinstance(
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
