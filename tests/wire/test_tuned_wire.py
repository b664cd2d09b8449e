"""Tuned-model wire types and builders: JSON round trips, output-only fields, masks, URLs."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision.api.endpoints import GeminiApi
from gemini_vision.api.operations import Operation
from gemini_vision.api.tuned_models import (
    build_delete_tuned_model,
    build_get_operation,
    build_get_tuned_model,
    build_list_tuned_models,
    build_patch_tuned_model,
    changed_fields,
    parse_delete,
    parse_list_tuned_models,
    parse_tuned_model,
    tuned_model_filter,
)
from gemini_vision.errors import LocalError, NotFoundError, ProtocolError
from gemini_vision.wire.http import HttpResponse
from gemini_vision.wire.tuned import State, TunedModel

API = GeminiApi("k", base_url="https://h")

SERVER_MODEL: dict[str, Any] = {
    "name": "tunedModels/sentence-translator-u3b7m",
    "displayName": "Sentence Translator",
    "description": "translates",
    "state": "ACTIVE",
    "createTime": "2024-05-01T10:00:00.123456789Z",
    "updateTime": "2024-05-01T10:05:00+02:00",
    "tuningTask": {
        "startTime": "2024-05-01T10:00:01Z",
        "completeTime": "2024-05-01T10:04:59.5Z",
        "snapshots": [
            {"step": 1, "epoch": 1, "meanLoss": 1.5, "computeTime": "2024-05-01T10:01:00Z"},
            {"step": 2, "epoch": 1, "meanLoss": 0.75, "computeTime": "2024-05-01T10:02:00Z"},
        ],
        "hyperparameters": {"learningRateMultiplier": 1.0, "epochCount": 5, "batchSize": 4},
    },
    "readerProjectNumbers": ["123456789012", "9223372036854775807"],
    "baseModel": "models/gemini-1.5-flash-001",
    "temperature": 0.5,
    "topP": 0.9,
    "topK": 40,
    "futureField": {"kept": True},
}


def _response(payload: Any, status: int = 200) -> HttpResponse:
    import json

    return HttpResponse(status, {"content-type": "application/json"}, json.dumps(payload).encode())


def test_server_model_parses_to_typed_values() -> None:
    """int64 strings become ints, timestamps keep nanoseconds, snapshots are typed."""
    model = TunedModel.from_json(SERVER_MODEL)
    assert model.state is State.ACTIVE
    assert model.reader_project_numbers == (123456789012, 2**63 - 1)
    assert model.create_time is not None and model.create_time.nanos == 123_456_789
    assert model.tuning_task is not None
    assert [s.mean_loss for s in model.tuning_task.snapshots] == [1.5, 0.75]
    assert model.extra == {"futureField": {"kept": True}}


def test_round_trip_keeps_every_field() -> None:
    """from_json(to_json(x)) == x, and unknown fields are written back."""
    model = TunedModel.from_json(SERVER_MODEL)
    again = TunedModel.from_json(model.to_json())
    assert again == model
    assert model.to_json()["futureField"] == {"kept": True}
    assert model.to_json()["readerProjectNumbers"] == ["123456789012", "9223372036854775807"]


def test_output_only_fields_are_never_sent() -> None:
    """A create/patch body leaves out name, state, times, snapshots, source.baseModel."""
    body = TunedModel.from_json(SERVER_MODEL).to_request_json()
    for key in ("name", "state", "createTime", "updateTime"):
        assert key not in body
    assert set(body["tuningTask"]) == {"hyperparameters"}
    source = TunedModel.from_json(
        {"tunedModelSource": {"tunedModel": "tunedModels/a", "baseModel": "models/b"}}
    ).to_request_json()
    assert source["tunedModelSource"] == {"tunedModel": "tunedModels/a"}


def test_unknown_state_is_kept_as_given() -> None:
    """A state name from a newer server does not break parsing, and is not rewritten."""
    model = TunedModel.from_json({"state": "PAUSED", "tuningTask": {"future": [1]}})
    assert model.state == "PAUSED" and not isinstance(model.state, State)
    assert model.to_json() == {"state": "PAUSED", "tuningTask": {"future": [1]}}


def test_unknown_nested_fields_survive_the_round_trip() -> None:
    """Unknown fields are kept at every depth (W4), and in request bodies too."""
    payload = {
        "displayName": "d",
        "tuningTask": {
            "hyperparameters": {"epochCount": 2, "warmup": 0.1},
            "trainingData": {"examples": {"examples": [{"textInput": "a", "output": "b", "w": 1}]}},
            "futureTask": True,
        },
        "tunedModelSource": {"tunedModel": "tunedModels/a", "why": "x"},
    }
    model = TunedModel.from_json(payload)
    assert model.to_json() == payload
    assert model.to_request_json() == payload
    assert model.tuning_task is not None and model.tuning_task.extra == {"futureTask": True}


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"topK": "many"}, "tunedModel.topK"),
        (
            {"tuningTask": {"snapshots": [{"step": 1}, {"meanLoss": "x"}]}},
            "tunedModel.tuningTask.snapshots[1].meanLoss",
        ),
        ({"createTime": "yesterday"}, "tunedModel.createTime"),
        ({"readerProjectNumbers": ["12", "abc"]}, "tunedModel.readerProjectNumbers[1]"),
    ],
)
def test_bad_server_fields_name_their_path(payload: dict[str, Any], path: str) -> None:
    """A malformed answer raises ProtocolError with the JSON path of the bad field."""
    with pytest.raises(ProtocolError) as info:
        TunedModel.from_json(payload)
    assert info.value.path == path


def test_get_list_delete_and_operation_urls() -> None:
    """Each method goes to the documented path with the documented verb."""
    assert build_get_tuned_model(API, "m").url == "https://h/v1beta/tunedModels/m"
    list_request = build_list_tuned_models(
        API, page_size=1000, page_token="t", filter=tuned_model_filter("readers:everyone")
    )
    assert list_request.method == "GET"
    assert list_request.url == (
        "https://h/v1beta/tunedModels?pageSize=1000&pageToken=t&filter=readers%3Aeveryone"
    )
    delete = build_delete_tuned_model(API, "tunedModels/m")
    assert (delete.method, delete.url) == ("DELETE", "https://h/v1beta/tunedModels/m")
    assert build_get_operation(API, "tunedModels/m/operations/o").headers["x-goog-api-key"] == "k"


def test_names_that_could_escape_the_collection_are_refused() -> None:
    """Path traversal or another collection in a name is a LocalError."""
    for bad in ("../files/x", "tunedModels/a/b", "files/x", ""):
        with pytest.raises(LocalError, match=r"^name:"):
            build_get_tuned_model(API, bad)


def test_page_size_and_filter_terms_are_checked() -> None:
    """pageSize must be an integer, 0 being the server's default; role terms the documented ones."""
    with pytest.raises(LocalError, match="pageSize: must be at least 0, got -1"):
        build_list_tuned_models(API, page_size=-1)
    assert "pageSize" not in build_list_tuned_models(API, page_size=0).url
    with pytest.raises(LocalError, match="unknown role term 'owner:you'"):
        tuned_model_filter("owner:you")
    assert tuned_model_filter(text="  ") == ""


