"""Item kinds and coordinates (SPEC S2, S3, S4): exact pixels and exact diagnostics."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gemini_vision import spatial
from gemini_vision.errors import LocalError

SIZE = (640, 480)


def parse_items(items: list[Any], size: tuple[int, int] = SIZE) -> spatial.SpatialResult:
    return spatial.parse(json.dumps(items), size)


def codes(result: spatial.SpatialResult) -> list[tuple[int | None, str, str]]:
    return [(d.index, d.action, d.code) for d in result.diagnostics]


def test_box_uses_the_documented_conversion() -> None:
    """int(v / 1000 * size), y with the height and x with the width; floats kept too."""
    r = parse_items([{"box_2d": [100, 200, 500, 600], "label": "cat"}])
    (item,) = r.items
    assert item.kind == "box" and item.label == "cat"
    assert item.box == (128, 48, 384, 240)
    assert item.box_float == (128.0, 48.0, 384.0, 240.0)
    assert item.box_2d == [100, 200, 500, 600]
    assert r.diagnostics == ()


def test_conversion_truncates_like_int() -> None:
    """333/1000*640 = 213.12 -> 213; 999/1000*480 = 479.52 -> 479."""
    (item,) = parse_items([{"box_2d": [1, 333, 999, 1000]}]).items
    assert item.box == (213, 0, 640, 479)
    assert item.box_float == pytest.approx((213.12, 0.48, 640.0, 479.52))


def test_boxes_past_the_image_edge_are_clamped_and_reported() -> None:
    """Values outside 0–1000 are clamped first, so the box stays inside the image."""
    r = parse_items([{"box_2d": [-50, 100, 1100, 2000], "label": "edge"}])
    (item,) = r.items
    assert item.box == (64, 0, 640, 480)
    assert codes(r) == [(0, "repaired", "clamped")]
    assert r.diagnostics[0].message == (
        "item 0: box_2d values outside 0–1000 (-50, 1100, 2000) were clamped into it"
    )


def test_reversed_corners_are_sorted_and_reported() -> None:
    """ymin > ymax and xmin > xmax are swapped, with a diagnostic."""
    r = parse_items([{"box_2d": [500, 600, 100, 200]}])
    assert r.items[0].box == (128, 48, 384, 240)
    assert codes(r) == [(0, "repaired", "reversed")]
    assert "reversed ([500, 600, 100, 200])" in r.diagnostics[0].message


def test_numeric_strings_are_accepted() -> None:
    """ " 100", "2e2", "500.0" are numbers; no diagnostic."""
    r = parse_items([{"box_2d": [" 100", "2e2", "500.0", 600]}])
    assert r.items[0].box == (128, 48, 384, 240)
    assert r.diagnostics == ()


@pytest.mark.parametrize(
    ("box", "shown"),
    [
        (["a", 1, 2, 3], "'a'"),
        ([None, 1, 2, 3], "None"),
        ([True, 1, 2, 3], "True"),
        ([[1], 1, 2, 3], "[1]"),
        (["nan", 1, 2, 3], "'nan'"),
        (["12px", 1, 2, 3], "'12px'"),
        ([10**400, 1, 2, 3], None),
    ],
)
def test_non_numeric_values_reject_the_item(box: list[Any], shown: str | None) -> None:
    """A bool, null, list, text or an int beyond float range drops the item, saying which value."""
    r = parse_items([{"box_2d": box, "label": "x"}, {"box_2d": [0, 0, 10, 10]}])
    assert [item.index for item in r.items] == [1]
    assert codes(r) == [(0, "rejected", "bad_number")]
    message = r.diagnostics[0].message
    assert message.startswith("item 0: box_2d value ")
    assert message.endswith("is not a finite number (in " + message.split("(in ")[1])
    if shown is not None:
        assert f"value {shown} is not" in message


def test_nan_and_infinity_literals_reject_the_item() -> None:
    """NaN and Infinity (which Python's JSON reader accepts) are not finite."""
    r = spatial.parse('[{"box_2d": [NaN, 0, 10, 10]}, {"point": [Infinity, 5]}]', SIZE)
    assert r.items == ()
    assert codes(r) == [(0, "rejected", "bad_number"), (1, "rejected", "bad_number")]


@pytest.mark.parametrize("box", [[1, 2, 3], [1, 2, 3, 4, 5], [], "100,200,300,400", {"y": 1}])
def test_wrong_length_rejects_the_item(box: Any) -> None:
    """box_2d needs exactly four values."""
    r = parse_items([{"box_2d": box}])
    assert r.items == ()
    assert codes(r) == [(0, "rejected", "wrong_length")]
    assert "box_2d must hold 4 numbers [ymin, xmin, ymax, xmax]" in r.diagnostics[0].message


def test_bbox_2d_alias() -> None:
    """bbox_2d means box_2d."""
    assert parse_items([{"bbox_2d": [100, 200, 500, 600]}]).items[0].box == (128, 48, 384, 240)


def test_points_are_y_x() -> None:
    """point = [y, x] in 0–1000; a point on the far edge stays on the last pixel."""
    r = parse_items([{"point": [500, 250], "label": "eye"}, {"point": [1000, 1000]}])
    assert [item.kind for item in r.items] == ["point", "point"]
    assert r.items[0].point == (160, 240)
    assert r.items[0].point_float == (160.0, 240.0)
    assert r.items[1].point == (639, 479)
    assert r.items[0].box is None


def test_box_3d_keeps_nine_metric_numbers() -> None:
    """box_3d is nine numbers, not normalized and not clamped."""
    values = [0.5, -1.25, 3, 0.4, 0.3, 2, 0, 90, -180]
    r = parse_items([{"box_3d": values, "label": "chair"}, {"box_3d": values[:8]}])
    (item,) = r.items
    assert item.kind == "box_3d"
    assert item.box_3d == tuple(float(v) for v in values)
    assert codes(r) == [(1, "rejected", "wrong_length")]


def test_unicode_labels_confidence_and_unknown_keys() -> None:
    """Labels are any text; confidence is read; unknown keys are kept in extra."""
    raw = {
        "box_2d": [0, 0, 10, 10],
        "label": "חתול 🐈 кот",
        "confidence": "0.75",
        "colour": "grey",
        "attributes": {"tail": True},
    }
    (item,) = parse_items([raw]).items
    assert item.label == "חתול 🐈 кот"
    assert item.confidence == 0.75
    assert item.extra == {"colour": "grey", "attributes": {"tail": True}}


def test_bad_confidence_and_label_types_are_repaired() -> None:
    """A non-numeric confidence is ignored and a numeric label becomes text, both reported."""
    r = parse_items([{"box_2d": [0, 0, 10, 10], "label": 7, "confidence": "high"}])
    (item,) = r.items
    assert item.label == "7" and item.confidence is None
    assert codes(r) == [(0, "repaired", "label_type"), (0, "repaired", "bad_confidence")]


def test_items_that_are_not_objects_or_have_no_geometry_are_rejected() -> None:
    """Numbers, lists and objects without any geometry are dropped with a reason."""
    r = parse_items([5, [1, 2, 3, 4], {"label": "ghost"}, {"box_2d": [0, 0, 1, 1]}])
    assert [item.index for item in r.items] == [3]
    assert codes(r) == [
        (0, "rejected", "not_object"),
        (1, "rejected", "not_object"),
        (2, "rejected", "no_geometry"),
    ]
    assert r.diagnostics[0].message == "item 0: is a number, not an object; item dropped"


def test_seg_tokens_are_kept_as_a_box() -> None:
    """<seg_..> masks cannot be decoded: the item stays a box, with a note."""
    r = parse_items([{"box_2d": [0, 0, 500, 500], "mask": "<start_of_mask><seg_12><seg_7>"}])
    (item,) = r.items
    assert (item.kind, item.mask, item.mask_source) == ("box", None, "seg_tokens")
    assert codes(r) == [(0, "note", "seg_tokens")]


def test_a_mask_without_a_box_is_rejected() -> None:
    """A PNG mask needs box_2d to be placed."""
    r = parse_items([{"mask": "data:image/png;base64,AAAA", "label": "m"}])
    assert r.items == ()
    assert codes(r) == [(0, "rejected", "no_box")]


def test_every_item_is_an_item_or_a_diagnostic() -> None:
    """Nothing disappears silently: each index of the model's list is accounted for."""
    raw = [
        {"box_2d": [0, 0, 10, 10]},
        {"box_2d": ["x", 0, 10, 10]},
        {"point": [1, 2, 3]},
        "text",
        {"box_2d": [0, 0, 2000, 10]},
        {"polygon": [[0, 0], [10, 0]]},
    ]
    r = parse_items(raw)
    kept = {item.index for item in r.items}
    reported = {d.index for d in r.diagnostics}
    assert kept | reported == set(range(len(raw)))


def test_response_json_is_accepted_and_max_tokens_marks_truncation() -> None:
    """A generateContent response (dict or text): first candidate's text, finishReason read."""
    text = "```json\n" + json.dumps([{"box_2d": [0, 0, 10, 10]}]) + "\n```"
    response = {
        "candidates": [
            {
                "content": {
                    "parts": [{"text": "thinking...", "thought": True}, {"text": text}],
                    "role": "model",
                },
                "finishReason": "MAX_TOKENS",
            }
        ]
    }
    for value in (response, json.dumps(response)):
        r = spatial.parse(value, SIZE)
        assert len(r.items) == 1
        assert r.truncated and r.finish_reason == "MAX_TOKENS"
        assert codes(r) == [(None, "note", "truncated")]
    stop = {"candidates": [{"content": {"parts": [{"text": text}]}, "finishReason": "STOP"}]}
    r = spatial.parse(stop, SIZE)
    assert not r.truncated and r.finish_reason == "STOP" and r.diagnostics == ()


def test_blocked_response_is_a_diagnostic() -> None:
    """A response without candidates gives no items and names the block reason."""
    r = spatial.parse({"promptFeedback": {"blockReason": "SAFETY"}}, SIZE)
    assert r.items == ()
    assert r.diagnostics[0].message == (
        "the response has no candidate (the prompt was blocked: SAFETY)"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image_size": (0, 10)}, "positive"),
        ({"image_size": (10,)}, "pair"),
        ({"image_size": (1.5, 10)}, "integer"),
        ({"image_size": (10, 10), "threshold": 1.0}, "threshold"),
        ({"image_size": (10, 10), "pillow": 11}, "pillow"),
    ],
)
def test_bad_arguments_raise_local_error(kwargs: dict[str, Any], message: str) -> None:
    """The caller's own mistakes raise LocalError (the model's never do)."""
    with pytest.raises(LocalError, match=message):
        spatial.parse("[]", **kwargs)


def test_text_of_the_wrong_type_raises() -> None:
    """Only str and mappings are answers."""
    with pytest.raises(LocalError, match="got bytes"):
        spatial.parse(b"[]", SIZE)  # type: ignore[arg-type]


def test_wire_response_objects_and_malformed_responses() -> None:
    """A GenerateContentResponse is accepted; one the wire parser refuses is read leniently."""
    from gemini_vision.wire.response import GenerateContentResponse

    text = json.dumps([{"box_2d": [0, 0, 10, 10], "label": "a"}])
    data = {"candidates": [{"content": {"parts": [{"text": text}]}, "finishReason": "STOP"}]}
    r = spatial.parse(GenerateContentResponse.from_json(data), SIZE)
    assert [i.label for i in r.items] == ["a"] and r.finish_reason == "STOP"
    odd = {"candidates": [{"content": {"parts": [{"text": text}]}, "finishReason": 7}]}
    r = spatial.parse(odd, SIZE)
    assert [i.label for i in r.items] == ["a"]
    assert codes(r) == [(None, "note", "response_format")]
