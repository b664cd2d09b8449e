"""The emulator as a server: routes, key checks, paging, filters, masks and fault injection.

These tests speak raw HTTP (``http.client``) so they check the emulator itself;
the client-level integration tests are in ``test_integration_files_tuning.py``.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from gemini_vision.testing import CANNED_SEGMENTATION, DEFAULT_ANSWER, CutPoint, Emulator

KEY = {"x-goog-api-key": "emulator-key"}
EXAMPLES = {
    "examples": {"examples": [{"textInput": str(i), "output": str(i + 1)} for i in range(8)]}
}


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(tuning_polls=3) as running:
        yield running


def call(
    emulator: Emulator,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    host = urlsplit(emulator.base_url)
    connection = http.client.HTTPConnection(host.hostname or "", host.port, timeout=10)
    payload = json.dumps(body).encode() if body is not None else None
    try:
        connection.request(method, path, payload, {**KEY, **(headers or {})})
        response = connection.getresponse()
        raw = response.read()
        return response.status, dict(response.getheaders()), json.loads(raw) if raw else None
    finally:
        connection.close()


def create(emulator: Emulator, model_id: str | None = None, **fields: Any) -> dict[str, Any]:
    path = "/v1beta/tunedModels" + (f"?tunedModelId={model_id}" if model_id else "")
    body = {"baseModel": "models/gemini-1.5-flash-001", "tuningTask": {"trainingData": EXAMPLES}}
    status, _, operation = call(emulator, "POST", path, {**body, **fields})
    assert status == 200, operation
    return dict(operation)


def test_missing_and_wrong_keys_get_401_and_403(emulator: Emulator) -> None:
    """No key is UNAUTHENTICATED, a wrong one PERMISSION_DENIED with API_KEY_INVALID."""
    status, _, body = call(emulator, "GET", "/v1beta/files", headers={"x-goog-api-key": ""})
    assert (status, body["error"]["status"]) == (401, "UNAUTHENTICATED")
    host = urlsplit(emulator.base_url)
    connection = http.client.HTTPConnection(host.hostname or "", host.port, timeout=10)
    connection.request("GET", "/v1beta/files")
    response = connection.getresponse()
    assert response.status == 401
    assert json.loads(response.read())["error"]["status"] == "UNAUTHENTICATED"
    connection.close()
    status, _, body = call(emulator, "GET", "/v1beta/files", headers={"x-goog-api-key": "nope"})
    assert (status, body["error"]["status"]) == (403, "PERMISSION_DENIED")
    assert body["error"]["details"][0]["reason"] == "API_KEY_INVALID"


def test_unknown_routes_are_404_status_bodies(emulator: Emulator) -> None:
    """Anything outside the surface answers a google.rpc.Status NOT_FOUND."""
    status, _, body = call(emulator, "GET", "/v1beta/nothing/here")
    assert (status, body["error"]["code"], body["error"]["status"]) == (404, 404, "NOT_FOUND")


def test_scripted_answers_are_served_in_order_then_the_default(emulator: Emulator) -> None:
    """generateContent takes the script's answers one by one."""
    emulator.script("gemini-2.5-flash", ["first", CANNED_SEGMENTATION])
    request = {"contents": [{"parts": [{"text": "find the ball"}]}]}
    texts = []
    for _ in range(3):
        status, _, body = call(
            emulator, "POST", "/v1beta/models/gemini-2.5-flash:generateContent", request
        )
        assert status == 200
        texts.append(body["candidates"][0]["content"]["parts"][0]["text"])
    assert texts == ["first", CANNED_SEGMENTATION, DEFAULT_ANSWER]
    assert '"box_2d": [' in CANNED_SEGMENTATION and "data:image/png;base64," in CANNED_SEGMENTATION


def test_stream_is_chunked_sse(emulator: Emulator) -> None:
    """streamGenerateContent?alt=sse sends data: events whose texts join to the answer."""
    emulator.script("gemini-2.5-flash", ["a streamed answer"])
    host = urlsplit(emulator.base_url)
    connection = http.client.HTTPConnection(host.hostname or "", host.port, timeout=10)
    connection.request(
        "POST",
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        json.dumps({"contents": [{"parts": [{"text": "hi"}]}]}),
        KEY,
    )
    response = connection.getresponse()
    assert response.getheader("transfer-encoding") == "chunked"
    events = [
        line[6:] for line in response.read().decode().splitlines() if line.startswith("data: ")
    ]
    connection.close()
    chunks = [json.loads(e) for e in events]
    assert len(chunks) == 3
    assert (
        "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in chunks)
        == "a streamed answer"
    )
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"


