"""The emulator as a drop-in test server for any Gemini client, over loopback.

google-genai (the official SDK, from the ``test`` extra) is pointed at the
emulator with ``http_options`` and runs every flow it has for us: generate,
stream, count tokens, files upload/get/list/delete, models get/list. The
guide's own curl commands run against it too (with the host swapped). And no
body, however malformed, makes it drop the connection: each gets a 400 with a
``google.rpc.Status`` and the path of the field.
"""

from __future__ import annotations

import asyncio
import http.client
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from gemini_vision import spatial
from gemini_vision.testing import CANNED_SEGMENTATION, Emulator
from gemini_vision.testing._bodies import MAX_EPOCHS

genai = pytest.importorskip("google.genai")
types = pytest.importorskip("google.genai.types")

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005fe02fea7d6a8"
    "e60000000049454e44ae426082"
)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(tuning_polls=2) as running:
        yield running


@pytest.fixture
def sdk(emulator: Emulator) -> Any:
    return genai.Client(
        api_key=emulator.api_key, http_options=types.HttpOptions(base_url=emulator.base_url)
    )


# --- google-genai, every flow -------------------------------------------------------


def test_sdk_generate_and_parse(emulator: Emulator, sdk: Any) -> None:
    emulator.script("gemini-2.5-flash", [CANNED_SEGMENTATION])
    response = sdk.models.generate_content(
        model="gemini-2.5-flash",
        contents=[types.Part.from_bytes(data=PNG_1x1, mime_type="image/png"), "Segment."],
        config=types.GenerateContentConfig(temperature=0.5, system_instruction="Return JSON."),
    )
    assert response.text == CANNED_SEGMENTATION
    # our parser takes the SDK's response as it is
    result = spatial.parse(response, (640, 480))
    assert [item.label for item in result.items] == ["ball", "shadow"]
    sent = json.loads(emulator.requests[-1].body)
    assert sent["systemInstruction"]["parts"] == [{"text": "Return JSON."}]


def test_sdk_stream(emulator: Emulator, sdk: Any) -> None:
    emulator.script("gemini-2.5-flash", ["one two three four"])
    chunks = list(sdk.models.generate_content_stream(model="gemini-2.5-flash", contents="hi"))
    assert len(chunks) == emulator.stream_chunks
    assert "".join(c.text for c in chunks) == "one two three four"


def test_sdk_count_tokens(emulator: Emulator, sdk: Any) -> None:
    counted = sdk.models.count_tokens(model="gemini-2.5-flash", contents="12345678")
    assert counted.total_tokens == 2


def test_sdk_files_upload_get_list_delete(emulator: Emulator, sdk: Any) -> None:
    data = b"%PDF-1.4 " + bytes(range(256)) * 10
    uploaded = sdk.files.upload(
        file=io.BytesIO(data),
        config=types.UploadFileConfig(mime_type="application/pdf", display_name="notes"),
    )
    assert uploaded.display_name == "notes" and uploaded.size_bytes == len(data)
    assert emulator.file_bytes(uploaded.name) == data
    # the bytes went to the session URL without the key, as on the real service
    chunk = [r for r in emulator.requests if "upload_id=" in r.query]
    assert chunk and all("x-goog-api-key" not in r.headers for r in chunk)
    assert sdk.files.get(name=uploaded.name).state == types.FileState.ACTIVE
    second = sdk.files.upload(
        file=io.BytesIO(b"%PDF-1.4 two"), config=types.UploadFileConfig(mime_type="application/pdf")
    )
    listed = [f.name for f in sdk.files.list(config=types.ListFilesConfig(page_size=1))]
    assert sorted(listed) == sorted([uploaded.name, second.name])
    sdk.files.delete(name=uploaded.name)
    assert [f.name for f in sdk.files.list()] == [second.name]


def test_sdk_models_get_and_list(emulator: Emulator, sdk: Any) -> None:
    model = sdk.models.get(model="gemini-2.5-flash")
    assert model.name == "models/gemini-2.5-flash"
    assert model.input_token_limit == 1048576
    names = [m.name for m in sdk.models.list(config=types.ListModelsConfig(page_size=2))]
    assert "models/gemini-2.5-pro" in names and len(names) == len(set(names)) >= 4
    with pytest.raises(genai.errors.ClientError) as caught:
        sdk.models.get(model="no-such-model")
    assert caught.value.code == 404


def test_sdk_async_generate(emulator: Emulator) -> None:
    emulator.script("gemini-2.5-flash", ["async answer"])

    async def run() -> str:
        client = genai.Client(
            api_key=emulator.api_key, http_options=types.HttpOptions(base_url=emulator.base_url)
        )
        response = await client.aio.models.generate_content(model="gemini-2.5-flash", contents="hi")
        return str(response.text)

    assert asyncio.run(run()) == "async answer"


