"""JSON extraction from real model output (SPEC S1): fences, prose, wrappers, truncation."""

from __future__ import annotations

import json

import pytest

from gemini_vision.spatial.extract import Broken, extract

BOX = {"box_2d": [100, 200, 300, 400], "label": "cat"}
DOG = {"box_2d": [500, 500, 900, 900], "label": "dog"}
PAIR = json.dumps([BOX, DOG])


def guide_parse_json(json_output: str) -> str:
    """The guide's fence stripping, verbatim: it drops the text before the fence
    but returns ``json_output`` (not ``output``), so the closing fence stays."""
    lines = json_output.splitlines()
    for i, line in enumerate(lines):
        if line == "```json":
            json_output = "\n".join(lines[i + 1 :])
            output = json_output.split("```")[0]  # noqa: F841 (the guide's bug: unused)
            break
    return json_output


def test_the_guides_fence_stripping_fails_on_an_ordinary_answer() -> None:
    """The documented sample raises on a fenced answer; extract returns its items."""
    answer = f"```json\n{PAIR}\n```"
    with pytest.raises(json.JSONDecodeError):
        json.loads(guide_parse_json(answer))
    ext = extract(answer)
    assert ext.items == [BOX, DOG]
    assert ext.source == "fenced block 1 (json)"
    assert not ext.truncated and ext.diagnostics == []


@pytest.mark.parametrize(
    "text",
    [
        f"```json\n{PAIR}\n```",
        f"Here you go:\n\n```json\n{PAIR}\n```\nLet me know if you need more.",
        f"````JSON\n{PAIR}\n````",
        f"  ```  json  \n{PAIR}\n  ```  ",
        f"```\n{PAIR}\n```",
        f"```python\n{PAIR}\n```",
        f"~~~json\n{PAIR}\n~~~",
        f"```json\r\n{PAIR}\r\n```\r\n",
        f"````json\n{PAIR}\n```\n````",  # a shorter fence does not close a longer one
        PAIR,
        f"   \n{PAIR}\n\n",
        f"The objects are {PAIR} as requested.",
        f"Sure! {json.dumps(BOX)}\n{json.dumps(DOG)}",  # a sequence of bare objects
        f"{json.dumps(BOX)}{json.dumps(DOG)}",
        json.dumps({"boxes": [BOX, DOG]}),
        json.dumps({"detections": [BOX, DOG]}),
        json.dumps({"objects": [BOX, DOG]}),
        json.dumps({"items": [BOX, DOG]}),
        f"```json\n{json.dumps({'items': [BOX, DOG]}, indent=4)}\n```",
    ],
)
def test_every_wrapping_gives_the_same_items(text: str) -> None:
    """Fences of any length and tag, prose, bare JSON, bare objects and wrappers."""
    ext = extract(text)
    assert ext.items == [BOX, DOG]
    assert not ext.truncated
    assert [d.code for d in ext.diagnostics if d.action != "note"] == []


def test_a_single_object_is_one_item() -> None:
    """A lone object (not a wrapper) is the only item."""
    assert extract(json.dumps(BOX)).items == [BOX]
    assert extract(f"```json\n{json.dumps(BOX)}\n```").items == [BOX]


def test_brackets_and_quotes_inside_strings_do_not_confuse_the_scanner() -> None:
    """Labels holding ], }, [, escaped quotes and backslashes survive the scanner."""
    tricky = {"box_2d": [1, 2, 3, 4], "label": 'a ] b } c [ { \\"q\\" \\\\ ,'}
    text = "Prose [with a bracket] first. " + json.dumps([tricky, BOX]) + " trailing }]"
    assert extract(text).items == [tricky, BOX]


def test_truncated_answer_keeps_every_complete_item() -> None:
    """An answer cut inside the third item keeps two items and reports the cut."""
    full = json.dumps([BOX, DOG, {"box_2d": [1, 2, 3, 4], "mask": "data:image/png;base64,iVBOR"}])
    text = "```json\n" + full[: full.index("iVBOR") + 3]
    ext = extract(text)
    assert ext.truncated
    assert ext.items[:2] == [BOX, DOG]
    assert isinstance(ext.items[2], Broken)
    codes = [(d.index, d.action, d.code) for d in ext.diagnostics]
    assert (2, "rejected", "truncated") in codes
    assert (None, "note", "truncated") in codes


