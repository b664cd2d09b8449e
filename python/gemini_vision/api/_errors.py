"""Turning an error response into an ``ApiError`` (used by the files and tuning flows).

>>> from gemini_vision.wire.http import HttpResponse
>>> err = error_from_response(HttpResponse(404, {}, b'{"error": {"code": 404, "message": "no",'
...                                          b' "status": "NOT_FOUND"}}'))
>>> type(err).__name__, err.message
('NotFoundError', 'no')
"""

from __future__ import annotations

import json
import re
from typing import Any

from gemini_vision.errors import ApiError, api_error_class
from gemini_vision.wire.http import HttpResponse

__all__ = ["RETRYABLE_STATUSES", "error_from_response", "is_retryable_status"]

#: The statuses whose outcome is unknown or temporary (W8).
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_DURATION = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?)s\s*")


def is_retryable_status(status: int) -> bool:
    """Whether a status means "try again".

    >>> is_retryable_status(503), is_retryable_status(400)
    (True, False)
    """
    return status in RETRYABLE_STATUSES


def _retry_delay(details: list[dict[str, Any]], response: HttpResponse) -> float | None:
    for detail in details:
        if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = _DURATION.fullmatch(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    after = response.headers.get("retry-after", "").strip()
    return float(after) if after.isdigit() else None


def error_from_response(response: HttpResponse) -> ApiError:
    """The ``ApiError`` subclass for a non-2xx response (``google.rpc.Status`` or not)."""
    try:
        payload = json.loads(response.body)
    except (ValueError, RecursionError):
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict):
        text = response.body[:200].decode("utf-8", "replace").strip()
        cls = api_error_class(None, response.status)
        return cls(text or f"HTTP {response.status}", http_status=response.status)
    details = [d for d in error.get("details", []) if isinstance(d, dict)]
    status = error.get("status") if isinstance(error.get("status"), str) else None
    code = error.get("code") if isinstance(error.get("code"), int) else None
    reason = next((d.get("reason") for d in details if "reason" in d), None)
    return api_error_class(status, response.status)(
        str(error.get("message", "")),
        code=code,
        status=status,
        details=details,
        retry_delay=_retry_delay(details, response),
        http_status=response.status,
        reason=reason if isinstance(reason, str) else None,
    )
