"""The resumable-upload machine, driven without a network against the emulator's file store.

An in-process "server" routes the machine's requests to ``FileStore`` (the same
code the emulator serves over HTTP), and a fault schedule decides, per request,
whether the request is lost before the server sees it, answered 503, cut after
the server processed it (the answer is lost), or cut after the server kept only
part of the chunk. Whatever happens, the upload must end with the server holding
exactly the bytes of the source, or raise.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision.api.endpoints import GeminiApi
from gemini_vision.api.files import start_upload
from gemini_vision.api.upload import (
    BytesSource,
    Finished,
    ResumableUpload,
    Send,
    UploadCancelledError,
    UploadState,
)
from gemini_vision.errors import (
    ConnectError,
    InvalidArgumentError,
    LocalError,
    ProtocolError,
    TransportError,
)
from gemini_vision.testing._files import FileStore
from gemini_vision.testing._protocol import ApiFailure, Incoming
from gemini_vision.wire.files import File
from gemini_vision.wire.http import HttpRequest, HttpResponse

BASE = "https://emulator.test"
API = GeminiApi("k", base_url=BASE)
KIB = 1024

Fault = str  # "ok" | "lost" | "503" | "answer_lost" | "partial"


class InMemoryServer:
    """Routes the machine's requests to a FileStore and applies a fault per request."""

    def __init__(self, store: FileStore, faults: list[Fault] | None = None) -> None:
        self.store = store
        self.faults = list(faults or [])
        self.log: list[HttpRequest] = []

    def handle(self, request: HttpRequest) -> HttpResponse:
        self.log.append(request)
        fault = self.faults.pop(0) if self.faults else "ok"
        target = request.url[len(BASE) :]
        incoming = Incoming.build(request.method, target, request.headers, request.body, BASE)
        if fault == "lost":
            raise ConnectError("injected: the request never arrived")
        if fault == "503":
            return HttpResponse(503, {}, b'{"error": {"code": 503, "status": "UNAVAILABLE"}}')
        if fault == "partial" and incoming.param("upload_id") and request.body:
            keep = len(request.body) // 3
            offset = int(request.headers["x-goog-upload-offset"])
            self.store.receive_partial(
                incoming.param("upload_id") or "", offset, request.body[:keep]
            )
            raise TransportError("injected: connection reset mid-chunk")
        try:
            if incoming.param("upload_id") is None:
                response = self.store.start(incoming, "v1beta")
            else:
                response = self.store.command(incoming, incoming.param("upload_id") or "")
        except ApiFailure as failure:
            response = failure.response()
        if fault == "answer_lost":
            raise TransportError("injected: the answer was lost")
        return response


def drive(machine: ResumableUpload, server: InMemoryServer) -> File | None:
    """The loop every client runs: send what the machine says, feed back what happened."""
    for _ in range(10_000):
        step = machine.next_step()
        if isinstance(step, Finished):
            return step.file
        assert isinstance(step, Send)
        try:
            response = server.handle(step.request)
        except TransportError as error:
            machine.receive_error(error)
            continue
        machine.receive_response(response)
    raise AssertionError("the upload did not finish")


def make(
    data: bytes,
    *,
    chunk: int = 256 * KIB,
    progress: Callable[[int, int], None] | None = None,
    max_interruptions: int = 8,
) -> ResumableUpload:
    return start_upload(
        API,
        BytesSource(data),
        mime_type="application/octet-stream",
        display_name="blob",
        chunk_size=chunk,
        on_progress=progress,
        max_interruptions=max_interruptions,
        backoff=lambda n: 0.0,
    )


def stored(store: FileStore, file: File | None) -> bytes:
    assert file is not None
    return store.content(file.name)


def test_happy_path_sends_granular_chunks_and_finalizes_last() -> None:
    """Chunks are multiples of the granularity, offsets contiguous, the last one finalizes."""
    data = os.urandom(5 * 64 * KIB + 123)
    store = FileStore(granularity=64 * KIB)
    server = InMemoryServer(store)
    acknowledged: list[int] = []
    file = drive(make(data, chunk=100 * KIB, progress=lambda a, t: acknowledged.append(a)), server)
    assert stored(store, file) == data
    chunks = [r for r in server.log if "upload" in r.headers.get("x-goog-upload-command", "")]
    assert [len(r.body) for r in chunks[:-1]] == [64 * KIB] * 5
    assert [r.headers["x-goog-upload-command"] for r in chunks] == ["upload"] * 5 + [
        "upload, finalize"
    ]
    offsets = [int(r.headers["x-goog-upload-offset"]) for r in chunks]
    assert offsets == [i * 64 * KIB for i in range(6)]
    assert acknowledged == [*offsets[1:], len(data)]
    assert file is not None and file.size_bytes == len(data)
    expected_hash = hashlib.sha256(data).digest()
    assert file.sha256_hash is not None
    import base64

    assert base64.b64decode(file.sha256_hash) == expected_hash


