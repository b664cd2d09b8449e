"""Every public method checks its arguments before anything is sent (one test per defect).

Each test runs against the emulator and counts the requests it received, so
"refused before sending" is observed, not assumed.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gemini_vision.api.retry import RetryPolicy
from gemini_vision.api.upload import SourceChangedError
from gemini_vision.client import Client
from gemini_vision.errors import AlreadyExistsError, LocalError
from gemini_vision.testing import CutPoint, Emulator
from gemini_vision.wire.tuned import Dataset, TunedModel, TuningTask

KIB = 1024


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(chunk_granularity=256 * KIB, tuning_polls=2) as running:
        yield running


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    policy = RetryPolicy(max_attempts=4, initial=0.01, seed=1)
    with Client(
        api_key=emulator.api_key,
        base_url=emulator.base_url,
        retry=policy,
        timeout=10,
        sleep=lambda s: None,
    ) as made:
        yield made


def tuned_model(**fields: Any) -> TunedModel:
    task = TuningTask(training_data=Dataset.of([("1", "2"), ("3", "4")]))
    return TunedModel(base_model="models/gemini-1.5-flash-001", tuning_task=task, **fields)


# --- uploads ---------------------------------------------------------------------------


def test_a_text_mode_file_is_refused_before_the_start_request(
    client: Client, emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("some notes")
    with path.open("r") as text, pytest.raises(LocalError, match="text mode"):
        client.upload_file(text, mime_type="text/plain")
    with pytest.raises(LocalError, match="text"):
        client.upload_file(io.StringIO("notes"), mime_type="text/plain")
    assert emulator.requests == []


def test_an_empty_file_is_refused_before_the_start_request(
    client: Client, emulator: Emulator, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    for value in (b"", empty, io.BytesIO(b"")):
        with pytest.raises(LocalError, match="empty"):
            client.upload_file(value, mime_type="application/pdf")
    assert emulator.requests == []


def test_a_file_that_shrinks_mid_upload_cancels_the_session(
    client: Client, emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(600 * KIB))
    with path.open("r+b") as handle:

        def shrink(acknowledged: int, total: int) -> None:
            if 0 < acknowledged < total:
                handle.truncate(300 * KIB)

        with pytest.raises(SourceChangedError, match="changed size"):
            client.upload_file(
                handle,
                mime_type="application/octet-stream",
                chunk_size=256 * KIB,
                on_progress=shrink,
            )
    (session,) = emulator.files.sessions.values()
    assert session.status == "cancelled"
    assert emulator.files.files == {}


def test_a_file_that_grows_mid_upload_cancels_the_session(
    client: Client, emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "log.bin"
    path.write_bytes(bytes(600 * KIB))
    with path.open("r+b") as handle:

        def grow(acknowledged: int, total: int) -> None:
            if 0 < acknowledged < total:
                handle.seek(0, 2)
                handle.write(b"more")

        with pytest.raises(SourceChangedError):
            client.upload_file(
                handle, mime_type="application/x-log", chunk_size=256 * KIB, on_progress=grow
            )
    (session,) = emulator.files.sessions.values()
    assert session.status == "cancelled"


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"chunk_size": "8M"}, "chunk_size: must be an integer number of bytes"),
        ({"display_name": 5}, "display_name: must be a string"),
        ({"mime_type": 5}, "mime_type: must be a media type"),
        ({"on_progress": "print"}, "on_progress: must be a callable"),
    ],
)
def test_wrong_typed_upload_arguments_send_nothing(
    client: Client, emulator: Emulator, keywords: dict[str, Any], message: str
) -> None:
    keywords.setdefault("mime_type", "application/pdf")
    with pytest.raises(LocalError, match=message):
        client.upload_file(b"%PDF-1.4", **keywords)
    assert emulator.requests == []


# --- listing ---------------------------------------------------------------------------


def test_page_size_zero_is_the_server_default(client: Client, emulator: Emulator) -> None:
    for i in range(3):
        emulator.add_tuned_model({"displayName": f"m{i}", "baseModel": "models/x"})
    assert len(list(client.list_tuned_models(page_size=0))) == 3
    assert "pageSize" not in emulator.requests[-1].query


def test_single_pages_with_tokens_beside_the_iterator(client: Client, emulator: Emulator) -> None:
    names = sorted(
        emulator.add_tuned_model({"displayName": f"m{i}", "baseModel": "models/x"})
        for i in range(5)
    )
    first = client.list_tuned_models_page(page_size=2)
    assert len(first.items) == 2 and first.next_page_token
    second = client.list_tuned_models_page(page_size=2, page_token=first.next_page_token)
    rest = list(client.list_tuned_models(page_size=2, page_token=second.next_page_token))
    seen = [m.name for m in (*first.items, *second.items, *rest)]
    assert sorted(seen) == names
    for i in range(3):
        client.upload_file(b"%PDF-1.4 " + bytes([i]), mime_type="application/pdf")
    page = client.list_files_page(page_size=2)
    more = list(client.list_files(page_size=2, page_token=page.next_page_token))
    assert len(page.items) + len(more) == 3


# --- tuned models ----------------------------------------------------------------------


def test_update_mask_takes_a_comma_separated_string(client: Client, emulator: Emulator) -> None:
    name = emulator.add_tuned_model({"displayName": "old", "baseModel": "models/x"})
    patched = client.patch_tuned_model(
        TunedModel(name=name, display_name="new", description="d"),
        update_mask="displayName,description",
    )
    assert (patched.display_name, patched.description) == ("new", "d")
    assert emulator.requests[-1].query == "updateMask=displayName%2Cdescription"


@pytest.mark.parametrize("path", ["state", "name", "baseModel", "base_model", "tuningTask"])
def test_a_mask_naming_an_output_only_or_immutable_field_is_refused_locally(
    client: Client, emulator: Emulator, path: str
) -> None:
    name = emulator.add_tuned_model({"displayName": "m", "baseModel": "models/x"})
    with pytest.raises(LocalError, match=r"output only|fixed at creation"):
        client.patch_tuned_model(TunedModel(name=name), update_mask=[path])
    assert emulator.count("PATCH") == 0


def test_a_dict_as_the_model_is_refused(client: Client, emulator: Emulator) -> None:
    with pytest.raises(LocalError, match="model: must be a TunedModel"):
        client.create_tuned_model({"baseModel": "models/x"})  # type: ignore[arg-type]
    with pytest.raises(LocalError, match="model: must be a TunedModel"):
        client.patch_tuned_model({"name": "tunedModels/x"}, display_name="y")  # type: ignore[arg-type]
    assert emulator.requests == []


def test_a_create_whose_answer_was_lost_resolves_to_the_model_it_made(
    client: Client, emulator: Emulator
) -> None:
    """The first create reaches the server, its answer is cut; the retry gets 409."""
    emulator.faults.cut(CutPoint.BEFORE_RESPONSE, match="POST /v1beta/tunedModels")
    operation = client.create_tuned_model(tuned_model(display_name="lost"), tuned_model_id="lost-1")
    assert emulator.count("POST", "/v1beta/tunedModels") == 2
    assert operation.name.startswith("tunedModels/lost-1/operations/")
    done = client.wait_for_operation(operation, poll_interval=0.01)
    assert done.name == "tunedModels/lost-1" and done.display_name == "lost"


def test_already_exists_on_the_first_attempt_is_a_real_conflict(
    client: Client, emulator: Emulator
) -> None:
    emulator.add_tuned_model({"name": "tunedModels/taken", "baseModel": "models/x"})
    with pytest.raises(AlreadyExistsError):
        client.create_tuned_model(tuned_model(), tuned_model_id="taken")
    assert emulator.count("POST", "/v1beta/tunedModels") == 1


# --- the client's own arguments --------------------------------------------------------


def test_google_api_key_wins_over_gemini_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key")
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key")
    with pytest.warns(UserWarning, match="both GOOGLE_API_KEY and GEMINI_API_KEY"):
        client = Client()
    assert client.endpoint.auth_headers()["x-goog-api-key"] == "google-key"
    monkeypatch.delenv("GEMINI_API_KEY")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Client().endpoint.auth_headers()["x-goog-api-key"] == "google-key"
    monkeypatch.delenv("GOOGLE_API_KEY")
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key")
    assert Client().endpoint.auth_headers()["x-goog-api-key"] == "gemini-key"


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"temprature": 0.5}, "unknown keyword 'temprature'.*did you mean 'temperature'"),
        ({"max_output_token": 10}, "did you mean 'max_output_tokens'"),
        ({"media_resolution": "high"}, "did you mean 'MEDIA_RESOLUTION_HIGH'"),
        ({"response_modalities": ["text"]}, "did you mean 'TEXT'"),
        (
            {"safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "none"}]},
            "did you mean 'BLOCK_NONE'",
        ),
        (
            {"safety_settings": [{"category": "harassment", "threshold": "BLOCK_NONE"}]},
            "must be a HARM_CATEGORY_",
        ),
        ({"config": 5}, "expected a GenerationConfig"),
        ({"config": {"temperature": 1}, "generation_config": {"top_k": 3}}, "not both"),
    ],
)
def test_generation_arguments_are_checked_before_sending(
    client: Client, emulator: Emulator, keywords: dict[str, Any], message: str
) -> None:
    with pytest.raises(LocalError, match=message):
        client.generate("gemini-2.5-flash", "hi", **keywords)
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"timeout": "10"}, "timeout must be a positive number"),
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"retry": 3}, "retry must be a RetryPolicy"),
        ({"api_key": 123}, "api_key must be a string"),
    ],
)
def test_client_constructor_arguments_are_checked(keywords: dict[str, Any], message: str) -> None:
    with pytest.raises(LocalError, match=message):
        Client(**{"api_key": "k", **keywords})


def test_model_must_be_a_name(client: Client, emulator: Emulator) -> None:
    with pytest.raises(LocalError, match="model must be a model name"):
        client.generate(5, "hi")  # type: ignore[arg-type]
    assert emulator.requests == []


def test_google_genai_style_config_reaches_the_wire(client: Client, emulator: Emulator) -> None:
    client.generate(
        "gemini-2.5-flash",
        "hi",
        config={
            "temperature": 0.2,
            "system_instruction": "Be brief",
            "media_resolution": "MEDIA_RESOLUTION_LOW",
        },
        top_k=3,
    )
    import json

    sent = json.loads(emulator.requests[-1].body)
    assert sent["generationConfig"] == {
        "temperature": 0.2,
        "mediaResolution": "MEDIA_RESOLUTION_LOW",
        "topK": 3,
    }
    assert sent["systemInstruction"] == {"parts": [{"text": "Be brief"}]}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.wait_for_file("files/abc", poll_interval="1"), "poll_interval: must be"),
        (lambda c: c.wait_for_file("files/abc", timeout=-1), "timeout: must be"),
        (
            lambda c: c.wait_for_operation("tunedModels/x/operations/y", poll_interval=None),
            "poll_interval: must be",
        ),
        (lambda c: c.fetch_image(5), "url: must be"),
        (lambda c: c.fetch_image("http://127.0.0.1:9/x.png", max_bytes="1"), "max_bytes: must be"),
        (lambda c: c.generate("gemini-2.5-flash", 5), "contents: cannot make an image part"),
        (lambda c: c.generate("gemini-2.5-flash", None), "contents: expected"),
        (lambda c: list(c.stream("gemini-2.5-flash", {"parts": 5})), "contents: parts"),
        (
            lambda c: c.generate("gemini-2.5-flash", "hi", system_instruction={"parts": 5}),
            "system_instruction",
        ),
        (lambda c: c.generate("gemini-2.5-flash", "hi", temperature="hot"), "temperature"),
    ],
)
def test_wrong_arguments_are_local_errors_and_send_nothing(
    client: Client, emulator: Emulator, call: Any, message: str
) -> None:
    with pytest.raises(LocalError, match=message):
        call(client)
    assert emulator.requests == []


def test_the_client_takes_google_genai_values(client: Client, emulator: Emulator) -> None:
    import json

    types = pytest.importorskip("google.genai.types")
    emulator.script("gemini-2.5-flash", ["ok"])
    answer = client.generate(
        "gemini-2.5-flash",
        [types.Content(role="user", parts=[types.Part(text="hi")])],
        config=types.GenerateContentConfig(
            temperature=0.1,
            system_instruction="Be brief",
            safety_settings=[
                types.SafetySetting(category="HARM_CATEGORY_HARASSMENT", threshold="BLOCK_NONE")
            ],
        ),
    )
    assert answer.text == "ok"
    sent = json.loads(emulator.requests[-1].body)
    assert sent == {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
        "systemInstruction": {"parts": [{"text": "Be brief"}]},
        "generationConfig": {"temperature": 0.1},
    }
    counted = client.count_tokens("gemini-2.5-flash", types.Part(text="12345678"))
    assert counted.total_tokens == 2