def test_count_tokens_counts_images_by_the_rule(emulator: Emulator) -> None:
    """countTokens sizes images from their headers and applies the model's token rule."""
    import base64

    png = base64.b64decode(CANNED_SEGMENTATION.split("base64,")[1].split('"')[0])
    request = {
        "contents": [
            {
                "parts": [
                    {"text": "abcdefgh"},
                    {
                        "inlineData": {
                            "mimeType": "image/png",
                            "data": base64.b64encode(png).decode(),
                        }
                    },
                ]
            }
        ]
    }
    status, _, body = call(emulator, "POST", "/v1beta/models/gemini-2.5-flash:countTokens", request)
    assert status == 200
    assert body["totalTokens"] == 2 + 258  # Gemini API 2.5: the 'single' rule
    _, _, body = call(emulator, "POST", "/v1beta/models/gemini-3.6-flash:countTokens", request)
    # The 32x32 mask under the gemini3 rule: 33 x 33 tiles of 48 px at budget 1120, as measured.
    assert body["promptTokensDetails"] == [
        {"modality": "TEXT", "tokenCount": 2},
        {"modality": "IMAGE", "tokenCount": 1089},
    ]


def test_tuning_operation_advances_to_active_with_snapshots(emulator: Emulator) -> None:
    """Each operations.get runs a slice; after tuning_polls polls the model is ACTIVE."""
    operation = create(emulator, "tuned-one", displayName="One")
    assert operation["name"].startswith("tunedModels/tuned-one/operations/")
    assert "done" not in operation
    total = operation["metadata"]["totalSteps"]
    assert total == 5 * 2  # 5 epochs (default) x ceil(8 examples / batch 4)
    seen = []
    for _ in range(3):
        _, _, operation = call(emulator, "GET", f"/v1beta/{operation['name']}")
        seen.append(operation["metadata"]["completedSteps"])
    assert seen == sorted(seen) and seen[-1] == total
    assert operation["done"] is True
    assert operation["response"]["state"] == "ACTIVE"
    assert len(operation["response"]["tuningTask"]["snapshots"]) == total
    assert "trainingData" not in operation["response"]["tuningTask"]


def test_tuning_failure_on_request(emulator: Emulator) -> None:
    """fail_next_tuning makes the operation end with an error and the model FAILED."""
    emulator.fail_next_tuning("diverged")
    operation = create(emulator, "doomed")
    for _ in range(3):
        _, _, operation = call(emulator, "GET", f"/v1beta/{operation['name']}")
    assert operation["done"] is True and operation["error"]["message"] == "diverged"
    assert call(emulator, "GET", "/v1beta/tunedModels/doomed")[2]["state"] == "FAILED"


def test_create_validates_like_the_reference(emulator: Emulator) -> None:
    """The emulator refuses a bad id, a taken id and empty training data."""
    assert call(emulator, "POST", "/v1beta/tunedModels?tunedModelId=Bad_Id", {})[0] == 400
    create(emulator, "taken")
    status, _, body = call(
        emulator,
        "POST",
        "/v1beta/tunedModels?tunedModelId=taken",
        {"baseModel": "models/m", "tuningTask": {"trainingData": EXAMPLES}},
    )
    assert (status, body["error"]["status"]) == (409, "ALREADY_EXISTS")
    status, _, _ = call(emulator, "POST", "/v1beta/tunedModels", {"baseModel": "models/m"})
    assert status == 400


def test_list_pages_filters_and_refuses_changed_parameters(emulator: Emulator) -> None:
    """Paging returns each model once; a token is tied to the other parameters."""
    for i in range(7):
        emulator.add_tuned_model({"displayName": f"Translator {i}", "description": "words"})
    emulator.add_tuned_model({"displayName": "Public thing"}, owner_me=False, readers_everyone=True)
    names: list[str] = []
    token = ""
    while True:
        query = "pageSize=3&filter=owner%3Ame" + (f"&pageToken={quote(token)}" if token else "")
        status, _, page = call(emulator, "GET", f"/v1beta/tunedModels?{query}")
        assert status == 200
        names += [m["name"] for m in page.get("tunedModels", [])]
        token = page.get("nextPageToken", "")
        if not token:
            break
        bad = call(emulator, "GET", f"/v1beta/tunedModels?pageSize=3&pageToken={quote(token)}")
        assert bad[0] == 400
    assert len(names) == len(set(names)) == 7
    _, _, everyone = call(emulator, "GET", "/v1beta/tunedModels?filter=readers%3Aeveryone")
    assert [m["displayName"] for m in everyone["tunedModels"]] == ["Public thing"]
    _, _, default = call(emulator, "GET", "/v1beta/tunedModels?pageSize=1000")
    assert len(default["tunedModels"]) == 7
    _, _, text = call(emulator, "GET", "/v1beta/tunedModels?filter=translator%206")
    assert [m["displayName"] for m in text["tunedModels"]] == ["Translator 6"]


def test_patch_honours_the_mask(emulator: Emulator) -> None:
    """Only masked fields change; a masked field absent from the body is cleared."""
    name = emulator.add_tuned_model(
        {"displayName": "Old", "description": "keep me", "temperature": 0.3, "topK": 7}
    )
    status, _, model = call(
        emulator,
        "PATCH",
        f"/v1beta/{name}?updateMask=displayName,topK",
        {"displayName": "New", "description": "ignored", "temperature": 0.9},
    )
    assert status == 200
    assert (model["displayName"], model["description"], model["temperature"]) == (
        "New",
        "keep me",
        0.3,
    )
    assert "topK" not in model
    status, _, _ = call(emulator, "PATCH", f"/v1beta/{name}?updateMask=baseModel", {})
    assert status == 400