def test_sdk_sees_a_wrong_key_as_the_real_service_answers_it(emulator: Emulator) -> None:
    client = genai.Client(
        api_key="wrong", http_options=types.HttpOptions(base_url=emulator.base_url)
    )
    with pytest.raises(genai.errors.ClientError) as caught:
        client.models.generate_content(model="gemini-2.5-flash", contents="hi")
    assert caught.value.code == 403


# --- the guide's curl flows ------------------------------------------------------------

GUIDE_HOST = "https://generativelanguage.googleapis.com"

# The guide's REST samples (the image understanding page), verbatim but for the host.
UPLOAD_AND_GENERATE = r"""
MIME_TYPE=$(file -b --mime-type "${IMAGE_PATH}")
NUM_BYTES=$(wc -c < "${IMAGE_PATH}")
DISPLAY_NAME=IMAGE
tmp_header_file=upload-header.tmp
curl "https://generativelanguage.googleapis.com/upload/v1beta/files" \
-H "x-goog-api-key: $GEMINI_API_KEY" \
-D upload-header.tmp \
-H "X-Goog-Upload-Protocol: resumable" \
-H "X-Goog-Upload-Command: start" \
-H "X-Goog-Upload-Header-Content-Length: ${NUM_BYTES}" \
-H "X-Goog-Upload-Header-Content-Type: ${MIME_TYPE}" \
-H "Content-Type: application/json" \
-d "{'file': {'display_name': '${DISPLAY_NAME}'}}" 2> /dev/null
upload_url=$(grep -i "x-goog-upload-url: " "${tmp_header_file}" | cut -d" " -f2 | tr -d "\r")
rm "${tmp_header_file}"
curl "${upload_url}" \
-H "Content-Length: ${NUM_BYTES}" \
-H "X-Goog-Upload-Offset: 0" \
-H "X-Goog-Upload-Command: upload, finalize" \
--data-binary "@${IMAGE_PATH}" 2> /dev/null > file_info.json
file_uri=$(jq -r ".file.uri" file_info.json)
curl "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent" \
-H "x-goog-api-key: $GEMINI_API_KEY" \
-H 'Content-Type: application/json' \
-X POST \
-d '{
"contents": [{
"parts":[
{"file_data":{"mime_type": "'"${MIME_TYPE}"'", "file_uri": "'"${file_uri}"'"}},
{"text": "Caption this image."}]
}]
}' 2> /dev/null > response.json
jq -r ".candidates[].content.parts[].text" response.json
"""

INLINE_IMAGE = r"""
curl "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent" \
-H "x-goog-api-key: $GEMINI_API_KEY" \
-H 'Content-Type: application/json' \
-X POST \
-d '{
"contents": [{
"parts":[
{
"inline_data": {
"mime_type":"image/png",
"data": "'"$(base64 -w0 $IMAGE_PATH)"'"
}
},
{"text": "Caption this image."},
]
}]
}' 2> /dev/null
"""


def run_guide(script: str, emulator: Emulator, tmp_path: Path) -> str:
    if shutil.which("curl") is None or shutil.which("jq") is None:
        pytest.skip("curl and jq are needed for the guide's REST samples")
    image = tmp_path / "sample.png"
    image.write_bytes(PNG_1x1)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace(GUIDE_HOST, emulator.base_url)],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "GEMINI_API_KEY": str(emulator.api_key),
            "IMAGE_PATH": str(image),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_guide_upload_flow_runs_against_the_emulator(
    emulator: Emulator, tmp_path: Path
) -> None:
    emulator.script("gemini-2.5-flash", ["A single pixel."])
    assert run_guide(UPLOAD_AND_GENERATE, emulator, tmp_path).strip() == "A single pixel."
    (stored,) = emulator.files.files.values()
    assert stored.display_name == "IMAGE" and stored.data == PNG_1x1
    sent = json.loads(emulator.requests[-1].body)
    assert sent["contents"][0]["parts"][0]["file_data"]["file_uri"] == stored.uri


