"""Numeric headers and fields read defensively (SPEC R6).

Before: a ``Retry-After`` of 400 digits raised ``OverflowError`` and one of
5,000 digits or ``"²"`` (``"²".isdigit()`` is True) raised ``ValueError`` out of
``RetryPolicy.decide``, ``api_error_from_response``, ``client.generate`` and
``parse_generate_content``. Now a hint is ASCII digits only, clamped to
``MAX_SERVER_DELAY``; anything else is no hint.
"""

from __future__ import annotations

from typing import Any

import pytest

from gemini_vision.api.errors import api_error_from_response, parse_duration
from gemini_vision.api.generate import parse_generate_content
from gemini_vision.api.retry import RetryPolicy
from gemini_vision.api.upload import BytesSource, ResumableUpload
from gemini_vision.client import Client
from gemini_vision.errors import ProtocolError, UnavailableError
from gemini_vision.wire.http import (
    MAX_SERVER_DELAY,
    HttpRequest,
    HttpResponse,
    parse_header_int,
    parse_retry_after,
)

# value -> the hint it must give
HOSTILE = {
    "9" * 400: MAX_SERVER_DELAY,  # float(int(...)) overflowed
    "9" * 5000: MAX_SERVER_DELAY,  # int() refuses > 4300 digits
    "²": None,  # isdigit() but not ASCII
    "١٢": None,  # Arabic-Indic digits: int() would accept them
    "12 ": 12.0,
    "-5": None,
    "": None,
}


def _busy(retry_after: str, body: bytes = b"") -> HttpResponse:
    return HttpResponse(503, {"retry-after": retry_after, "content-type": "text/plain"}, body)


@pytest.mark.parametrize("value", list(HOSTILE))
def test_retry_after_never_raises(value: str) -> None:
    assert parse_retry_after({"Retry-After": value}) == HOSTILE[value]
    error = api_error_from_response(_busy(value))
    assert isinstance(error, UnavailableError) and error.retry_delay == HOSTILE[value]
    with pytest.raises(UnavailableError):
        parse_generate_content(_busy(value))
    request = HttpRequest("POST", "https://h/v1beta/models/m:generateContent", idempotent=True)
    decision = RetryPolicy(seed=1).decide(1, request, response=_busy(value))
    # A clamped one-day hint is above max_delay: the policy stops instead of waiting.
    assert decision.retry is (HOSTILE[value] != MAX_SERVER_DELAY)


@pytest.mark.parametrize("value", ["9" * 400, "9" * 5000, "²"])
def test_client_generate_surfaces_the_api_error(value: str) -> None:
    sent: list[HttpRequest] = []

    class Busy:
        def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
            sent.append(request)
            return _busy(value)

    client = Client("k", transport=Busy(), retry=RetryPolicy(max_attempts=2), sleep=lambda s: None)
    with pytest.raises(UnavailableError):
        client.generate("gemini-2.5-flash", "hi")
    assert 1 <= len(sent) <= 2


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("9" * 12 + "s", MAX_SERVER_DELAY),
        ("9" * 400 + "s", None),
        ("²s", None),
        ("-3s", 0.0),
        ({"seconds": "9" * 5000}, None),
        ({"seconds": 10**400}, None),
        ({"seconds": "1", "nanos": "²"}, None),
        ({"seconds": 2, "nanos": 500_000_000}, 2.5),
        ({"seconds": True}, None),
    ],
)
def test_retry_info_durations(value: Any, seconds: float | None) -> None:
    assert parse_duration(value) == seconds
    body = (
        b'{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [{"@type": '
        b'"type.googleapis.com/google.rpc.RetryInfo", "retryDelay": '
        + (f'"{value}"' if isinstance(value, str) else "null").encode()
        + b"}]}}"
    )
    api_error_from_response(HttpResponse(429, {"content-type": "application/json"}, body))


@pytest.mark.parametrize("received", ["²", "9" * 5000, "1e3", "-1"])
def test_upload_size_received_is_a_protocol_error(received: str) -> None:
    """``X-Goog-Upload-Size-Received`` must be ASCII digits: else ProtocolError, not ValueError."""
    assert parse_header_int(received) is None
    machine = ResumableUpload(BytesSource(b"abc"), start_url="https://h/u", mime_type="a/b")
    machine.next_step()
    machine.receive_response(
        HttpResponse(
            200, {"x-goog-upload-url": "https://h/s", "x-goog-upload-chunk-granularity": "²"}
        )
    )
    machine.next_step()
    with pytest.raises(ProtocolError, match="X-Goog-Upload-Size-Received"):
        machine.receive_response(
            HttpResponse(
                200, {"x-goog-upload-status": "active", "x-goog-upload-size-received": received}
            )
        )
