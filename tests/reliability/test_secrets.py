"""Secrets by value, not by shape (SPEC R3).

Before: redaction knew only keys shaped like Google's (``AIza...``), so a
proxy echoing its own key put it in ``str(ApiError)``; ``ApiError.details``
was never cleaned; ``%6Bey=`` and ``api%5Fkey=`` reached a cassette in clear;
an upload URL on another host over plain http received the key and the file;
the emulator's request log kept ``?key=`` in clear.
"""

from __future__ import annotations

import contextlib
import json
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from gemini_vision.api.errors import api_error_from_response
from gemini_vision.api.retry import RetryPolicy
from gemini_vision.client import Client
from gemini_vision.errors import ApiError, ConnectError, LocalError, ProtocolError
from gemini_vision.testing import Emulator
from gemini_vision.transports.cassette import RecordingTransport
from gemini_vision.wire.http import HttpRequest, HttpResponse

KEY = "proxy/key+1=x"  # nothing like a Google key, with characters URL-encoding changes


class Echo:
    """A proxy that answers 403 and echoes the key in every form it can."""

    def __init__(self) -> None:
        self.sent: list[HttpRequest] = []

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        self.sent.append(request)
        key = request.headers.get("x-goog-api-key") or ""
        body = {
            "error": {
                "code": 403,
                "status": "PERMISSION_DENIED",
                "message": f"key {key} ({quote(key, safe='')}) is not allowed",
                "details": [{"@type": "x/Debug", "key": key, "url": f"?api_key={quote(key)}"}],
            }
        }
        return HttpResponse(
            403, {"content-type": "application/json", "x-echo": key}, json.dumps(body).encode()
        )


def _leaks(text: str) -> bool:
    return any(form in text for form in (KEY, quote(KEY, safe=""), quote(KEY)))


def test_an_echoed_key_of_any_shape_never_reaches_the_error() -> None:
    client = Client(KEY, base_url="https://proxy.test", transport=Echo(), retry=RetryPolicy(1))
    with pytest.raises(ApiError) as info:
        client.generate("gemini-2.5-flash", "hi")
    error = info.value
    shown = [str(error), repr(error), error.message, json.dumps(error.details), repr(client)]
    assert not any(_leaks(text) for text in shown), shown
    assert "<redacted>" in error.message


def test_details_are_scrubbed_by_shape_too() -> None:
    """A key the client never sent (another's) is still removed when it looks like one."""
    body = json.dumps(
        {
            "error": {
                "code": 400,
                "message": "bad",
                "details": [{"@type": "x", "link": "https://h/?%6Bey=abcdef&alt=1"}],
            }
        }
    ).encode()
    error = api_error_from_response(HttpResponse(400, {"content-type": "application/json"}, body))
    assert error.details[0]["link"] == "https://h/?%6Bey=<redacted>&alt=1"


def test_transport_errors_are_scrubbed() -> None:
    class Refuses:
        def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
            raise ConnectError(f"proxy refused key={KEY}")

    client = Client(KEY, base_url="https://proxy.test", transport=Refuses(), retry=RetryPolicy(1))
    with pytest.raises(ConnectError) as info:
        client.generate("gemini-2.5-flash", "hi")
    assert not _leaks(str(info.value))


@pytest.mark.parametrize("name", ["%6Bey", "api%5Fkey", "KEY", "access%5ftoken"])
def test_percent_encoded_parameter_names_never_reach_a_cassette(name: str, tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    recorder = RecordingTransport(Echo(), path)
    secret = "s3cr3t-value"
    recorder.send(HttpRequest("GET", f"https://h/v1beta/models?{name}={secret}&alt=sse"))
    recorded = path.read_text()
    assert secret not in recorded and "<redacted>" in recorded


def test_a_cassette_scrubs_a_header_key_and_its_url_encodings(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    RecordingTransport(Echo(), path).send(
        HttpRequest("POST", "https://h/x", {"x-goog-api-key": KEY}, b"{}")
    )
    assert not _leaks(path.read_text())


class UploadElsewhere:
    """A server whose start answer sends the upload to another host over plain http."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sent: list[HttpRequest] = []

    def send(self, request: HttpRequest, *, timeout: float | None = None) -> HttpResponse:
        self.sent.append(request)
        return HttpResponse(200, {"x-goog-upload-url": self.url, "x-goog-upload-status": "active"})


@pytest.mark.parametrize(
    "url", ["http://collector.test/steal", "https://other.test/u", "http://files.test/u"]
)
def test_the_key_goes_only_to_the_configured_origin(url: str) -> None:
    transport = UploadElsewhere(url)
    client = Client(KEY, base_url="https://files.test", transport=transport)
    with pytest.raises(ProtocolError, match="the upload URL the server gave is refused"):
        client.upload_file(b"\x89PNG\r\n\x1a\n" + bytes(100), mime_type="image/png")
    assert [r.url.split("/")[2] for r in transport.sent] == ["files.test"]


def test_plain_http_to_another_machine_is_refused_with_a_key() -> None:
    with pytest.raises(LocalError, match="plain http to another machine"):
        Client(KEY, base_url="http://proxy.test")
    Client(KEY, base_url="http://127.0.0.1:9")  # an emulator on this machine
    Client(None, base_url="http://proxy.test")  # no key, nothing to protect


def test_the_emulator_log_never_keeps_a_key() -> None:
    with Emulator(api_key=KEY) as emulator:
        for target in (f"/v1beta/models?key={quote(KEY)}", f"/v1beta/models?%6Bey={quote(KEY)}"):
            request = urllib.request.Request(emulator.base_url + target)
            with contextlib.suppress(OSError):  # an error status is fine: only the log matters
                urllib.request.urlopen(request, timeout=10).read()
        request = urllib.request.Request(
            emulator.base_url + "/v1beta/models", data=KEY.encode(), headers={"x-goog-api-key": KEY}
        )
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=10).read()
        logged = [repr(r) for r in emulator.requests]
    assert len(logged) == 3
    assert not any(_leaks(text) for text in logged), logged
