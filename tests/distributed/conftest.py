"""Shared records for the engine tests: 10,000+ generated records as Parquet files.

These tests are marked ``slow`` and run once, in their own step of
``scripts/test.sh`` (``scripts/test-distributed.sh``), with the Rust backend.
Every engine is bound to loopback: no test traffic leaves 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.batch_records import make_records, png_pool

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

RECORD_COUNT = 10_000
FILES = 4


@pytest.fixture(scope="session")
def records_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Parquet files (several row groups each) of ``RECORD_COUNT`` records with int ids."""
    folder = tmp_path_factory.mktemp("records")
    pool = png_pool(count=12, size=16)
    records = list(make_records(RECORD_COUNT, items=2, bad_every=97, pool=pool))
    per_file = RECORD_COUNT // FILES
    for k in range(FILES):
        table = pa.Table.from_pylist(records[k * per_file : (k + 1) * per_file])
        pq.write_table(table, folder / f"part-{k}.parquet", row_group_size=1000)
    return folder


@pytest.fixture(scope="session")
def single_process(records_dir: Path) -> pa.Table:
    """The reference: ``batch.process`` over all records in this process."""
    from gemini_vision import batch

    return batch.process(pq.read_table(records_dir))


def sorted_rows(table: pa.Table) -> list[dict[str, object]]:
    """Rows by (id, item), record rows (item null) after their record's items."""
    return sorted(table.to_pylist(), key=lambda r: (r["id"], r["item"] is None, r["item"] or 0))