def test_truncated_right_after_a_comma_loses_nothing_but_is_marked() -> None:
    """Text cut between items keeps all complete items and still says truncated."""
    ext = extract(json.dumps([BOX, DOG])[:-1] + ",\n")
    assert ext.items == [BOX, DOG]
    assert ext.truncated


def test_truncated_wrapper_is_salvaged() -> None:
    """A cut-off {"boxes": [...]} keeps the complete items of its list."""
    text = json.dumps({"boxes": [BOX, DOG]})[:-10]
    ext = extract(text)
    assert ext.items[0] == BOX
    assert isinstance(ext.items[1], Broken)
    assert ext.truncated


def test_one_malformed_item_costs_only_that_item() -> None:
    """A broken element in the middle is reported with its index; its neighbours stay."""
    text = (
        "[" + json.dumps(BOX) + ', {"box_2d": [1, 2, 3, 4], "label": cat}, ' + json.dumps(DOG) + "]"
    )
    ext = extract(text)
    assert ext.items[0] == BOX and ext.items[2] == DOG
    assert isinstance(ext.items[1], Broken)
    (diag,) = ext.diagnostics
    assert (diag.index, diag.action, diag.code) == (1, "rejected", "bad_json")
    assert diag.message.startswith("item 1: not valid JSON")
    assert not ext.truncated


def test_trailing_comma_is_tolerated() -> None:
    """Models sometimes leave a trailing comma; the items are all kept."""
    assert extract("[" + json.dumps(BOX) + ", " + json.dumps(DOG) + ",]").items == [BOX, DOG]


def test_stray_bracket_in_prose_before_the_json() -> None:
    """An unclosed bracket in the prose does not swallow the JSON after it."""
    text = f"Objects found [see the list below:\n{PAIR}"
    ext = extract(text)
    assert ext.items == [BOX, DOG]


def test_no_json_is_a_diagnostic() -> None:
    """Prose alone gives no items and says so."""
    ext = extract("I could not find any objects in this image.")
    assert ext.items == []
    assert [(d.index, d.code) for d in ext.diagnostics] == [(None, "no_json")]


def test_a_json_scalar_is_not_a_list_of_items() -> None:
    """A bare JSON string or number is reported, not turned into items."""
    ext = extract("```json\n[1, 2]\n```\n")
    assert ext.items == [1, 2]  # items stage rejects them one by one
    ext = extract('"just a string"')
    assert ext.items == [] and ext.diagnostics[0].code == "no_json"


def test_the_first_fenced_block_with_json_wins_and_the_others_are_noted() -> None:
    """A code block without JSON is skipped; several JSON blocks: the first, with a note."""
    text = (
        f"```python\nprint('hi')\n```\n"
        f"```json\n{json.dumps([BOX])}\n```\n```json\n{json.dumps([DOG])}\n```"
    )
    ext = extract(text)
    assert ext.items == [BOX]
    assert ext.source == "fenced block 2 (json)"
    assert [d.code for d in ext.diagnostics] == ["fences"]


def test_unclosed_fence_with_complete_json() -> None:
    """A fence whose closing marks were cut off still gives its complete JSON."""
    ext = extract(f"```json\n{PAIR}\n")
    assert ext.items == [BOX, DOG] and not ext.truncated


def test_deep_nesting_does_not_raise() -> None:
    """Half a million nested brackets are handled without recursion errors."""
    for text in ("[" * 500_000, "[" * 500_000 + "]" * 500_000, "{" * 100_000 + "}" * 3):
        ext = extract(text)
        assert all(isinstance(item, (list, Broken)) for item in ext.items)


def test_nan_and_infinity_literals_parse_and_are_left_to_the_item_stage() -> None:
    """Python's JSON reads NaN/Infinity; extraction keeps them for items to reject."""
    ext = extract('[{"box_2d": [NaN, 0, Infinity, 10]}]')
    assert len(ext.items) == 1


def test_truncated_wrapper_with_other_keys_first() -> None:
    """{"image": ..., "detections": [... cut}: the wrapper's list is still found."""
    text = json.dumps({"image": "a, b", "detections": [BOX, DOG]})[:-12]
    ext = extract(text)
    assert ext.items[0] == BOX and isinstance(ext.items[1], Broken) and ext.truncated
