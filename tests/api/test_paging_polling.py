"""Sans-I/O pagination and polling: every page once with fixed parameters; backoff and timeouts."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision.api.endpoints import GeminiApi
from gemini_vision.api.files import build_list_files, file_name, file_poller, parse_list_files
from gemini_vision.api.operations import Operation, TuningProgress, operation_poller
from gemini_vision.api.pagination import Pager
from gemini_vision.api.polling import Done, Poll, WaitTimeoutError
from gemini_vision.api.tuned_models import build_list_tuned_models, tuned_models_pager
from gemini_vision.errors import (
    InternalError,
    InvalidArgumentError,
    LocalError,
    NotFoundError,
    ProtocolError,
)
from gemini_vision.testing._paging import paginate
from gemini_vision.wire.files import File, FileState
from gemini_vision.wire.http import HttpRequest, HttpResponse

API = GeminiApi("k", base_url="https://h")


def _json(payload: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(status, {"content-type": "application/json"}, json.dumps(payload).encode())


def _serve_list(request: HttpRequest, models: list[dict[str, Any]]) -> HttpResponse:
    """The emulator's own paging rules (tokens tied to the other parameters)."""
    from gemini_vision.testing._protocol import ApiFailure

    query = parse_qs(urlsplit(request.url).query, keep_blank_values=True)
    try:
        page, token = paginate(models, query, default_size=10, max_size=1000)
    except ApiFailure as failure:
        return failure.response()
    payload: dict[str, Any] = {"tunedModels": page}
    if token:
        payload["nextPageToken"] = token
    return _json(payload)


@given(st.integers(0, 60), st.one_of(st.none(), st.integers(1, 25)))
def test_pager_returns_every_item_once(count: int, page_size: int | None) -> None:
    """Across pages each model appears exactly once, in order, whatever the page size."""
    models = [{"name": f"tunedModels/m{i}"} for i in range(count)]
    pager = tuned_models_pager(API, page_size=page_size, filter="owner:me text")
    names: list[str] = []
    while (request := pager.next_request()) is not None:
        assert request.headers["x-goog-api-key"] == "k"
        names += [m.name or "" for m in pager.receive_response(_serve_list(request, models))]
    assert names == [m["name"] for m in models]


def test_follow_up_requests_keep_every_other_parameter() -> None:
    """Only pageToken changes between the first request and the next ones."""
    pager = tuned_models_pager(API, page_size=2, filter="readers:me")
    first = pager.next_request()
    assert first is not None
    pager.receive_response(_json({"tunedModels": [], "nextPageToken": "abc"}))
    second = pager.next_request()
    assert second is not None
    q1, q2 = (parse_qs(urlsplit(r.url).query) for r in (first, second))
    assert q2.pop("pageToken") == ["abc"]
    assert q1 == q2
    assert (second.method, second.headers) == (first.method, first.headers)


def test_a_repeated_token_stops_the_pager() -> None:
    """A server that hands out the same token twice is a protocol error, not an endless loop."""
    pager: Pager[File] = Pager(build_list_files(API), parse=parse_list_files)
    pager.receive_response(_json({"files": [], "nextPageToken": "same"}))
    with pytest.raises(ProtocolError, match="repeated page token"):
        pager.receive_response(_json({"files": [], "nextPageToken": "same"}))


def test_an_error_page_raises_its_api_error() -> None:
    """A 400 (e.g. parameters that do not match the token) raises InvalidArgumentError."""
    pager = tuned_models_pager(API)
    with pytest.raises(InvalidArgumentError):
        pager.receive_response(_json({"error": {"code": 400, "message": "x"}}, 400))


def test_files_page_size_is_bounded() -> None:
    """files.list takes at most 100 per page."""
    with pytest.raises(LocalError, match=r"pageSize: must be at least 0 and at most 100, got 101"):
        build_list_files(API, page_size=101)


