"""One retry budget per operation (SPEC R6).

Before: an upload under persistent 503s made 27 requests and slept 87 s for
``max_attempts=5``: each query went through its own retry loop inside the
upload machine's. Now every request of the upload is sent once and the machine
counts the failures in a row: ``max_attempts`` failed requests, then the error.
"""

from __future__ import annotations

import pytest

from gemini_vision.api.retry import RetryPolicy
from gemini_vision.client import Client
from gemini_vision.errors import UnavailableError
from gemini_vision.wire.http import HttpRequest, HttpResponse


class Busy:
    """Answers 503 to everything but (optionally) the first start."""

    def __init__(self, *, start_ok: bool, retry_after: str | None = None) -> None:
        self.start_ok = start_ok
        self.retry_after = retry_after
        self.sent: list[str] = []

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        command = request.headers.get("x-goog-upload-command") or ""
        self.sent.append(command)
        if self.start_ok and command == "start" and len(self.sent) == 1:
            return HttpResponse(
                200, {"x-goog-upload-url": "https://files.test/u", "x-goog-upload-status": "active"}
            )
        headers = {"retry-after": self.retry_after} if self.retry_after else {}
        return HttpResponse(503, headers)


@pytest.mark.parametrize("attempts", [1, 3, 5])
@pytest.mark.parametrize("start_ok", [True, False])
def test_an_upload_under_persistent_503s_spends_one_budget(attempts: int, start_ok: bool) -> None:
    transport, slept = Busy(start_ok=start_ok), []
    policy = RetryPolicy(max_attempts=attempts, seed=1)
    client = Client("k", base_url="https://files.test", transport=transport, retry=policy,
                    sleep=slept.append)  # fmt: skip
    with pytest.raises(UnavailableError):
        client.upload_file(b"x" * 100, mime_type="text/plain")
    assert len(transport.sent) == attempts + int(start_ok)
    assert len(slept) == attempts - 1
    assert sum(slept) <= (attempts - 1) * policy.max_delay


def test_a_hint_longer_than_max_delay_stops_the_upload() -> None:
    transport, slept = Busy(start_ok=True, retry_after="3600"), []
    policy = RetryPolicy(max_attempts=5, max_delay=60)
    client = Client("k", base_url="https://files.test", transport=transport, retry=policy,
                    sleep=slept.append)  # fmt: skip
    with pytest.raises(UnavailableError):
        client.upload_file(b"x" * 100, mime_type="text/plain")
    assert transport.sent == ["start", "upload, finalize"] and slept == []


def test_a_single_request_spends_max_attempts() -> None:
    sent: list[str] = []

    class Always503:
        def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
            sent.append(request.method)
            return HttpResponse(503)

    slept: list[float] = []
    client = Client("k", transport=Always503(), retry=RetryPolicy(max_attempts=4, seed=2),
                    sleep=slept.append)  # fmt: skip
    with pytest.raises(UnavailableError):
        client.generate("gemini-2.5-flash", "hi")
    assert len(sent) == 4 and len(slept) == 3
