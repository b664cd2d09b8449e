"""The batch path's fast lane (``records_to_columns``) changes nothing but the speed.

Answers are generated on both sides of every rule of the lane — fences, white
space, escapes, number forms, keys, boxes, masks, limits — and each record's
rows are compared with the general parser's rows for it (the batch with the
lane turned off, itself checked against ``spatial.parse`` in test_batch.py).
The Rust lane and its NumPy twin must also take exactly the same records.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gemini_vision import batch
from gemini_vision._numpy_kernels import records_to_columns as numpy_lane
from gemini_vision.batch import pipeline
from gemini_vision.cli.bench import synthetic_records
from gemini_vision.spatial import Limits
from tests.batch_records import png_pool

pa = pytest.importorskip("pyarrow")

PNGS = png_pool(4, size=16)
CORRUPT = "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAAAAAA6mKC9AAAADElEQVR4nGNg"  # cut off


# --- answers either side of the lane's rules -------------------------------------------------

_ws = st.sampled_from(["", " ", "\n", "\t", "\r\n", "  \n ", "\u00a0", "\x0c"])
_number = st.one_of(
    st.integers(0, 1000).map(str),
    st.sampled_from(["-0", "-5", "1001", "999999", "01", "12.0", "1e2", "5E1", "NaN", '"12"',
                     "true", "null"]),
)  # fmt: skip
_label = st.one_of(
    st.text(max_size=12).map(json.dumps),
    st.text(max_size=12).map(lambda t: json.dumps(t, ensure_ascii=False)),
    st.sampled_from([r'"\ud800"', r'"\ud83d\ude00"', r'"\u00e9\/\"x\\"', '"tab\there"', '"~~~"',
                     '"```"', "7", "null", '["a"]']),
)  # fmt: skip
_mask = st.one_of(
    st.sampled_from([f'"data:image/png;base64,{p}"' for p in PNGS]),
    st.sampled_from([
        f'"DATA:image/png;base64,{PNGS[0]}"', f'"data:image\\/png;base64,{PNGS[1]}"',
        f'" data:image/png;base64,{PNGS[0]}"', f'"data:image/png;base64,{PNGS[0]} "',
        f'"data:image/png;base64,{CORRUPT}"', '"data:image/png;base64,!!!!"',
        '"data:image/png;base64,"', '"data:image/jpeg;base64,AAAA"', '"<seg_12>"', "null", "3",
        f'"data:image/png;base64,{PNGS[0][:40]} {PNGS[0][40:]}"',
        f'"data:image/png;base64,{PNGS[1]}\\n"',
        '"data:image/png;base64,AAAA\\ud800"', f'"data:image/png;base64,{PNGS[3]}<seg_1>"',
        f'"data:image/png;base64,\\u00e9{PNGS[3]}"',
        f'"{PNGS[2]}"',
    ]),
)  # fmt: skip


@st.composite
def _box(draw: st.DrawFn, plain: bool) -> str:
    if plain or draw(st.booleans()):
        ymin, xmin = draw(st.integers(0, 1000)), draw(st.integers(0, 1000))
        ymax, xmax = draw(st.integers(ymin, 1000)), draw(st.integers(xmin, 1000))
        values = [str(v) for v in (ymin, xmin, ymax, xmax)]
    else:
        values = draw(st.lists(_number, min_size=3, max_size=5))
    sep = draw(st.sampled_from([", ", ",", " ,\n "]))
    return "[" + sep.join(values) + "]"


@st.composite
def _item(draw: st.DrawFn, plain: bool) -> str:
    label = st.text(max_size=12).map(json.dumps) if plain else _label
    pairs = [("box_2d", draw(_box(plain))), ("label", draw(label))]
    if draw(st.integers(0, 3)):
        good = st.sampled_from([f'"data:image/png;base64,{p}"' for p in PNGS])
        pairs.append(("mask", draw(good if plain else _mask)))
    extra = draw(st.sampled_from([None, ("confidence", "0.5"), ("point", "[1, 2]"),
                                  ("label", '"again"'), ("bbox_2d", "[1, 2, 3, 4]")]))  # fmt: skip
    if not plain and extra is not None and draw(st.integers(0, 3)) == 0:
        pairs.append(extra)
    pairs = draw(st.permutations(pairs))
    ws = draw(_ws) if not plain and draw(st.integers(0, 5)) == 0 else " "
    return "{" + ",".join(f'{ws}"{k}":{ws}{v}' for k, v in pairs) + "}"


@st.composite
def answers(draw: st.DrawFn) -> str:
    """Half plain (the lane should take most), half with one or more departures."""
    plain = draw(st.booleans())
    items = draw(st.lists(_item(plain), min_size=1 if plain else 0, max_size=4))
    comma = not plain and draw(st.integers(0, 15)) == 0
    body = "[" + ",\n".join(items) + ("," if comma else "") + "]"
    if plain:
        wrapper = draw(
            st.sampled_from(["{b}", "```json\n{b}\n```", "  ```json  \r\n{b}\r\n  ```  "])
        )
        return wrapper.replace("{b}", body) + draw(st.sampled_from(["", "\n", " \r\n"]))
    wrapper = draw(st.sampled_from([
        "{b}", "{b}", "```json\n{b}\n```", "```json\n{b}\n```\n", "  ```json  \r\n{b}\r\n  ```  ",
        "```JSON\n{b}\n```", "````json\n{b}\n````", "```\n{b}\n```", "~~~json\n{b}\n~~~",
        "Here you go:\n```json\n{b}\n```", "```json\n{b}\n```\nDone.", "```json\n{b}",
        "```json\n{b}\n``` \r \n", "```json\n{b}```", "{b}\n```json\n[]\n```",
        "\r```json\n{b}\n```", "{b} trailing", "x {b}",
    ]))  # fmt: skip
    return draw(_ws) + wrapper.replace("{b}", body) + draw(_ws)


@st.composite
def cut_answers(draw: st.DrawFn) -> str:
    """An answer, or one cut off anywhere (as a token limit cuts it), mostly near its end."""
    text = draw(answers())
    if draw(st.integers(0, 2)):
        return text
    keep = draw(
        st.one_of(st.integers(0, len(text)), st.integers(max(len(text) - 120, 0), len(text)))
    )
    return text[:keep]


_records = st.lists(
    st.tuples(cut_answers(), st.integers(1, 400), st.integers(1, 300)), min_size=1, max_size=6
)


def _lane(
    answers: list[str], sizes: list[tuple[int, int]], limits: Limits | None = None
) -> pipeline.Lane:
    return pipeline.fast_columns(
        answers, np.array(sizes, dtype=np.int64).reshape(-1, 2), threshold=127, pillow=13,
        limits=limits or Limits(), threads=1,
    )  # fmt: skip


def _untaken(answers: Any, sizes: Any, **_: Any) -> pipeline.Lane:
    """The lane with nothing taken: every record goes to the general parser."""
    return _lane([], [])._replace(taken=np.zeros(len(answers), dtype=np.bool_))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=_records, tight=st.booleans())
def test_lane_rows_equal_the_general_parsers(
    records: list[tuple[str, int, int]], tight: bool
) -> None:
    """Row for row, with the lane or without it (and with a tight mask budget)."""
    dicts = [{"id": i, "width": w, "height": h, "text": t} for i, (t, w, h) in enumerate(records)]
    limits = Limits(max_mask_pixels=400) if tight else None
    taken = _lane([t for t, _, _ in records], [(w, h) for _, w, h in records], limits).taken
    for took in taken.tolist():
        event("taken by the lane" if took else "left to the general parser")
    from gemini_vision.batch import run as run_module

    with_lane = run_module.run(batch.records.read_records(dicts), limits=limits).to_dicts()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(pipeline, "fast_columns", _untaken)
        without = run_module.run(batch.records.read_records(dicts), limits=limits).to_dicts()
    assert with_lane == without


PREFIX = "data:image/png;base64,"


def test_both_backends_read_every_cut_alike(rust_kernels: Any) -> None:
    """An answer cut at every one of its characters, with escapes in the labels:
    the Rust reader and the json-module twin take the same cuts, with the same rows."""
    png = synthetic_records(1, masks=1)[0]["text"].split("base64,")[1].split('"')[0]
    items = [
        {"box_2d": [10, 20, 300, 400], "label": 'caf\u00e9 "x" \\ y', "mask": PREFIX + png},
        {"box_2d": [0, 0, 1000, 1000], "label": "\U0001f600 b"},
    ]
    full = json.dumps([*items, {**items[1], "label": "c"}, {**items[0], "label": "d"}])
    texts = [full[:keep] for keep in range(len(full) + 1)]
    sizes = np.array([(300, 200)] * len(texts), dtype=np.int64)
    args = (127, 13, 1 << 24, 1 << 27, 1 << 26, 1 << 20, 10_000, 1)
    rust = rust_kernels.records_to_columns(texts, sizes, *args)
    twin = numpy_lane(texts, sizes, *args)
    for name, a, b in zip(pipeline.Lane._fields, rust, twin, strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    # Every cut after the first complete item is taken (inside the first, none is).
    taken = pipeline.Lane(*rust).taken
    first_end = full.index("}, {") + 1
    assert taken[first_end:].all() and not taken[:first_end].any()
    # And the rows are the general parser's (every 3rd cut, and all of the labels').
    from gemini_vision.batch import run as run_module

    some = sorted(set(range(first_end, len(texts), 3)) | set(range(first_end, first_end + 200)))
    dicts = [{"id": i, "width": 300, "height": 200, "text": texts[i]} for i in some]
    with_lane = run_module.run(batch.records.read_records(dicts)).to_dicts()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(pipeline, "fast_columns", _untaken)
        without = run_module.run(batch.records.read_records(dicts)).to_dicts()
    assert with_lane == without


@settings(max_examples=150, deadline=None)
@given(records=_records)
def test_both_backends_take_the_same_records(
    rust_kernels: Any, records: list[tuple[str, int, int]]
) -> None:
    """The Rust reader and the json-module twin agree on every record, row and byte."""
    texts = [t for t, _, _ in records]
    sizes = np.array([(w, h) for _, w, h in records], dtype=np.int64)
    args = (127, 13, 1 << 24, 1 << 27, 1 << 26, 1 << 20, 10_000, 1)
    rust = rust_kernels.records_to_columns(texts, sizes, *args)
    twin = numpy_lane(texts, sizes, *args)
    assert len(rust) == len(twin) == len(pipeline.Lane._fields)
    for name, a, b in zip(pipeline.Lane._fields, rust, twin, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape, name
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_the_lane_takes_plain_answers_and_leaves_the_rest() -> None:
    """Not vacuous: plain answers go through the lane, repaired ones do not."""
    plain = [r["text"] for r in synthetic_records(20, masks=3)]
    sizes = [(1024, 768)] * len(plain)
    lane = _lane(plain, sizes)
    assert lane.taken.all() and len(lane.item) == 60 and lane.segment.all()
    assert lane.item.tolist() == [0, 1, 2] * 20
    repaired = [text.replace('"box_2d": [', '"box_2d": [1001, ', 1) for text in plain]
    assert not _lane(repaired, sizes).taken.any()


@pytest.mark.parametrize(
    ("limits", "taken"),
    [
        (Limits(), True),
        (Limits(max_items=2), True),
        (Limits(max_items=1), False),
        (Limits(max_answer_bytes=10), False),
    ],
)
def test_the_caps_leave_the_record_to_the_general_parser(limits: Limits, taken: bool) -> None:
    """An answer over a cap goes the general way, which reads up to it and says so."""
    text = (
        '[{"box_2d": [0, 0, 500, 500], "label": "a"}, {"box_2d": [0, 0, 100, 100], "label": "a"}]'
    )
    assert _lane([text], [(40, 30)], limits).taken.tolist() == [taken]
    rows = batch.process([{"width": 40, "height": 30, "text": text}], limits=limits).to_pylist()
    codes = [d["code"] for row in rows for d in row["diagnostics"]]
    assert codes[:1] == ([] if taken else ["limit"])


def test_an_exact_copy_goes_to_the_general_parser_and_is_noted() -> None:
    item = '{"box_2d": [0, 0, 500, 500], "label": "a"}'
    text = f"[{item}, {item}]"
    assert _lane([text], [(40, 30)]).taken.tolist() == [False]
    rows = batch.process([{"width": 40, "height": 30, "text": text}]).to_pylist()
    assert [d["code"] for row in rows for d in row["diagnostics"]] == ["duplicate"]
    # The same box from different numbers is no copy (the lane takes it, no diagnostic).
    text = (
        '[{"box_2d": [0, 0, 500, 500], "label": "a"}, {"box_2d": [0, 0, 501, 500], "label": "a"}]'
    )
    assert _lane([text], [(4, 3)]).taken.tolist() == [True]


def test_lane_columns_become_the_output_rows() -> None:
    """The column path: a mix of lane, general and bad records, back in record order."""
    records = [
        {"id": "a", "width": 40, "height": 30, "text": '[{"box_2d": [0, 0, 500, 500], '
         '"label": "caf\u00e9"}, {"box_2d": [0, 0, 1000, 1000], "label": "b"}]'},
        {"id": "b", "width": 40, "height": 30, "text": 'Here: [{"point": [500, 500]}]'},
        {"id": "c", "width": 0, "height": 30, "text": "[]"},
        {"id": "d", "width": 40, "height": 30,
         "text": '[{"box_2d": [0, 0, 100, 100], "label": ""}]'},
    ]  # fmt: skip
    for threads in (1, 2):
        rows = batch.process(records, threads=threads).to_pylist()
        assert [(r["id"], r["item"], r["kind"], r["label"]) for r in rows] == [
            ("a", 0, "box", "café"),
            ("a", 1, "box", "b"),
            ("b", 0, "point", ""),
            ("c", None, None, None),
            ("d", 0, "box", ""),
        ]
        assert rows[1]["area"] == 40 * 30 and rows[0]["diagnostics"] == []


def test_lane_kernel_refuses_bad_calls(kernels: Any) -> None:
    from gemini_vision.errors import KernelInputError

    args = (127, 13, 1, 1, 1, 1, 1, 1)
    with pytest.raises(KernelInputError, match="sizes must have shape"):
        kernels.records_to_columns(["[]"], np.zeros((2, 2), dtype=np.int64), *args)
    with pytest.raises(KernelInputError, match="width must be >= 0"):
        kernels.records_to_columns(["[]"], np.array([[-1, 2]]), *args)


@pytest.mark.parametrize("fenced", [True, False])
def test_cut_off_answers_give_the_general_parsers_rows(fenced: bool) -> None:
    """Answers cut at many places (after items, inside masks, labels, boxes, fences):
    with the lane, every record's rows are still the general parser's."""
    from gemini_vision.batch import run as run_module

    texts = [r["text"] for r in synthetic_records(2, masks=3)]
    if not fenced:
        texts = [t.removeprefix("```json\n").removesuffix("\n```") for t in texts]
    cuts = [t[:keep] for t in texts for keep in range(len(t) - 260, len(t) + 1, 2)]
    cuts += [t[: len(t) - back] for t in texts for back in range(1, 9)]  # around the list's end
    cuts += [t[: t.rfind("}, {") + k] for t in texts for k in (1, 2, 3, 4)]  # around a comma
    cuts += [texts[0][:keep] for keep in range(0, len(texts[0]), 97)]
    # Every place in the last item's box, label and keys and its mask's data URL prefix.
    for t in texts:
        last = t.rfind("{")
        cuts += [t[:keep] for keep in range(last, min(last + 130, len(t)))]
        cuts += [t[: t.rfind('"label"') + k] for k in range(0, 40)]
    dicts = [{"id": i, "width": 300, "height": 200, "text": t} for i, t in enumerate(cuts)]
    lane = _lane(cuts, [(300, 200)] * len(cuts))
    assert (lane.cut == 1).sum() >= 2 and (lane.cut == 2).sum() >= 400, "not vacuous"
    with_lane = run_module.run(batch.records.read_records(dicts)).to_dicts()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(pipeline, "fast_columns", _untaken)
        without = run_module.run(batch.records.read_records(dicts)).to_dicts()
    assert with_lane == without