def test_the_guide_inline_flow_runs_against_the_emulator(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Its trailing comma is accepted, as the real service accepts it."""
    emulator.script("gemini-2.5-flash", ["A pixel."])
    answer = json.loads(run_guide(INLINE_IMAGE, emulator, tmp_path))
    assert answer["candidates"][0]["content"]["parts"][0]["text"] == "A pixel."


def test_an_upload_url_is_a_credential_only_for_its_own_session(emulator: Emulator) -> None:
    status, _, body = raw(emulator, "POST", "/upload/v1beta/files?upload_id=made-up", b"x", {})
    assert status == 401 and body["error"]["status"] == "UNAUTHENTICATED"


# --- malformed bodies: 400 with a field path, never a dropped connection --------------


def raw(
    emulator: Emulator, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    host = urlsplit(emulator.base_url)
    connection = http.client.HTTPConnection(host.hostname or "", host.port, timeout=10)
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), json.loads(data) if data else None
    finally:
        connection.close()


KEY = {"x-goog-api-key": "emulator-key", "Content-Type": "application/json"}
EXAMPLES = {"examples": {"examples": [{"textInput": "1", "output": "2"}]}}
TUNED = {"baseModel": "models/gemini-1.5-flash-001", "tuningTask": {"trainingData": EXAMPLES}}

MALFORMED = [
    ("POST", "/v1beta/tunedModels", {**TUNED, "tuningTask": "x"}, "tuningTask"),
    ("POST", "/v1beta/tunedModels", {**TUNED, "displayName": 5}, "displayName"),
    (
        "POST",
        "/v1beta/tunedModels",
        {**TUNED, "tuningTask": {**TUNED["tuningTask"], "hyperparameters": {"epochCount": "abc"}}},
        "tuningTask.hyperparameters.epochCount",
    ),
    (
        "POST",
        "/v1beta/tunedModels",
        {**TUNED, "tuningTask": {"trainingData": {"examples": {"examples": "x"}}}},
        "tuningTask.trainingData.examples.examples",
    ),
    (
        "POST",
        "/v1beta/tunedModels",
        {**TUNED, "tuningTask": {"trainingData": {"examples": {"examples": [5]}}}},
        "tuningTask.trainingData.examples.examples[0]",
    ),
    ("POST", "/v1beta/tunedModels", [1, 2], ""),
    ("POST", "/v1beta/models/gemini-2.5-flash:generateContent", {"contents": "x"}, "contents"),
    (
        "POST",
        "/v1beta/models/gemini-2.5-flash:generateContent",
        {"contents": [{"parts": [{"text": 5}]}]},
        "contents[0].parts[0].text",
    ),
    (
        "POST",
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
        {"contents": [{"parts": [{"inlineData": {"data": "%%%"}}]}]},
        "contents[0].parts[0].inlineData.data",
    ),
    (
        "POST",
        "/v1beta/models/gemini-2.5-flash:countTokens",
        {"generateContentRequest": {"contents": [{"parts": "x"}]}},
        "generateContentRequest.contents[0].parts",
    ),
    (
        "POST",
        "/v1beta/models/gemini-2.5-flash:generateContent",
        {"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"temperature": "hot"}},
        "generationConfig.temperature",
    ),
    ("POST", "/upload/v1beta/files", {"file": "x"}, "file"),
    ("POST", "/upload/v1beta/files", {"file": {"displayName": 5}}, "file.displayName"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), MALFORMED)
def test_a_malformed_body_gets_400_with_its_field(
    emulator: Emulator, method: str, path: str, body: Any, field: str
) -> None:
    headers = dict(KEY)
    if path.startswith("/upload/"):
        headers.update({"X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start"})
    status, _, answer = raw(emulator, method, path, json.dumps(body).encode(), headers)
    assert status == 400, answer
    error = answer["error"]
    assert error["status"] == "INVALID_ARGUMENT" and error["code"] == 400
    (violation,) = error["details"][0]["fieldViolations"]
    assert violation["field"].startswith(field) if field else violation["field"] == ""


def test_a_patch_with_a_malformed_body_gets_400(emulator: Emulator) -> None:
    name = emulator.add_tuned_model({"displayName": "m", "baseModel": "models/x"})
    status, _, answer = raw(
        emulator, "PATCH", f"/v1beta/{name}?updateMask=topP", b'{"topP": "high"}', KEY
    )
    assert status == 400 and answer["error"]["details"][0]["fieldViolations"][0]["field"] == "topP"


def test_invalid_json_gets_400_and_the_connection_stays_usable(emulator: Emulator) -> None:
    host = urlsplit(emulator.base_url)
    connection = http.client.HTTPConnection(host.hostname or "", host.port, timeout=10)
    try:
        path = "/v1beta/models/gemini-2.5-flash:generateContent"
        connection.request("POST", path, b"{not json", KEY)
        first = connection.getresponse()
        assert first.status == 400 and json.loads(first.read())["error"]["code"] == 400
        connection.request("POST", path, b'{"contents": [{"parts": [{"text": "hi"}]}]}', KEY)
        assert connection.getresponse().status == 200
    finally:
        connection.close()


def test_epoch_count_is_bounded(emulator: Emulator) -> None:
    body = {
        **TUNED,
        "tuningTask": {**TUNED["tuningTask"], "hyperparameters": {"epochCount": 150_000}},
    }
    status, _, answer = raw(emulator, "POST", "/v1beta/tunedModels", json.dumps(body).encode(), KEY)
    assert status == 400
    assert f"[1, {MAX_EPOCHS}]" in answer["error"]["message"]


def test_page_size_zero_is_the_default_and_huge_is_capped(emulator: Emulator) -> None:
    for i in range(12):
        emulator.add_tuned_model({"displayName": f"m{i}", "baseModel": "models/x"})
    status, _, page = raw(emulator, "GET", "/v1beta/tunedModels?pageSize=0", b"", KEY)
    assert status == 200 and len(page["tunedModels"]) == 10 and "nextPageToken" in page
    status, _, page = raw(emulator, "GET", "/v1beta/tunedModels?pageSize=999999999", b"", KEY)
    assert status == 200 and len(page["tunedModels"]) == 12