def test_start_request_has_the_documented_headers_and_body() -> None:
    """The start request carries the protocol headers, the declared length/type and the name."""
    step = make(b"12345").next_step()
    assert isinstance(step, Send)
    request = step.request
    assert request.url == f"{BASE}/upload/v1beta/files"
    assert request.headers["X-Goog-Upload-Protocol"] == "resumable"
    assert request.headers["X-Goog-Upload-Command"] == "start"
    assert request.headers["X-Goog-Upload-Header-Content-Length"] == "5"
    assert request.headers["X-Goog-Upload-Header-Content-Type"] == "application/octet-stream"
    assert request.headers["x-goog-api-key"] == "k"
    assert request.json() == {"file": {"displayName": "blob"}}


def test_default_chunk_is_8_mib_rounded_to_256_kib() -> None:
    """Without a server granularity, chunk sizes are multiples of 256 KiB (default 8 MiB)."""
    machine = ResumableUpload(BytesSource(b"x"), start_url=f"{BASE}/u", mime_type="a/b")
    assert machine.chunk_size == 8 * 1024 * KIB
    odd = ResumableUpload(
        BytesSource(b"x"), start_url=f"{BASE}/u", mime_type="a/b", chunk_size=300 * KIB
    )
    assert odd.chunk_size == 256 * KIB


def test_an_empty_file_is_refused_before_the_start_request() -> None:
    """A zero-byte source is refused when the machine is made: nothing is sent."""
    with pytest.raises(LocalError, match="empty"):
        make(b"")


@pytest.mark.parametrize(
    ("keyword", "value", "message"),
    [
        ("chunk_size", "8M", "chunk_size: must be an integer number of bytes"),
        ("chunk_size", 2.5, "chunk_size: must be an integer number of bytes"),
        ("display_name", 5, "display_name: must be a string"),
    ],
)
def test_wrong_typed_arguments_are_refused(keyword: str, value: Any, message: str) -> None:
    with pytest.raises(LocalError, match=message):
        ResumableUpload(
            BytesSource(b"x"), start_url=f"{BASE}/u", mime_type="a/b", **{keyword: value}
        )


faults = st.lists(
    st.sampled_from(["ok", "ok", "lost", "503", "answer_lost", "partial"]), max_size=30
)


@given(st.binary(min_size=1, max_size=9 * 4 * KIB), faults)
def test_interruptions_never_lose_or_duplicate_bytes(data: bytes, schedule: list[Fault]) -> None:
    """Under any fault schedule the server ends with exactly the source's bytes."""
    store = FileStore(granularity=4 * KIB)
    server = InMemoryServer(store, schedule)
    machine = make(data, chunk=8 * KIB, max_interruptions=len(schedule) + 1)
    file = drive(machine, server)
    assert machine.state is UploadState.DONE
    assert hashlib.sha256(stored(store, file)).digest() == hashlib.sha256(data).digest()
    # Every chunk started exactly where the server said it was.
    sizes_seen = [
        int(r.headers["x-goog-upload-offset"])
        for r in server.log
        if r.headers.get("x-goog-upload-offset")
    ]
    assert all(0 <= offset <= len(data) for offset in sizes_seen)


def test_interruption_leads_to_a_query_then_resumes_from_the_server_offset() -> None:
    """After a lost answer the machine asks, and continues after what the server kept."""
    data = os.urandom(3 * 4 * KIB)
    store = FileStore(granularity=4 * KIB)
    server = InMemoryServer(store, ["ok", "ok", "partial"])
    drive(make(data, chunk=4 * KIB), server)
    commands = [r.headers.get("x-goog-upload-command") for r in server.log]
    assert commands[:4] == ["start", "upload", "upload", "query"]
    resumed = server.log[4]
    assert int(resumed.headers["x-goog-upload-offset"]) == 4 * KIB + 4 * KIB // 3


def test_too_many_interruptions_raise_the_last_error() -> None:
    """A server that never answers makes the upload fail, not loop."""
    server = InMemoryServer(FileStore(), ["ok"] + ["lost"] * 10)
    machine = make(b"x" * 10, max_interruptions=3)
    with pytest.raises(ConnectError):
        drive(machine, server)
    assert machine.state is UploadState.FAILED