def test_delete_then_get_is_not_found(emulator: Emulator) -> None:
    """Delete answers {} and the model is gone."""
    name = emulator.add_tuned_model({"displayName": "x"})
    assert call(emulator, "DELETE", f"/v1beta/{name}")[2] == {}
    status, _, body = call(emulator, "GET", f"/v1beta/{name}")
    assert (status, body["error"]["status"]) == (404, "NOT_FOUND")


def test_injected_errors_carry_retry_info(emulator: Emulator) -> None:
    """fail_next answers the status with RetryInfo and Retry-After, then recovers."""
    emulator.faults.fail_next(2, status=429, retry_delay=1.5, retry_after="2", match="/files")
    for _ in range(2):
        status, headers, body = call(emulator, "GET", "/v1beta/files")
        assert status == 429 and headers["Retry-After"] == "2"
        assert body["error"]["details"][0]["retryDelay"] == "1.500s"
    assert call(emulator, "GET", "/v1beta/files")[0] == 200
    assert emulator.faults.pending() == 0


def test_delay_fault_slows_the_answer(emulator: Emulator) -> None:
    """A delay fault holds the answer back (measured only as 'not before')."""
    emulator.faults.delay(0.3)
    started = time.monotonic()
    assert call(emulator, "GET", "/v1beta/files")[0] == 200
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("where", [CutPoint.MID_BODY, CutPoint.BEFORE_RESPONSE])
def test_cut_connections_are_visible_to_the_client(emulator: Emulator, where: CutPoint) -> None:
    """A cut body or a missing response is an error for the client, never a short success."""
    emulator.add_tuned_model({"displayName": "x" * 30, "description": "y" * 200})
    emulator.faults.cut(where, keep=10)
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        call(emulator, "GET", "/v1beta/tunedModels")
    assert call(emulator, "GET", "/v1beta/tunedModels")[0] == 200


def test_mid_stream_cut_leaves_an_incomplete_chunked_body(emulator: Emulator) -> None:
    """After `keep` events the stream stops without its terminating chunk."""
    emulator.script("gemini-2.5-flash", ["one two three four five six"])
    emulator.faults.cut(CutPoint.MID_STREAM, keep=1)
    host = urlsplit(emulator.base_url)
    connection = http.client.HTTPConnection(host.hostname or "", host.port, timeout=10)
    connection.request(
        "POST",
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        json.dumps({"contents": [{"parts": [{"text": "hi"}]}]}),
        KEY,
    )
    response = connection.getresponse()
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        response.read()
    connection.close()


def test_request_size_limit() -> None:
    """A body over max_request_bytes gets 413 without being read."""
    with Emulator(max_request_bytes=1000) as small:
        status, _, _ = call(small, "POST", "/v1beta/tunedModels", {"description": "x" * 2000})
        assert status == 413


def test_stop_closes_idle_keep_alive_connections() -> None:
    """stop() returns promptly even with an idle keep-alive connection open."""
    emulator = Emulator().start()
    host = urlsplit(emulator.base_url)
    idle = socket.create_connection((host.hostname or "", host.port or 0))
    idle.sendall(b"GET /v1beta/files HTTP/1.1\r\nHost: x\r\nx-goog-api-key: emulator-key\r\n\r\n")
    idle.recv(65536)
    stopper = threading.Thread(target=emulator.stop)
    started = time.monotonic()
    stopper.start()
    stopper.join(timeout=10)
    assert not stopper.is_alive()
    assert time.monotonic() - started < 10
    idle.close()


def test_requests_are_recorded_with_secrets_redacted(emulator: Emulator) -> None:
    """The request log counts calls and never holds the key."""
    call(emulator, "GET", "/v1beta/files")
    call(emulator, "GET", "/v1beta/files")
    assert emulator.count("GET", "/v1beta/files") == 2
    assert all("emulator-key" not in repr(r.headers) for r in emulator.requests)


def test_stored_bytes_are_bounded() -> None:
    """Past max_total_bytes an upload chunk gets 429 instead of growing memory."""
    with Emulator(chunk_granularity=4) as small:
        small.files.max_total_bytes = 10
        start = {"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start"}
        status, headers, _ = call(small, "POST", "/upload/v1beta/files", {}, start)
        assert status == 200
        target = headers["X-Goog-Upload-URL"].split(small.base_url, 1)[1]
        host = urlsplit(small.base_url)
        connection = http.client.HTTPConnection(host.hostname or "", host.port, timeout=10)
        connection.request(
            "POST",
            target,
            b"x" * 12,
            {**KEY, "X-Goog-Upload-Command": "upload", "X-Goog-Upload-Offset": "0"},
        )
        assert connection.getresponse().status == 429
        connection.close()