patchable = st.fixed_dictionaries(
    {},
    optional={
        "display_name": st.text(max_size=40),
        "description": st.text(max_size=20),
        "temperature": st.floats(0, 1),
        "top_p": st.floats(0, 1),
        "top_k": st.integers(0, 100),
    },
)


@given(patchable, patchable)
def test_update_mask_is_the_set_of_changed_fields(
    before: dict[str, Any], after: dict[str, Any]
) -> None:
    """The computed mask lists exactly the fields whose values differ; the body only those."""
    original = TunedModel(name="tunedModels/m", **before)
    updated = TunedModel(name="tunedModels/m", **after)
    wire = {
        "display_name": "displayName",
        "description": "description",
        "temperature": "temperature",
        "top_p": "topP",
        "top_k": "topK",
    }
    expected = {wire[k] for k in wire if before.get(k) != after.get(k)}
    assert set(changed_fields(original, updated)) == expected
    if expected:
        request = build_patch_tuned_model(API, updated, original=original)
        assert set(request.url.split("updateMask=")[1].replace("%2C", ",").split(",")) == expected
        assert set(request.json()) <= expected


def test_explicit_mask_wins_and_cleared_fields_are_masked_but_not_sent() -> None:
    """An explicit mask is sent as given; a masked field left unset is absent from the body."""
    request = build_patch_tuned_model(
        API,
        TunedModel(name="tunedModels/m", display_name="New"),
        update_mask=["displayName", "description"],
    )
    assert request.url == "https://h/v1beta/tunedModels/m?updateMask=displayName%2Cdescription"
    assert request.json() == {"displayName": "New"}
    assert request.method == "PATCH"


