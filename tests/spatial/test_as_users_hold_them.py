"""Answers in the forms users hold them: google-genai responses, empty answers, escaped text.

The corpus (tests/data/answers/as_users_hold_them.json) lists each form with
the item count and diagnostic codes ``spatial.parse`` must give; an escaped
form names the plain text whose parse it must equal item for item.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gemini_vision import batch, spatial
from gemini_vision.errors import LocalError
from gemini_vision.testing._generate import CANNED_SEGMENTATION

CORPUS = json.loads(
    (Path(__file__).parent.parent / "data" / "answers" / "as_users_hold_them.json").read_text(
        encoding="utf-8"
    )
)["cases"]
SIZE = (640, 480)


def item_fields(result: spatial.SpatialResult) -> list[dict[str, Any]]:
    """Every field of every item (masks as lists), for item-by-item equality."""
    out = []
    for item in result.items:
        fields = {f.name: getattr(item, f.name) for f in dataclasses.fields(item)}
        for name, value in fields.items():
            if isinstance(value, np.ndarray):
                fields[name] = (value.dtype.str, value.shape, value.tolist())
        out.append(fields)
    return out


@pytest.mark.parametrize("case", CORPUS, ids=[c["name"] for c in CORPUS])
def test_the_corpus(case: dict[str, Any]) -> None:
    result = spatial.parse(case["text"], SIZE)
    assert len(result.items) == case["items"]
    assert [d.code for d in result.diagnostics] == case["codes"]
    if "same_as" in case:
        assert item_fields(result) == item_fields(spatial.parse(case["same_as"], SIZE))


def test_an_empty_answer_is_not_rejected_but_no_json_is() -> None:
    """A caller that retries on rejections must not retry a correct empty answer."""
    empty = spatial.parse("```json\n[]\n```", SIZE)
    assert empty.items == () and not any(d.action == "rejected" for d in empty.diagnostics)
    assert empty.source.startswith("fenced block 1")
    nothing = spatial.parse("I see no objects.", SIZE)
    assert [d.code for d in nothing.diagnostics] == ["no_json"]


def test_the_batch_agrees_with_parse_on_the_corpus() -> None:
    """The batch (fast lane and general parser) gives the same items and codes."""
    records = [
        {"id": i, "width": SIZE[0], "height": SIZE[1], "text": case["text"]}
        for i, case in enumerate(CORPUS)
    ]
    rows = batch.process(records).to_pylist()
    for i, case in enumerate(CORPUS):
        mine = [r for r in rows if r["id"] == i]
        items = [r for r in mine if r["item"] is not None]
        codes = [d["code"] for r in mine for d in r["diagnostics"]]
        assert len(items) == case["items"], case["name"]
        assert sorted(codes) == sorted(case["codes"]), case["name"]


# --- google-genai responses -----------------------------------------------------------


def sdk_response(text: str) -> Any:
    types = pytest.importorskip("google.genai.types")
    return types.GenerateContentResponse(
        candidates=[
            types.Candidate(
                content=types.Content(
                    role="model",
                    parts=[types.Part(text=text, thought_signature=b"\x00\xfe\xff")],
                ),
                finish_reason=types.FinishReason.STOP,
                index=0,
            )
        ],
        create_time=datetime.datetime(2025, 6, 1, tzinfo=datetime.timezone.utc),
        usage_metadata=types.GenerateContentResponseUsageMetadata(total_token_count=5),
    )


TEXTS = [
    CANNED_SEGMENTATION,
    '```json\n[{"box_2d": [100, 200, 500, 600], "label": "cat"}, {"point": [5, 900]}]\n```',
    "```json\n[]\n```",
    "no JSON here",
    *(case["text"] for case in CORPUS if "same_as" in case),
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("form", ["object", "model_dump", "model_dump_json", "json_text"])
def test_parse_of_an_sdk_response_equals_parse_of_its_text(text: str, form: str) -> None:
    sdk = sdk_response(text)
    value = {
        "object": sdk,
        "model_dump": sdk.model_dump(),
        "model_dump_json": sdk.model_dump(mode="json"),
        "json_text": sdk.model_dump_json(by_alias=True, exclude_none=True),
    }[form]
    from_sdk = spatial.parse(value, SIZE)
    from_text = spatial.parse(text, SIZE)
    assert item_fields(from_sdk) == item_fields(from_text)
    assert from_sdk.diagnostics == from_text.diagnostics
    assert from_sdk.finish_reason == "STOP"


def test_render_and_batch_take_sdk_responses(tmp_path: Path) -> None:
    from PIL import Image

    sdk = sdk_response(CANNED_SEGMENTATION)
    report = spatial.render(Image.new("RGB", SIZE), sdk, tmp_path)
    assert [i.label for i in report.result.items] == ["ball", "shadow"]
    table = batch.process(
        [
            {"id": "object", "width": 640, "height": 480, "response": sdk},
            {"id": "dump", "width": 640, "height": 480, "response": sdk.model_dump()},
        ]
    )
    rows = table.to_pylist()
    labels = {(r["id"], r["label"]) for r in rows if r["item"] is not None}
    assert labels == {
        ("object", "ball"),
        ("object", "shadow"),
        ("dump", "ball"),
        ("dump", "shadow"),
    }


def test_a_model_dump_with_str_enums_does_not_say_expected_a_string_got_a_string() -> None:
    dumped = sdk_response("[]").model_dump()
    result = spatial.parse(dumped, SIZE)
    assert not any("got a string" in d.message for d in result.diagnostics)
    assert result.finish_reason == "STOP"


def test_an_unknown_object_names_its_type() -> None:
    class Response:
        pass

    with pytest.raises(LocalError, match=r"got .*Response"):
        spatial.parse(Response(), SIZE)  # type: ignore[arg-type]


# --- supervision agrees -----------------------------------------------------------------


def test_supervision_agrees_on_the_corpus() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vlm = pytest.importorskip("supervision.detection.vlm")
    for case in CORPUS:
        text = case.get("same_as", case["text"])
        xyxy = vlm.from_google_gemini_2_5(text, SIZE)[0]
        ours = spatial.parse(case["text"], SIZE)
        boxes = [item.box_float for item in ours.items if item.box_float is not None]
        assert len(boxes) == len(xyxy), case["name"]
        if boxes:
            np.testing.assert_allclose(np.array(boxes), xyxy)