def test_page_size_zero_is_the_server_default() -> None:
    """pageSize=0 means the server's default: the parameter is left out."""
    assert "pageSize" not in build_list_files(API, page_size=0).url
    assert "pageSize" not in build_list_tuned_models(API, page_size=0).url
    with pytest.raises(LocalError, match="pageSize: must be an integer"):
        build_list_tuned_models(API, page_size="10")  # type: ignore[arg-type]
    with pytest.raises(LocalError, match="pageToken: must be a string"):
        build_list_files(API, page_token=5)  # type: ignore[arg-type]


def _file(state: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "files/a",
        "state": state,
        "uri": "https://h/v1beta/files/a",
        "mimeType": "image/png",
        **extra,
    }


def test_file_poller_backs_off_until_active() -> None:
    """PROCESSING polls again with a growing delay; ACTIVE ends the wait with the File."""
    seen: list[FileState] = []
    poller = file_poller(
        API,
        File.from_json(_file("PROCESSING")),
        initial_delay=1.0,
        multiplier=2.0,
        max_delay=3.0,
        on_update=lambda f: seen.append(f.state),
    )
    delays = []
    for _ in range(3):
        step = poller.next_step()
        assert isinstance(step, Poll)
        assert step.request.url == "https://h/v1beta/files/a"
        delays.append(step.delay)
        poller.receive_response(_json(_file("PROCESSING")))
    assert delays == [1.0, 2.0, 3.0]
    poller.receive_response(_json(_file("ACTIVE")))
    done = poller.next_step()
    assert isinstance(done, Done) and done.value.is_active
    assert seen == [FileState.PROCESSING] * 4 + [FileState.ACTIVE]


def test_file_poller_raises_the_error_of_a_failed_file() -> None:
    """FAILED raises the ApiError of the file's status."""
    poller = file_poller(API, "files/a")
    with pytest.raises(InternalError, match="files/a failed processing: bad video"):
        poller.receive_response(_json(_file("FAILED", error={"code": 13, "message": "bad video"})))


def test_poller_timeout_counts_the_delays_it_asked_for() -> None:
    """The timeout is enforced on the sum of delays, without a clock."""
    poller = file_poller(API, "a", initial_delay=4.0, multiplier=1.0, timeout=10.0)
    poller.next_step()
    poller.receive_response(_json(_file("PROCESSING")))
    poller.next_step()
    poller.receive_response(_json(_file("PROCESSING")))
    poller.next_step()
    poller.receive_response(_json(_file("PROCESSING")))
    with pytest.raises(WaitTimeoutError, match="files/a was not done after waiting 8 s"):
        poller.next_step()


def test_poll_of_a_missing_file_is_not_found() -> None:
    """A 404 while polling raises NotFoundError."""
    poller = file_poller(API, "a")
    with pytest.raises(NotFoundError):
        poller.receive_response(_json({"error": {"code": 404, "status": "NOT_FOUND"}}, 404))


def test_operation_poller_emits_progress_and_returns_the_model() -> None:
    """Each poll gives a progress event; the done operation's response is the result."""
    events: list[TuningProgress] = []
    name = "tunedModels/m/operations/o"
    poller = operation_poller(
        Operation.from_json({"name": name, "metadata": {"totalSteps": 4}}),
        HttpRequest("GET", f"https://h/v1beta/{name}"),
        on_progress=events.append,
    )
    for completed in (2, 4):
        poller.next_step()
        meta = {
            "totalSteps": 4,
            "completedSteps": completed,
            "snapshots": [{"step": s, "meanLoss": 1.0 / s} for s in range(1, completed + 1)],
        }
        payload: dict[str, Any] = {"name": name, "metadata": meta}
        if completed == 4:
            payload.update(done=True, response={"name": "tunedModels/m", "state": "ACTIVE"})
        poller.receive_response(_json(payload))
    done = poller.next_step()
    assert isinstance(done, Done) and done.value.name == "tunedModels/m"
    assert [(e.completed_steps, e.fraction, e.done) for e in events] == [
        (0, 0.0, False),
        (2, 0.5, False),
        (4, 1.0, True),
    ]
    assert events[-1].latest is not None and events[-1].latest.step == 4


def test_file_names_are_checked() -> None:
    """A file name outside files/{id} is refused before any request."""
    with pytest.raises(LocalError, match=re.escape("name: must be 'files/{id}' or an id")):
        file_name("files/../tunedModels/x")
