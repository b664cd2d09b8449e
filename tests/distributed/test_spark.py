"""The batch job on Spark ``local[2]`` through mapInArrow equals the single-process result (D3).

Spark is bound to loopback (``SPARK_LOCAL_IP``, ``spark.driver.host``) with its UI
off; its Python workers run this interpreter. Without Java the tests are skipped
and say so; ``scripts/test-distributed.sh`` installs Java where it can.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.distributed.conftest import RECORD_COUNT, sorted_rows

pytest.importorskip("pyspark")
pq = pytest.importorskip("pyarrow.parquet")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java: no java on PATH"),
]


def test_parquet_in_parquet_out_equals_single_process(
    spark: Any, records_dir: Path, single_process: Any, tmp_path: Path
) -> None:
    """10,000 records through mapInArrow on two local executors equal batch.process."""
    from gemini_vision.distributed import spark as gv_spark

    df = spark.read.parquet(str(records_dir))
    assert df.rdd.getNumPartitions() >= 2
    out = tmp_path / "out"
    gv_spark.process(df, threads=1).write.parquet(str(out))
    written = pq.read_table(out)
    assert written.schema.names == single_process.schema.names
    assert written.num_rows == single_process.num_rows > RECORD_COUNT
    assert sorted_rows(written) == sorted_rows(single_process)


def test_declared_schema_is_the_output_schema(spark: Any) -> None:
    """The DataFrame's schema is the DDL derived from OUTPUT_SCHEMA, string ids kept."""
    from gemini_vision.distributed import spark as gv_spark

    df = spark.createDataFrame(
        [("a", 8, 8, '[{"box_2d": [0, 0, 500, 500], "label": "x"}]')],
        "id string, width int, height int, text string",
    )
    result = gv_spark.process(df)
    assert (
        result.schema.simpleString()
        == spark.createDataFrame(
            [], gv_spark.output_ddl(__import__("pyarrow").string())
        ).schema.simpleString()
    )
    row = result.collect()[0]
    assert (row.id, row.label, row.x1, row.y1, row.area) == ("a", "x", 4, 4, 16)


def test_missing_id_column_is_a_clear_error(spark: Any) -> None:
    """Without an id column the call fails before any job runs."""
    from gemini_vision.distributed import spark as gv_spark
    from gemini_vision.errors import LocalError

    df = spark.createDataFrame([(1, 1, "[]")], "width int, height int, text string")
    with pytest.raises(LocalError, match="id, width, height"):
        gv_spark.process(df)
