"""The ``item_rows`` kernel: the Rust build of a record's rows against its Python twin.

The batch tests compare whole runs with ``spatial.parse`` on each backend; here
the two builders meet on inputs the parser rarely makes: every item kind,
diagnostics about dropped items and about the whole text in any order,
negative indices, labels and messages with lone surrogates, empty records.
"""

from __future__ import annotations

from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemini_vision.batch.schema import COLUMNS

TEXT = st.text(alphabet=st.sampled_from(["a", "é", "\ud800", "\udfff", " ", "'", "\\"]), max_size=6)


@st.composite
def records(draw: st.DrawFn) -> tuple[Any, ...]:
    indices = draw(st.lists(st.integers(0, 12), unique=True, max_size=6))
    drafts = []
    for index in indices:
        kind = draw(st.sampled_from(["box", "point", "box_3d"]))
        box = None
        if kind == "box":
            x0, y0 = draw(st.integers(0, 50)), draw(st.integers(0, 50))
            box = (x0, y0, x0 + draw(st.integers(1, 50)), y0 + draw(st.integers(1, 50)))
        drafts.append(
            SimpleNamespace(
                index=index,
                label=draw(TEXT),
                box=box,
                confidence=draw(st.none() | st.floats(0, 1)),
                point=(draw(st.integers(0, 9)), draw(st.integers(0, 9)))
                if kind == "point"
                else None,
                box_3d=tuple(float(i) for i in range(9)) if kind == "box_3d" else None,
            )
        )
    diagnostics = [
        SimpleNamespace(
            index=draw(st.none() | st.integers(-2, 14)),
            action=draw(st.sampled_from(["note", "repaired", "rejected"])),
            code=draw(st.sampled_from(["truncated", "clamped", "duplicate"])),
            message=draw(TEXT),
        )
        for _ in range(draw(st.integers(0, 6)))
    ]
    with_box = [d.index for d in drafts if d.box is not None]
    segments = (
        {
            index: (draw(st.text("0123456789:;<=>?@ABC", max_size=8)), draw(st.integers(0, 99)))
            for index in draw(st.lists(st.sampled_from(with_box), unique=True))
        }
        if with_box
        else {}
    )
    record_id = draw(st.integers(-5, 5) | st.text(max_size=3))
    return record_id, drafts, diagnostics, segments, (draw(st.integers(1, 99)), 7)


@given(records())
def test_rust_and_python_build_the_same_rows(
    rust_kernels: ModuleType, numpy_kernels: ModuleType, record: tuple[Any, ...]
) -> None:
    rust = rust_kernels.item_rows(*record)
    twin = numpy_kernels.item_rows(*record)
    assert rust == twin
    assert [type(v) for column in rust for v in column] == [
        type(v) for column in twin for v in column
    ]
    assert len(rust) == len(COLUMNS)
    assert len({len(column) for column in rust}) == 1


def test_every_diagnostic_lands_in_exactly_one_row(kernels: ModuleType) -> None:
    """Item diagnostics on their item, the rest on one record row after the items."""
    d = SimpleNamespace
    drafts = [d(index=1, label="a", box=(0, 0, 2, 3), confidence=None, point=None, box_3d=None)]
    notes = [
        d(index=4, action="rejected", code="bad_number", message="item 4: dropped"),
        d(index=1, action="repaired", code="clamped", message="item 1: clamped"),
        d(index=None, action="note", code="truncated", message="cut"),
    ]
    columns = kernels.item_rows("r", drafts, notes, {}, (5, 5))
    rows = [
        dict(zip([n for n, _ in COLUMNS], values, strict=True))
        for values in zip(*columns, strict=True)
    ]
    assert [(r["item"], r["kind"], r["area"]) for r in rows] == [(1, "box", 6), (None, None, None)]
    assert [n["code"] for n in rows[0]["diagnostics"]] == ["clamped"]
    assert [n["code"] for n in rows[1]["diagnostics"]] == ["truncated", "bad_number"]


@pytest.mark.parametrize("bad", [{"label": 3}, {"box": (1, 2)}, {"index": "x"}])
def test_a_malformed_draft_raises(kernels: ModuleType, bad: dict[str, Any]) -> None:
    """The caller turns the exception into the record's bad_record row."""
    fields = {"index": 0, "label": "", "box": (0, 0, 1, 1), "confidence": None, "point": None}
    draft = SimpleNamespace(**{**fields, "box_3d": None, **bad})
    with pytest.raises(Exception):  # noqa: B017 - any class: the batch catches all
        kernels.item_rows(0, [draft], [], {}, (1, 1))
