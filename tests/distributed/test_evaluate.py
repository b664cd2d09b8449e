"""COCO evaluation over Dask (two worker processes) and Spark local[2] equals one process.

The items of 300 synthetic images are spread over partitions holding whole
images; the engines match each partition where it is and the driver
accumulates once (``gemini_vision.evaluate.scale``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gemini_vision import evaluate
from tests.evaluate.tables import item_tables

pa = pytest.importorskip("pyarrow")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def parts() -> tuple[dict[str, Any], list[Any]]:
    return item_tables(n_images=300, parts=4, segm=True)


def _same(a: Any, b: Any) -> None:
    np.testing.assert_array_equal(a.stats, b.stats)
    np.testing.assert_array_equal(a.precision, b.precision)
    np.testing.assert_array_equal(a.recall, b.recall)
    assert a.unmapped == b.unmapped


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_dask_equals_one_process(parts: Any, iou_type: str) -> None:
    pytest.importorskip("dask.dataframe")
    pytest.importorskip("distributed")
    import dask
    import dask.dataframe as dd
    from distributed import Client

    from gemini_vision.distributed import dask as gv_dask
    from gemini_vision.evaluate import scale

    gt, tables = parts
    whole = evaluate.coco(gt, pa.concat_tables(tables), iou_type)  # type: ignore[arg-type]
    frames = [dask.delayed(t.to_pandas)() for t in tables]
    ddf = dd.from_delayed(frames, meta=tables[0].slice(0, 0).to_pandas())
    with gv_dask.local_cluster(n_workers=2, threads_per_worker=1) as cluster, Client(cluster):
        result = scale.coco_dask(gt, ddf, iou_type)  # type: ignore[arg-type]
    _same(result, whole)


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_spark_equals_one_process(spark: Any, parts: Any, iou_type: str) -> None:
    from gemini_vision.evaluate import scale

    gt, tables = parts
    table = pa.concat_tables(tables)
    whole = evaluate.coco(gt, table, iou_type)  # type: ignore[arg-type]
    df = spark.createDataFrame(table.to_pandas()).repartition(4, "id")
    assert df.rdd.getNumPartitions() == 4
    result = scale.coco_spark(gt, df, iou_type)  # type: ignore[arg-type]
    _same(result, whole)