def test_success_needs_the_file_resource() -> None:
    """A 'final' status without a File makes the machine query instead of reporting success."""
    machine = make(b"abc")
    machine.receive_response(HttpResponse(200, {"x-goog-upload-url": f"{BASE}/up?upload_id=1"}))
    machine.next_step()
    machine.receive_response(HttpResponse(200, {"x-goog-upload-status": "final"}))
    step = machine.next_step()
    assert isinstance(step, Send) and step.request.headers["x-goog-upload-command"] == "query"
    machine.receive_response(
        HttpResponse(200, {"x-goog-upload-status": "final"}, b'{"file": {"name": "files/x"}}')
    )
    finished = machine.next_step()
    assert isinstance(finished, Finished) and finished.file is not None
    assert finished.file.name == "files/x"


def test_server_granularity_header_sets_the_chunk_multiple() -> None:
    """The chunk size is rounded down to the server's granularity when it announces one."""
    machine = make(b"x" * 100_000, chunk=100_000)
    machine.receive_response(
        HttpResponse(
            200,
            {
                "x-goog-upload-url": f"{BASE}/u?upload_id=1",
                "x-goog-upload-chunk-granularity": "1000",
            },
        )
    )
    assert machine.chunk_size == 100_000
    step = machine.next_step()
    assert (
        isinstance(step, Send)
        and step.request.headers["x-goog-upload-command"] == "upload, finalize"
    )


def test_cancel_sends_the_cancel_command() -> None:
    """cancel() makes the next request a cancel and ends without a file."""
    store = FileStore(granularity=4 * KIB)
    server = InMemoryServer(store)
    machine = make(os.urandom(12 * KIB), chunk=4 * KIB)
    for _ in range(2):  # start, then one chunk
        step = machine.next_step()
        assert isinstance(step, Send)
        machine.receive_response(server.handle(step.request))
    machine.cancel()
    assert drive(machine, server) is None
    assert server.log[-1].headers["x-goog-upload-command"] == "cancel"
    assert machine.state is UploadState.CANCELLED
    assert next(iter(store.sessions.values())).status == "cancelled"


def test_a_session_cancelled_by_the_server_is_an_error() -> None:
    """If the server reports the session cancelled, the upload raises instead of succeeding."""
    machine = make(b"abc")
    machine.receive_response(HttpResponse(200, {"x-goog-upload-url": f"{BASE}/u?upload_id=1"}))
    machine.next_step()
    with pytest.raises(UploadCancelledError):
        machine.receive_response(HttpResponse(200, {"x-goog-upload-status": "cancelled"}))


def test_client_errors_are_raised_not_retried() -> None:
    """A 400 on a chunk is the server refusing: it raises the ApiError."""
    machine = make(b"abc")
    machine.receive_response(HttpResponse(200, {"x-goog-upload-url": f"{BASE}/u?upload_id=1"}))
    machine.next_step()
    with pytest.raises(InvalidArgumentError, match="bad"):
        machine.receive_response(
            HttpResponse(
                400, {}, b'{"error": {"code": 400, "message": "bad", "status": "INVALID_ARGUMENT"}}'
            )
        )


def test_missing_upload_url_is_a_protocol_error() -> None:
    """A start answer without X-Goog-Upload-URL cannot go on."""
    machine = make(b"abc")
    with pytest.raises(ProtocolError, match="X-Goog-Upload-URL"):
        machine.receive_response(HttpResponse(200, {}))


def test_source_that_shrinks_is_detected() -> None:
    """Reading fewer bytes than promised (the file changed) is a LocalError, not a short upload."""

    class Shrinking(BytesSource):
        def read_at(self, offset: int, length: int) -> bytes:
            return super().read_at(offset, length)[:-1]

    machine = ResumableUpload(Shrinking(b"abcdef"), start_url=f"{BASE}/u", mime_type="a/b")
    machine.receive_response(HttpResponse(200, {"x-goog-upload-url": f"{BASE}/u?upload_id=1"}))
    with pytest.raises(Exception, match="did the file change size"):
        machine.next_step()


def test_upload_requests_are_not_idempotent_but_queries_are() -> None:
    """A generic retry loop may repeat a query, never a chunk."""
    machine = make(b"abc")
    start = machine.next_step()
    assert isinstance(start, Send) and start.request.idempotent
    machine.receive_response(HttpResponse(200, {"x-goog-upload-url": f"{BASE}/u?upload_id=1"}))
    chunk = machine.next_step()
    assert isinstance(chunk, Send) and not chunk.request.idempotent
    machine.receive_error(TransportError("reset"))
    query = machine.next_step()
    assert isinstance(query, Send) and query.request.idempotent
