"""The sans-I/O machines over every shipped transport against the emulator on loopback (E3).

A few lines of driver per machine stand in for the client here: send what the
machine asks for through the transport, feed back the response or the
transport error. The same machines run under ``Client``/``AsyncClient``.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterator
from typing import Any

import pytest

from gemini_vision.api.endpoints import GeminiApi
from gemini_vision.api.files import start_upload
from gemini_vision.api.operations import operation_poller, parse_operation
from gemini_vision.api.polling import Done, Poller
from gemini_vision.api.tuned_models import (
    build_create_tuned_model,
    build_get_operation,
    tuned_models_pager,
)
from gemini_vision.api.upload import BytesSource, Finished, ResumableUpload
from gemini_vision.errors import TransportError
from gemini_vision.testing import CutPoint, Emulator
from gemini_vision.transports import (
    AsyncHttpxTransport,
    AsyncUrllibTransport,
    HttpxTransport,
    UrllibTransport,
)
from gemini_vision.wire.files import File
from gemini_vision.wire.http import HttpRequest, HttpResponse
from gemini_vision.wire.tuned import Dataset, State, TunedModel, TuningTask

KIB = 1024
GRANULARITY = 64 * KIB


class Sender:
    """One sync or async transport behind a sync ``send`` (one event loop per test)."""

    def __init__(self, kind: str) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        if kind == "urllib":
            self.sync: Any = UrllibTransport(timeout=10)
        elif kind == "httpx":
            self.sync = HttpxTransport(timeout=10)
        else:
            self.loop = asyncio.new_event_loop()
            self.async_ = AsyncHttpxTransport() if kind == "async-httpx" else AsyncUrllibTransport()

    def send(self, request: HttpRequest) -> HttpResponse:
        if self.loop is None:
            response: HttpResponse = self.sync.send(request, timeout=10)
            return response
        return self.loop.run_until_complete(self.async_.send(request, timeout=10))

    def close(self) -> None:
        if self.loop is None:
            close = getattr(self.sync, "close", None)
            if close is not None:
                close()
            return
        aclose = getattr(self.async_, "aclose", None)
        if aclose is not None:
            self.loop.run_until_complete(aclose())
        self.loop.close()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(chunk_granularity=GRANULARITY, tuning_polls=3) as running:
        yield running


@pytest.fixture(params=["urllib", "httpx", "async-httpx", "async-urllib"])
def sender(request: pytest.FixtureRequest) -> Iterator[Sender]:
    made = Sender(request.param)
    yield made
    made.close()


def run_upload(sender: Sender, machine: ResumableUpload) -> File | None:
    while True:
        step = machine.next_step()
        if isinstance(step, Finished):
            return step.file
        try:
            response = sender.send(step.request)
        except TransportError as error:
            machine.receive_error(error)
            continue
        machine.receive_response(response)


def run_poller(sender: Sender, poller: Poller[Any, Any]) -> Any:
    while True:
        step = poller.next_step()
        if isinstance(step, Done):
            return step.value
        poller.receive_response(sender.send(step.request))


def test_upload_interrupted_at_several_points_ends_with_exactly_the_bytes(
    sender: Sender, emulator: Emulator
) -> None:
    """Stall mid-chunk, a 503 on the query, a lost answer, a second stall: sha256 matches."""
    data = os.urandom(7 * GRANULARITY + 999)
    emulator.faults.stop_upload_after(5_000)
    emulator.faults.fail_next(1, status=503, match="upload_id=")
    emulator.faults.cut(CutPoint.BEFORE_RESPONSE, match="upload_id=")
    emulator.faults.stop_upload_after(GRANULARITY + 7)
    api = GeminiApi(emulator.api_key, base_url=emulator.base_url)
    acknowledged: list[int] = []
    machine = start_upload(
        api, BytesSource(data), mime_type="application/octet-stream",
        chunk_size=2 * GRANULARITY, backoff=lambda n: 0.0,
        on_progress=lambda done, total: acknowledged.append(done),
    )  # fmt: skip
    file = run_upload(sender, machine)
    assert file is not None
    assert hashlib.sha256(emulator.file_bytes(file.name)).digest() == hashlib.sha256(data).digest()
    assert acknowledged[-1] == len(data)
    assert emulator.faults.pending() == 0


def test_tuned_model_create_to_active_and_list_pages(sender: Sender, emulator: Emulator) -> None:
    """create -> operation polled to ACTIVE; then every model listed once over pages."""
    api = GeminiApi(emulator.api_key, base_url=emulator.base_url)
    model = TunedModel(
        base_model="models/gemini-1.5-flash-001",
        tuning_task=TuningTask(training_data=Dataset.of([("a", "b")] * 6)),
    )
    operation = parse_operation(sender.send(build_create_tuned_model(api, model)))
    poller = operation_poller(
        operation, build_get_operation(api, operation.name), initial_delay=0.0
    )
    tuned = run_poller(sender, poller)
    assert tuned.state is State.ACTIVE
    for i in range(6):
        emulator.add_tuned_model({"displayName": f"seeded {i}"})
    pager = tuned_models_pager(api, page_size=4)
    names: list[str | None] = []
    while (request := pager.next_request()) is not None:
        names += [m.name for m in pager.receive_response(sender.send(request))]
    assert len(names) == len(set(names)) == 7
