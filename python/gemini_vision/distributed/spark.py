"""The batch job on Spark (SPEC D3): ``mapInArrow`` over a DataFrame of records.

``process`` hands each Arrow batch that Spark builds on an executor to
``gemini_vision.batch.process_arrow`` and declares the output schema up front
(the DDL from ``batch.output_schema``), so Spark never guesses types and no
record goes through the driver.

Executors need the package with its compiled extension. ``SparkContext.addPyFile``
only adds pure-Python files to the path; it cannot load a compiled module. Ship a
packed virtual environment instead (the README's Scale-out section has the steps):

    pip install venv-pack && venv-pack -o gv-env.tar.gz     # in a venv with gemini-vision
    spark-submit --conf spark.archives=gv-env.tar.gz#environment \\
        --conf spark.pyspark.python=./environment/bin/python job.py

Needs ``pip install 'gemini-vision[spark]'``.

>>> output_ddl().split(", ")[:3]
['`id` BIGINT', '`item` INT', '`kind` STRING']
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from gemini_vision import batch
from gemini_vision.batch.records import engine_columns
from gemini_vision.batch.schema import spark_ddl

__all__ = ["output_ddl", "process"]


def output_ddl(id_type: pa.DataType | None = None) -> str:
    """The Spark DDL of the output, with ``id`` of the Arrow type ``id_type`` (default int64).

    >>> output_ddl(pa.string()).split(", ")[0]
    '`id` STRING'
    """
    return spark_ddl(batch.output_schema(id_type))


def process(
    df: Any,
    *,
    threshold: int = 127,
    pillow: int = 13,
    threads: int | None = None,
) -> Any:
    """The item table of every record of the Spark DataFrame ``df``, lazily.

    Args:
        df: a ``pyspark.sql.DataFrame`` with the columns ``id``, ``width``,
            ``height`` and ``text`` and/or ``response`` (other columns are not read).
            ``id`` is required (add one with ``monotonically_increasing_id()``).
        threshold, pillow, threads: as for ``gemini_vision.batch.process``
            (``threads`` per task: Spark already runs one task per core).

    Returns:
        A ``pyspark.sql.DataFrame`` with ``batch.output_schema``'s columns.

    Raises:
        LocalError: a needed column is missing.

    >>> from pyspark.sql import SparkSession  # doctest: +SKIP
    >>> spark = SparkSession.builder.master("local[2]").getOrCreate()  # doctest: +SKIP
    >>> df = spark.createDataFrame([(1, 4, 4, '[{"point": [500, 500]}]')],
    ...                            "id long, width int, height int, text string")  # doctest: +SKIP
    >>> process(df).select("id", "kind", "point_x").collect()  # doctest: +SKIP
    [Row(id=1, kind='point', point_x=2)]
    """
    from pyspark.sql.pandas.types import to_arrow_type

    columns = engine_columns(df.columns)
    id_type = to_arrow_type(df.schema["id"].dataType)
    schema = batch.output_schema(id_type)
    options: dict[str, Any] = {"threshold": threshold, "pillow": pillow, "threads": threads}

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for records in batches:
            # The batch's id column has the type Spark derived from the same DataType.
            yield batch.process_arrow(records, **options)

    return df.select(*columns).mapInArrow(run, spark_ddl(schema))