def test_parsers_raise_api_errors_and_check_delete_body() -> None:
    """Errors become ApiError subclasses; delete expects {}."""
    not_found = {"error": {"code": 404, "message": "gone", "status": "NOT_FOUND"}}
    with pytest.raises(NotFoundError, match="gone"):
        parse_tuned_model(_response(not_found, 404))
    parse_delete(_response({}))
    with pytest.raises(ProtocolError, match="a delete should answer"):
        parse_delete(_response({"name": "x"}))


def test_list_page_parses_models_and_token() -> None:
    """A list answer becomes a Page of TunedModel and its next token."""
    page = parse_list_tuned_models(_response({"tunedModels": [SERVER_MODEL], "nextPageToken": "n"}))
    assert page.next_page_token == "n"
    assert page.items[0].name == "tunedModels/sentence-translator-u3b7m"
    assert parse_list_tuned_models(_response({})).items == ()


def test_operation_done_absent_means_false_and_response_is_a_model() -> None:
    """done defaults to False; a done operation's response parses as the TunedModel."""
    running = Operation.from_json({"name": "tunedModels/m/operations/o"})
    assert running.done is False and running.result() is None
    response = {
        "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.TunedModel",
        **SERVER_MODEL,
    }
    finished = Operation.from_json(
        {"name": "tunedModels/m/operations/o", "done": True, "response": response}
    )
    model = finished.result()
    assert model is not None and model == TunedModel.from_json(SERVER_MODEL)
    failed = Operation.from_json(
        {
            "name": "tunedModels/m/operations/o",
            "done": True,
            "error": {"code": 8, "message": "quota"},
        }
    )
    with pytest.raises(Exception, match="tunedModels/m/operations/o failed: quota") as info:
        failed.result()
    assert type(info.value).__name__ == "ResourceExhaustedError"


def test_replace_keeps_types_frozen() -> None:
    """The values are frozen; changes go through replace(), which checks types."""
    model = TunedModel(display_name="a")
    with pytest.raises(AttributeError, match="immutable"):
        model.display_name = "b"  # type: ignore[misc]
    assert model.replace(display_name="b").display_name == "b"
    assert model.display_name == "a"
    with pytest.raises(LocalError, match=r"display_name \(displayName\)"):
        model.replace(display_name=3)


def test_vertex_endpoints_are_refused_for_files_and_tuning() -> None:
    """Vertex AI serves neither tunedModels nor the Files API: refused before sending."""
    from gemini_vision.api.endpoints import VertexAi
    from gemini_vision.api.files import build_get_file

    vertex = VertexAi("project", "us-central1", lambda: "token")
    with pytest.raises(LocalError, match=r"^tunedModels is a Gemini API surface"):
        build_get_tuned_model(vertex, "m")
    with pytest.raises(LocalError, match=r"^the Files API is a Gemini API surface"):
        build_get_file(vertex, "f")
