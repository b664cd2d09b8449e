"""The batch path's fast lane (``records_to_items``) changes nothing but the speed.

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
from gemini_vision._numpy_kernels import records_to_items as numpy_lane
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


_records = st.lists(
    st.tuples(answers(), st.integers(1, 400), st.integers(1, 300)), min_size=1, max_size=6
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=_records, tight=st.booleans())
def test_lane_rows_equal_the_general_parsers(
    records: list[tuple[str, int, int]], tight: bool
) -> None:
    """Row for row, with the lane or without it (and with a tight mask budget)."""
    dicts = [{"id": i, "width": w, "height": h, "text": t} for i, (t, w, h) in enumerate(records)]
    limits = Limits(max_mask_pixels=400) if tight else None
    taken = pipeline.fast_items(
        [t for t, _, _ in records], [(w, h) for _, w, h in records], threshold=127,
        pillow=13, limits=limits or Limits(), threads=1,
    )  # fmt: skip
    for items in taken:
        event("taken by the lane" if items is not None else "left to the general parser")
    from gemini_vision.batch import run as run_module

    with_lane = run_module.run(batch.records.read_records(dicts), limits=limits).to_dicts()
    with pytest.MonkeyPatch.context() as m:
        m.setattr(pipeline, "fast_items", lambda answers, sizes, **_: [None] * len(answers))
        without = run_module.run(batch.records.read_records(dicts), limits=limits).to_dicts()
    assert with_lane == without


@settings(max_examples=150, deadline=None)
@given(records=_records)
def test_both_backends_take_the_same_records(
    rust_kernels: Any, records: list[tuple[str, int, int]]
) -> None:
    """The Rust reader and the json-module twin agree on every record and every item."""
    texts = [t.encode("utf-8", "surrogatepass") for t, _, _ in records]
    sizes = np.array([(w, h) for _, w, h in records], dtype=np.int64)
    args = (127, 13, 1 << 24, 1 << 27, 1 << 26, 1)
    assert rust_kernels.records_to_items(texts, sizes, *args) == numpy_lane(texts, sizes, *args)


def test_the_lane_takes_plain_answers_and_leaves_the_rest() -> None:
    """Not vacuous: plain answers go through the lane, repaired ones do not."""
    plain = [r["text"] for r in synthetic_records(20, masks=3)]
    sizes = [(1024, 768)] * len(plain)
    options: dict[str, Any] = {"threshold": 127, "pillow": 13, "limits": Limits(), "threads": 1}
    assert all(
        items is not None and len(items) == 3
        for items in pipeline.fast_items(plain, sizes, **options)
    )
    repaired = [text.replace('"box_2d": [', '"box_2d": [1001, ', 1) for text in plain]
    assert pipeline.fast_items(repaired, sizes, **options) == [None] * len(plain)


def test_lane_kernel_refuses_bad_calls(kernels: Any) -> None:
    from gemini_vision.errors import KernelInputError

    with pytest.raises(KernelInputError, match="sizes must have shape"):
        kernels.records_to_items([b"[]"], np.zeros((2, 2), dtype=np.int64), 127, 13, 1, 1, 1, 1)
    with pytest.raises(KernelInputError, match="width must be >= 0"):
        kernels.records_to_items([b"[]"], np.array([[-1, 2]]), 127, 13, 1, 1, 1, 1)
