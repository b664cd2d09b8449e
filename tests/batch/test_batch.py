"""gemini_vision.batch: the flat item table of many answers equals ``spatial.parse`` per record.

The expected rows are built here from ``spatial.parse`` results (box-local masks
pasted into a frame with NumPy), and the batch's masks are read back with
pycocotools, so neither side of a comparison is the batch's own code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gemini_vision
from gemini_vision import batch, spatial
from gemini_vision.batch.schema import spark_ddl
from gemini_vision.errors import LocalError
from tests.batch_records import BROKEN_ANSWERS, make_records

# The test extra has these; the small Pillow 12 environment does not.
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")
coco_mask = pytest.importorskip("pycocotools.mask")

RECORDS = list(make_records(300, items=6, bad_every=13))

# pycocotools (its Cython decode) trips NumPy 2's __array__ copy deprecation.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def _frame_mask(item: spatial.SpatialItem, size: tuple[int, int]) -> np.ndarray:
    width, height = size
    frame = np.zeros((height, width), dtype=bool)
    assert item.box is not None and item.mask is not None
    x0, y0, x1, y1 = item.box
    frame[y0:y1, x0:x1] = item.mask
    return frame


def _diag(d: spatial.Diagnostic) -> dict[str, Any]:
    return {"index": d.index, "action": d.action, "code": d.code, "message": d.message}


def expected_rows(record: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    """The rows of one record, from ``spatial.parse`` (masks as full frames, not RLE)."""
    try:
        size = (int(record["width"]), int(record["height"]))
        if record.get("text") is None:
            raise LocalError("no answer")
        result = spatial.parse(record["text"], size, **options)
    except (LocalError, TypeError):
        return [{"id": record["id"], "item": None, "codes": ["bad_record"]}]
    rows: list[dict[str, Any]] = []
    kept = {item.index for item in result.items}
    for item in result.items:
        box = item.box or (None, None, None, None)
        rows.append(
            {
                "id": record["id"],
                "item": item.index,
                "kind": item.kind,
                "label": item.label,
                "x0": box[0],
                "y0": box[1],
                "x1": box[2],
                "y1": box[3],
                "confidence": item.confidence,
                "mask": None if item.mask is None else _frame_mask(item, size),
                "area": item.area,
                "diagnostics": [_diag(d) for d in result.diagnostics_for(item.index)],
                "point_x": None if item.point is None else item.point[0],
                "point_y": None if item.point is None else item.point[1],
                "box_3d": None if item.box_3d is None else list(item.box_3d),
            }
        )
    loose = [_diag(d) for d in result.diagnostics if d.index is None or d.index not in kept]
    if loose or not result.items:  # a record with no item still has its (record) row
        rows.append({"id": record["id"], "item": None, "diagnostics": loose})
    return rows


def assert_rows_match(actual: list[dict[str, Any]], records: list[dict[str, Any]]) -> None:
    expected = [row for record in records for row in expected_rows(record)]
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert got["id"] == want["id"] and got["item"] == want["item"]
        if "codes" in want:  # an unreadable record
            assert [d["code"] for d in got["diagnostics"]] == want["codes"]
            assert got["kind"] is None
            continue
        if want["item"] is None:
            assert got["diagnostics"] == want["diagnostics"]
            assert got["kind"] is None and got["rle_counts"] is None
            continue
        mask = want.pop("mask")
        counts, size = got.pop("rle_counts"), got.pop("rle_size")
        if mask is None:
            assert counts is None and size is None
        else:
            assert size == list(mask.shape)
            decoded = coco_mask.decode({"size": size, "counts": counts.encode()})
            np.testing.assert_array_equal(decoded.astype(bool), mask)
            assert int(coco_mask.area({"size": size, "counts": counts.encode()})) == want["area"]
        assert got == want


def test_rows_equal_parse_per_record() -> None:
    """Every row equals what spatial.parse gives for its record; masks equal after RLE decode."""
    out = batch.process(RECORDS)
    assert isinstance(out, pa.Table)
    assert out.schema == batch.OUTPUT_SCHEMA
    assert_rows_match(out.to_pylist(), RECORDS)


def test_broken_answers_give_diagnostic_rows_never_gaps() -> None:
    """Each broken answer and unreadable record has at least one row with a diagnostic."""
    records: list[dict[str, Any]] = [
        {"id": i, "width": 320, "height": 240, "text": text}
        for i, text in enumerate(BROKEN_ANSWERS)
    ]
    records += [
        {"id": 100, "width": 0, "height": 240, "text": "[]"},
        {"id": 101, "width": None, "height": 240, "text": "[]"},
        {"id": 102, "width": 320, "height": 240},
        {"id": 103, "width": 320.5, "height": 240, "text": "[]"},
        {"id": 104, "width": "320", "height": 240, "text": "[]"},
        {"id": 105, "width": 320, "height": 240, "text": 12},
        {"id": 106, "width": 320, "height": 240, "text": b"\xff\xfe"},
    ]
    out = batch.process(records).to_pylist()
    for record in records:
        rows = [r for r in out if r["id"] == record["id"]]
        assert any(r["diagnostics"] for r in rows), record
    bad = [r for r in out if r["id"] >= 100]
    assert [r["id"] for r in bad] == list(range(100, 107))
    assert all(r["diagnostics"][0]["code"] == "bad_record" for r in bad)
    assert "width" in bad[0]["diagnostics"][0]["message"]
    assert_rows_match(out[: -len(bad)], records[: -len(bad)])


def test_input_forms_give_the_same_table() -> None:
    """Dicts, a pandas DataFrame, a pyarrow Table and a RecordBatch give one table."""
    records = RECORDS[:60]
    table = pa.Table.from_pylist(records)
    reference = batch.process(records)
    assert batch.process(table).equals(reference)
    assert batch.process(table.to_batches()[0]).equals(reference)
    assert batch.process(pd.DataFrame(records)).equals(reference)
    assert batch.process(iter(records)).equals(reference)


def test_response_column_and_string_ids() -> None:
    """Responses (JSON text or dicts) are read like parse reads them; ids keep their type."""
    answer = '[{"box_2d": [0, 0, 500, 500], "label": "a"}]'
    response = {"candidates": [{"content": {"parts": [{"text": answer}]}}]}
    records = [
        {"id": "x", "width": 8, "height": 8, "response": json.dumps(response)},
        {"id": "y", "width": 8, "height": 8, "response": response},
        {"id": "z", "width": 8, "height": 8, "text": answer, "response": "ignored"},
    ]
    out = batch.process(records)
    assert out.schema.field("id").type == pa.string()
    assert out.column("id").to_pylist() == ["x", "y", "z"]
    assert out.column("x1").to_pylist() == [4, 4, 4]
    arrow = pa.table({"id": ["x"], "width": [8], "height": [8], "response": [json.dumps(response)]})
    assert batch.process(arrow).column("label").to_pylist() == ["a"]


def test_positions_are_the_ids_when_there_is_no_id_column() -> None:
    """Without ids, a record's id is its position in the batch."""
    out = batch.process(
        [{"width": 4, "height": 4, "text": '{"point": [1, 1]}'}] * 3,
    )
    assert out.column("id").to_pylist() == [0, 1, 2]


