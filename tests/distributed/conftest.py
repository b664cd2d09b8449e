"""Shared records for the engine tests: 10,000+ generated records as Parquet files.

These tests are marked ``slow`` and run once, in their own step of
``scripts/test.sh`` (``scripts/test-distributed.sh``), with the Rust backend.
Every engine is bound to loopback: no test traffic leaves 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local[2] Spark session on loopback for every Spark test (skipped without Java)."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java: no java on PATH")
    from pyspark.sql import SparkSession

    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("gemini-vision-tests")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.files.maxPartitionBytes", str(1 << 20))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def sorted_rows(table: pa.Table) -> list[dict[str, object]]:
    """Rows by (id, item), record rows (item null) after their record's items."""
    return sorted(table.to_pylist(), key=lambda r: (r["id"], r["item"] is None, r["item"] or 0))
