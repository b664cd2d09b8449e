"""A batch survives any record (SPEC R1, D1).

Before: a lone-surrogate label (``"\\ud800"``, a valid JSON escape) made
``batch.process`` raise ``UnicodeEncodeError`` for the whole batch; a width of
2**31 gave an error blaming the record ids (int32 box columns); 10**30 gave
``OverflowError``. Now each is that record's row, and the others are unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest

from gemini_vision import batch
from gemini_vision.batch import run as batch_run

pytest.importorskip("pyarrow")

GOOD = [
    {"id": 10, "width": 40, "height": 20, "text": '[{"box_2d": [0, 0, 500, 500], "label": "ok"}]'},
    {"id": 12, "width": 8, "height": 8, "text": 'Here: [{"point": [500, 500], "label": "p"}]'},
]
SURROGATE = '[{"box_2d": [0, 0, 500, 500], "label": "\\ud800"}]'


def _rows(records: list[dict[str, Any]], **options: Any) -> list[dict[str, Any]]:
    return batch.process(records, **options).to_pylist()  # type: ignore[no-any-return]


def _alone() -> list[dict[str, Any]]:
    return _rows(GOOD)


@pytest.mark.parametrize("threads", [1, None])
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"width": 2**31, "height": 4}, "more than 2147483647 (the int32 pixel columns)"),
        ({"width": 10**30, "height": 4}, "the image width is 1e+30"),
        ({"width": 4, "height": 1e30}, "the image height is 1e+30"),
        ({"width": 2**63, "height": 2**64}, "the image width is"),
    ],
)
def test_oversized_records_are_bad_records(
    bad: dict[str, Any], message: str, threads: int | None
) -> None:
    record = {"id": 11, "text": '[{"box_2d": [0, 0, 1000, 1000], "label": "a"}]', **bad}
    rows = _rows([GOOD[0], record, GOOD[1]], threads=threads)
    (row,) = [r for r in rows if r["id"] == 11]
    assert row["item"] is None
    (diagnostic,) = row["diagnostics"]
    assert diagnostic["code"] == "bad_record" and message in diagnostic["message"]
    assert [r for r in rows if r["id"] != 11] == _alone()


def test_a_lone_surrogate_label_is_escaped_with_a_diagnostic() -> None:
    rows = _rows([GOOD[0], {"id": 11, "width": 4, "height": 4, "text": SURROGATE}, GOOD[1]])
    (row,) = [r for r in rows if r["id"] == 11]
    assert row["label"] == "\\ud800" and row["kind"] == "box" and row["x1"] == 2
    assert [d["code"] for d in row["diagnostics"]] == ["unencodable_text"]
    assert [r for r in rows if r["id"] != 11] == _alone()


def test_a_lone_surrogate_in_a_fast_lane_answer_and_a_diagnostic() -> None:
    """A surrogate label among plain ones, and in text the general parser quotes."""
    text = '[{"box_2d": [0, 0, 500, 500], "label": "a"}, {"box_2d": [1, 2], "label": "\\udfff"}]'
    rows = _rows([{"id": 11, "width": 4, "height": 4, "text": text}, *GOOD])
    mine = [r for r in rows if r["id"] == 11]
    assert mine and all("\udfff" not in str(r) for r in mine)
    assert [r for r in rows if r["id"] != 11] == _alone()


@pytest.mark.parametrize("where", ["prepare", "encode", "emit"])
def test_anything_a_record_raises_is_its_own_bad_record(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash in the parser, the kernels or the row writer: one bad record, rows taken back."""
    poison = '[{"box_2d": [0, 0, 500, 500], "label": "poison"}, {"point": [1, 1], "label": "x"}]'

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    if where == "prepare":
        real = batch_run.prepare

        def prepare(answer: Any, *args: Any, **kwargs: Any) -> Any:
            return explode() if "poison" in answer else real(answer, *args, **kwargs)

        monkeypatch.setattr(batch_run, "prepare", prepare)
    elif where == "encode":
        real_encode = batch_run.pipeline.encode

        def encode(jobs: Any, **kwargs: Any) -> Any:
            return (
                explode() if any(j.frame == (9, 9) for j in jobs) else real_encode(jobs, **kwargs)
            )

        monkeypatch.setattr(batch_run.pipeline, "encode", encode)
        mask = "data:image/png;base64," + (
            "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAAAAABX3VL4AAAAEUlEQVR4AQEGAPn/AAD/AP8ABgAB/wyjNeQAAAAASUVORK5CYII="
        )
        poison = f'Masks: [{{"box_2d": [0, 0, 500, 500], "label": "poison", "mask": "{mask}"}}]'
    else:
        real_add = batch_run.Rows.add_columns

        def add_columns(self: Any, columns: list[list[Any]]) -> None:
            real_add(self, columns)  # the record's rows are in: they must be taken back
            if columns[0][:1] == [11]:
                explode()

        monkeypatch.setattr(batch_run.Rows, "add_columns", add_columns)
    record = {"id": 11, "width": 9, "height": 9, "text": poison}
    rows = _rows([GOOD[0], record, GOOD[1]], threads=1)
    (row,) = [r for r in rows if r["id"] == 11]
    (diagnostic,) = row["diagnostics"]
    assert diagnostic["code"] == "bad_record"
    assert "RuntimeError: boom" in diagnostic["message"]
    assert [r for r in rows if r["id"] != 11] == _alone()
