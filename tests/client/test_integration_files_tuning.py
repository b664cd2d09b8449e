"""End to end on loopback: every shipped transport, sync and async clients, against the emulator.

Each test runs once per client kind: the standard-library transport and the
httpx transport with ``Client``, and httpx and the threaded standard-library
transport with ``AsyncClient`` (wrapped so the scenario reads the same). Sleeps
are recorded, not slept, so backoff shows up as numbers and the tests stay fast.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gemini_vision.api.retry import RetryPolicy
from gemini_vision.api.upload import UploadCancelledError
from gemini_vision.client import AsyncClient, Client
from gemini_vision.errors import (
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    StreamInterruptedError,
    UnavailableError,
)
from gemini_vision.testing import CutPoint, Emulator
from gemini_vision.transports import (
    AsyncHttpxTransport,
    AsyncUrllibTransport,
    HttpxTransport,
    UrllibTransport,
)
from gemini_vision.wire.files import FileState
from gemini_vision.wire.tuned import Dataset, State, TunedModel, TuningTask

KIB = 1024
GRANULARITY = 64 * KIB
KINDS = ["urllib", "httpx", "async-httpx", "async-urllib"]


class SyncView:
    """An ``AsyncClient`` driven from sync code on one event loop (async iterators listed)."""

    def __init__(self, client: AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self._client = client
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            if inspect.isasyncgen(result):
                return self._loop.run_until_complete(_collect(result))
            return self._loop.run_until_complete(result)

        return call


async def _collect(agen: Any) -> list[Any]:
    return [item async for item in agen]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(
        chunk_granularity=GRANULARITY, file_processing_polls=2, tuning_polls=4
    ) as running:
        yield running


@pytest.fixture(params=KINDS)
def client(request: pytest.FixtureRequest, emulator: Emulator) -> Iterator[Any]:
    """A client of each kind, with recorded (not slept) waits in ``client.sleeps``."""
    sleeps: list[float] = []
    policy = RetryPolicy(max_attempts=4, initial=0.05, seed=1)
    common: dict[str, Any] = {
        "api_key": emulator.api_key, "base_url": emulator.base_url, "retry": policy, "timeout": 10,
    }  # fmt: skip
    kind = request.param
    if kind in ("urllib", "httpx"):
        transport = UrllibTransport() if kind == "urllib" else HttpxTransport()
        sync = Client(transport=transport, sleep=sleeps.append, **common)
        sync.sleeps = sleeps  # type: ignore[attr-defined]
        yield sync
        sync.close()
        return
    loop = asyncio.new_event_loop()

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    async_transport = AsyncHttpxTransport() if kind == "async-httpx" else AsyncUrllibTransport()
    async_client = AsyncClient(transport=async_transport, sleep=record, **common)
    view = SyncView(async_client, loop)
    view.sleeps = sleeps  # type: ignore[attr-defined]
    yield view
    loop.run_until_complete(async_client.aclose())
    loop.close()


def _model(**fields: Any) -> TunedModel:
    examples = Dataset.of([(f"input {i}", f"output {i}") for i in range(10)])
    return TunedModel(
        base_model="models/gemini-1.5-flash-001",
        tuning_task=TuningTask(training_data=examples),
        **fields,
    )


# --- files -----------------------------------------------------------------------


def test_interrupted_upload_resumes_and_the_server_holds_exactly_the_bytes(
    client: Any, emulator: Emulator
) -> None:
    """Stalls, lost answers, 503s and resets at several points: the sha256 still matches."""
    data = os.urandom(9 * GRANULARITY + 12_345)
    emulator.faults.stop_upload_after(10_000)  # first chunk: 10,000 bytes kept, then cut
    emulator.faults.fail_next(1, status=503, match="upload_id=")  # the query after it
    emulator.faults.cut(
        CutPoint.BEFORE_RESPONSE, match="upload_id="
    )  # a chunk whose answer is lost
    emulator.faults.stop_upload_after(GRANULARITY + 1)  # a later chunk, cut mid-body
    acknowledged: list[int] = []
    file = client.upload_file(
        data,
        mime_type="application/octet-stream",
        display_name="random.bin",
        chunk_size=2 * GRANULARITY,
        on_progress=lambda done, total: acknowledged.append(done),
    )
    stored = emulator.file_bytes(file.name)
    assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(data).hexdigest()
    assert file.size_bytes == len(data) and file.display_name == "random.bin"
    assert acknowledged[-1] == len(data)
    assert emulator.faults.pending() == 0
    queries = [r for r in emulator.requests if r.headers.get("x-goog-upload-command") == "query"]
    assert len(queries) >= 3


def test_upload_from_a_path_sniffs_the_type_and_waits_until_active(
    client: Any, emulator: Emulator, tmp_path: Any
) -> None:
    """A path is read in chunks; the PNG type is sniffed; the poller waits for ACTIVE."""
    path = tmp_path / "picture.png"
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(3 * GRANULARITY)
    path.write_bytes(png)
    file = client.upload_file(str(path), chunk_size=GRANULARITY)
    assert (file.mime_type, file.display_name, file.state) == (
        "image/png", "picture.png", FileState.PROCESSING
    )  # fmt: skip
    active = client.wait_for_file(file, poll_interval=0.5)
    assert active.state is FileState.ACTIVE
    assert client.sleeps == [0.5, 0.75]  # two polls: the emulator's processing_polls
    assert emulator.file_bytes(file.name) == png
    assert active.part().to_json()["fileData"]["fileUri"] == active.uri


def test_failed_processing_raises_the_file_error(client: Any, emulator: Emulator) -> None:
    """A file that ends FAILED raises the ApiError of its status."""
    emulator.fail_next_file("unsupported codec")
    file = client.upload_file(b"not really a video", mime_type="video/mp4")
    with pytest.raises(InvalidArgumentError, match="unsupported codec"):
        client.wait_for_file(file, poll_interval=0.01)


def test_cancelled_upload_cancels_the_session(client: Any, emulator: Emulator) -> None:
    """should_cancel stops the upload with a cancel command; no file is made."""
    acknowledged: list[int] = []
    with pytest.raises(UploadCancelledError):
        client.upload_file(
            os.urandom(4 * GRANULARITY),
            mime_type="application/octet-stream",
            chunk_size=GRANULARITY,
            on_progress=lambda done, total: acknowledged.append(done),
            should_cancel=lambda: len(acknowledged) >= 2,
        )
    assert emulator.requests[-1].headers["x-goog-upload-command"] == "cancel"
    assert list(client.list_files()) == []


def test_files_list_pages_and_delete(client: Any, emulator: Emulator) -> None:
    """list_files walks every page; delete then get is NotFound."""
    names = {client.upload_file(bytes([i]) * 10, mime_type="text/plain").name for i in range(5)}
    listed = [f.name for f in client.list_files(page_size=2)]
    assert sorted(listed) == sorted(names) and len(listed) == 5
    victim = sorted(names)[0]
    client.delete_file(victim)
    with pytest.raises(NotFoundError):
        client.get_file(victim)


# --- tuned models ------------------------------------------------------------------


def test_tuned_model_goes_from_create_to_active_through_the_poller(
    client: Any, emulator: Emulator
) -> None:
    """create -> Operation -> progress events -> ACTIVE model with snapshots."""
    operation = client.create_tuned_model(_model(display_name="Sentence Translator"))
    assert operation.name.startswith("tunedModels/sentence-translator-")
    events: list[Any] = []
    model = client.wait_for_operation(operation, poll_interval=0.25, on_progress=events.append)
    assert model.state is State.ACTIVE
    steps = [e.completed_steps for e in events]
    assert steps == sorted(steps) and steps[-1] == operation.metadata.total_steps
    assert events[-1].done and events[-1].fraction == 1.0
    assert model.tuning_task is not None
    assert len(model.tuning_task.snapshots) == operation.metadata.total_steps
    assert client.sleeps[:2] == [0.25, 0.375]  # the poller's backoff, recorded
    assert client.get_tuned_model(model.name or "").state is State.ACTIVE


def test_failed_tuning_raises_the_operation_error(client: Any, emulator: Emulator) -> None:
    """An operation that ends with an error raises it."""
    emulator.fail_next_tuning("loss diverged")
    operation = client.create_tuned_model(_model(), tuned_model_id="diverging")
    with pytest.raises(InternalError, match="loss diverged"):
        client.wait_for_operation(operation.name, poll_interval=0.01)


def test_list_returns_every_model_once_across_pages(client: Any, emulator: Emulator) -> None:
    """With a page size of 3, 10 models come back once each; filters are applied."""
    made = {emulator.add_tuned_model({"displayName": f"Model {i}"}) for i in range(10)}
    emulator.add_tuned_model({"displayName": "Shared"}, owner_me=False, readers_everyone=True)
    listed = [m.name for m in client.list_tuned_models(page_size=3, filter="owner:me")]
    assert len(listed) == len(set(listed)) == 10 and set(listed) == made
    shared = [m.display_name for m in client.list_tuned_models(filter="readers:everyone")]
    assert shared == ["Shared"]
    assert emulator.count("GET", "/v1beta/tunedModels") == 4 + 1


def test_patch_changes_only_the_masked_fields(client: Any, emulator: Emulator) -> None:
    """A keyword patch sends one field; a diff patch sends what changed; others stay."""
    name = emulator.add_tuned_model(
        {"displayName": "Old", "description": "kept", "temperature": 0.2, "topK": 4}
    )
    patched = client.patch_tuned_model(name, display_name="New name")
    assert (patched.display_name, patched.description, patched.temperature, patched.top_k) == (
        "New name", "kept", 0.2, 4
    )  # fmt: skip
    before = client.get_tuned_model(name)
    after = client.patch_tuned_model(
        before.replace(top_k=9, description="changed"), original=before
    )
    assert (after.display_name, after.description, after.temperature, after.top_k) == (
        "New name", "changed", 0.2, 9
    )  # fmt: skip
    assert emulator.requests[-1].query.startswith("updateMask=description%2CtopK")


def test_delete_then_get_is_not_found(client: Any, emulator: Emulator) -> None:
    """After delete, get raises NotFoundError."""
    name = emulator.add_tuned_model({"displayName": "temporary"})
    client.delete_tuned_model(name)
    with pytest.raises(NotFoundError):
        client.get_tuned_model(name)


def test_generate_on_a_tuned_model_uses_its_script(client: Any, emulator: Emulator) -> None:
    """tunedModels/*:generateContent answers the tuned model's scripted answer."""
    name = emulator.add_tuned_model({"displayName": "speaker"})
    emulator.script(name, ["tuned answer"])
    assert client.generate(name, "hello").text == "tuned answer"


# --- faults and the retry policy ---------------------------------------------------------


def test_retryable_faults_are_retried_with_the_server_delay(
    client: Any, emulator: Emulator
) -> None:
    """Two 429s with RetryInfo then success: three requests, waits at least the hint."""
    name = emulator.add_tuned_model({"displayName": "x"})
    emulator.faults.fail_next(2, status=429, retry_delay=0.7, match=f"GET /v1beta/{name}")
    assert client.get_tuned_model(name).display_name == "x"
    assert emulator.count("GET", f"/v1beta/{name}") == 3
    assert len(client.sleeps) == 2 and all(s >= 0.7 for s in client.sleeps)


def test_faults_beyond_the_policy_are_surfaced(client: Any, emulator: Emulator) -> None:
    """More 503s than attempts: the last error is raised; a 400 is never retried."""
    emulator.faults.fail_next(10, status=503, match="GET /v1beta/files")
    with pytest.raises(UnavailableError):
        client.get_file("files/abc")
    assert emulator.count("GET", "/v1beta/files/abc") == 4
    emulator.faults.clear()
    emulator.faults.fail_next(1, status=400, match="PATCH /v1beta/tunedModels")
    with pytest.raises(InvalidArgumentError):
        client.patch_tuned_model(emulator.add_tuned_model({}), update_mask=["displayName"])
    assert emulator.count("PATCH") == 1


@pytest.mark.parametrize("fault", ["503", "cut"])
def test_create_without_an_id_is_never_sent_twice(
    client: Any, emulator: Emulator, fault: str
) -> None:
    """A 503 or a lost answer on create-without-id surfaces; the emulator saw one create."""
    if fault == "503":
        emulator.faults.fail_next(1, status=503, match="POST /v1beta/tunedModels")
        expected: type[Exception] = UnavailableError
    else:
        emulator.faults.cut(CutPoint.BEFORE_RESPONSE, match="POST /v1beta/tunedModels")
        expected = StreamInterruptedError
    with pytest.raises(expected):
        client.create_tuned_model(_model(display_name="Only once"))
    assert emulator.count("POST", "/v1beta/tunedModels") == 1


def test_create_with_an_id_is_retried(client: Any, emulator: Emulator) -> None:
    """With a tunedModelId the create is idempotent: a 503 is retried and succeeds."""
    emulator.faults.fail_next(1, status=503, match="POST /v1beta/tunedModels")
    operation = client.create_tuned_model(_model(), tuned_model_id="retried-model")
    assert operation.metadata.tuned_model == "tunedModels/retried-model"
    assert emulator.count("POST", "/v1beta/tunedModels") == 2


def test_a_stream_cut_mid_way_raises_after_the_chunks_before_it(
    client: Any, emulator: Emulator
) -> None:
    """Chunks before the cut arrive; then the interruption is raised, not a silent end."""
    answer = "one two three four five six seven eight nine"
    emulator.script("gemini-2.5-flash", [answer])
    emulator.faults.cut(CutPoint.MID_STREAM, keep=1)
    received: list[str] = []

    def consume() -> None:
        for chunk in client.stream("gemini-2.5-flash", "count"):
            received.append(chunk.text)

    if isinstance(client, SyncView):
        async_client = client._client

        async def consume_async() -> None:
            async for chunk in async_client.stream("gemini-2.5-flash", "count"):
                received.append(chunk.text)

        run: Callable[[], Any] = lambda: client._loop.run_until_complete(consume_async())  # noqa: E731
    else:
        run = consume
    with pytest.raises(StreamInterruptedError):
        run()
    assert received == [answer[: -(-len(answer) // 3)]]  # the first of three chunks


def test_canned_segmentation_parses_to_masks(client: Any, emulator: Emulator) -> None:
    """The emulator's spatial answer goes through generate and spatial.parse to pixel masks."""
    from gemini_vision import spatial
    from gemini_vision.testing import CANNED_SEGMENTATION

    emulator.script("gemini-2.5-flash", [CANNED_SEGMENTATION])
    answer = client.generate("gemini-2.5-flash", "Segment the ball")
    result = spatial.parse(answer, (640, 480))
    assert [item.label for item in result.items] == ["ball", "shadow"]
    ball = result.items[0]
    assert ball.box == (160, 57, 480, 297)  # int(v / 1000 * size) on [120, 250, 620, 750]
    assert ball.mask is not None and 0 < int(ball.mask.sum()) < ball.mask.size