def test_process_arrow_keeps_the_batch_type_and_schema() -> None:
    """A RecordBatch gives a RecordBatch, a Table a Table, both with the declared schema."""
    table = pa.Table.from_pylist(RECORDS[:40])
    record_batch = table.to_batches()[0]
    out = batch.process_arrow(record_batch)
    assert isinstance(out, pa.RecordBatch) and out.schema == batch.OUTPUT_SCHEMA
    assert pa.Table.from_batches([out]).equals(batch.process(table))
    assert isinstance(batch.process_arrow(table), pa.Table)
    empty = batch.process_arrow(record_batch.slice(0, 0))
    assert empty.num_rows == 0 and empty.schema == batch.OUTPUT_SCHEMA


def test_without_pyarrow_process_returns_dicts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pyarrow the same rows come back as a list of dicts."""
    monkeypatch.setattr(batch, "_HAVE_ARROW", False)
    rows = batch.process(RECORDS[:50])
    monkeypatch.undo()
    assert rows == batch.process(RECORDS[:50]).to_pylist()


def test_one_thread_and_all_threads_agree() -> None:
    """The thread count changes nothing but the speed."""
    assert batch.process(RECORDS, threads=1).equals(batch.process(RECORDS))


def test_chunks_overlapping_the_masks_give_the_same_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many chunks (masks of one chunk while the next is read) change nothing but the speed."""
    from gemini_vision.batch import run as run_module

    reference = batch.process(RECORDS)
    monkeypatch.setattr(run_module, "CHUNK", 3)
    monkeypatch.setattr(run_module, "MIN_CHUNK", 1)
    assert run_module.chunk_size(len(RECORDS)) == 3
    assert batch.process(RECORDS, threads=2).equals(reference)
    assert batch.process(RECORDS, threads=1).equals(reference)


