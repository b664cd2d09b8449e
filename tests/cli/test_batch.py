"""``gemini-vision batch`` and ``gemini-vision bench`` (SPEC D1, C5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemini_vision import batch
from gemini_vision.cli import main
from tests.batch_records import make_records

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def test_batch_writes_the_item_table_and_shows_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Parquet output equals batch.process of the input; progress goes to stderr."""
    records = pa.Table.from_pylist(list(make_records(120, items=3)))
    pq.write_table(records, tmp_path / "in.parquet")
    code = main(
        ["batch", str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"), "--batch-size", "25"]
    )
    assert code == 0
    assert pq.read_table(tmp_path / "out.parquet").equals(batch.process(records))
    out, err = capsys.readouterr()
    assert out.startswith("120 records -> ")
    assert "120/120 records" in err.splitlines()[-1]


def test_batch_numbers_records_across_batches_without_ids(tmp_path: Path) -> None:
    """Without an id column the ids are positions in the whole file, not in each batch."""
    records = pa.Table.from_pylist(list(make_records(30, items=1))).drop_columns(["id"])
    pq.write_table(records, tmp_path / "in.parquet")
    assert (
        main(
            [
                "batch",
                str(tmp_path / "in.parquet"),
                str(tmp_path / "o.parquet"),
                "--batch-size",
                "7",
                "--quiet",
            ]
        )
        == 0
    )
    written = pq.read_table(tmp_path / "o.parquet")
    assert written.equals(batch.process(records))


def test_batch_reports_a_missing_column_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file without the needed columns fails with exit code 3 (bad input), one clear line,
    and no output file."""
    pq.write_table(pa.table({"width": [1]}), tmp_path / "in.parquet")
    assert main(["batch", str(tmp_path / "in.parquet"), str(tmp_path / "o.parquet")]) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]
    err = capsys.readouterr().err.strip()
    assert err.startswith("gemini-vision: error: records need a 'height' column")
    assert "\n" not in err


def test_bench_prints_a_table_with_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    """``bench --quick`` prints one line per case with the reference and the ratio."""
    assert main(["bench", "--quick", "--only", "resize", "--only", "rle"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["case", "per", "rust", "numpy", "reference", "ratio"]
    assert [line.split()[0] for line in lines[2:]] == ["resize", "resize+threshold", "rle_encode"]
    assert all(line.rstrip().endswith("x") for line in lines[2:])