def test_threshold_and_pillow_options_reach_the_masks() -> None:
    """``threshold`` and ``pillow`` mean what they mean for spatial.parse."""
    records = RECORDS[:80]
    for options in ({"threshold": 200}, {"threshold": 0}, {"pillow": 12}):
        out = batch.process(records, **options).to_pylist()
        expected = [row for record in records for row in expected_rows(record, **options)]
        assert [r["area"] for r in out] == [r.get("area") for r in expected]


def test_bad_calls_raise_local_errors() -> None:
    """A missing column, a wrong container or mixed ids are the caller's errors."""
    with pytest.raises(LocalError, match="'text' or a 'response'"):
        batch.process(pa.table({"width": [1], "height": [1]}))
    with pytest.raises(LocalError, match="'height'"):
        batch.process(pd.DataFrame({"width": [1], "text": ["[]"]}))
    with pytest.raises(LocalError, match="iterable of dicts"):
        batch.process("not records")
    with pytest.raises(LocalError, match="not a dict"):
        batch.process([["width", 1]])
    good = [{"width": 4, "height": 4, "text": "[]"}]
    for options, message in (
        ({"threshold": "127"}, "threshold must be an integer"),
        ({"pillow": 14}, "pillow must be 12 or 13"),
        ({"threads": 0}, "threads must be at least 1"),
        ({"threads": True}, "threads must be an integer"),
    ):
        with pytest.raises(LocalError, match=message):
            batch.process(good, **options)
    with pytest.raises(LocalError, match="one type"):
        batch.process([{"id": 1, "width": 4, "height": 4, "text": "{}"}, {"id": "b"}])


@given(
    texts=st.lists(
        st.one_of(
            st.text(max_size=80),
            st.sampled_from(BROKEN_ANSWERS),
            st.builds(
                lambda parts: "[" + ",".join(parts),
                st.lists(st.sampled_from(['{"box_2d": [1, 2, 3, 4]}', '{"point": [1', "{}"])),
            ),
        ),
        max_size=6,
    )
)
def test_arbitrary_answers_never_crash_and_never_vanish(texts: list[str]) -> None:
    """Whatever the answers say, every record with a diagnostic or item has a row."""
    records = [{"id": i, "width": 50, "height": 40, "text": t} for i, t in enumerate(texts)]
    out = batch.process(records).to_pylist()
    for record in records:
        result = spatial.parse(record["text"], (50, 40))
        rows = [r for r in out if r["id"] == record["id"]]
        assert len([r for r in rows if r["item"] is not None]) == len(result.items)
        assert sum(len(r["diagnostics"]) for r in rows) == len(result.diagnostics)


def test_schema_and_spark_ddl_are_declared_once() -> None:
    """OUTPUT_SCHEMA lists COLUMNS in order; the Spark DDL spells every column."""
    assert batch.OUTPUT_SCHEMA.names == [name for name, _ in batch.COLUMNS]
    ddl = spark_ddl(batch.OUTPUT_SCHEMA)
    assert ddl.startswith("`id` BIGINT, `item` INT, `kind` STRING")
    assert "`diagnostics` ARRAY<STRUCT<`index`: INT, `action`: STRING" in ddl
    assert batch.output_schema(pa.string()).field("id").type == pa.string()


NUMPY_SCRIPT = """
import sys
import pyarrow.parquet as pq
from gemini_vision import batch
import gemini_vision
assert gemini_vision.backend == "numpy", gemini_vision.backend
pq.write_table(batch.process(pq.read_table(sys.argv[1])), sys.argv[2])
"""


@pytest.mark.skipif(gemini_vision.backend != "rust", reason="compares the Rust run with NumPy")
def test_rust_and_numpy_backends_give_the_same_table(tmp_path: Path) -> None:
    """The NumPy fallback (in a subprocess, as the backend is chosen at import) gives equal rows."""
    table = pa.Table.from_pylist(RECORDS)
    pq.write_table(table, tmp_path / "in.parquet")
    env = {**os.environ, "GEMINI_VISION_BACKEND": "numpy"}
    subprocess.run(
        [sys.executable, "-c", NUMPY_SCRIPT, str(tmp_path / "in.parquet"), str(tmp_path / "o.pq")],
        check=True,
        env=env,
    )
    assert pq.read_table(tmp_path / "o.pq").equals(batch.process(table))
