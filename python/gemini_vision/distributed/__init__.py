"""The batch job on existing distributed engines (SPEC D3): Dask and Spark.

Each engine calls the one per-batch function, ``gemini_vision.batch.process_arrow``,
on batches it builds itself inside its tasks; nothing here schedules work.

- ``gemini_vision.distributed.dask.process``: a dask DataFrame or Parquet files in,
  a dask DataFrame or Parquet files out (``pip install 'gemini-vision[dask]'``).
- ``gemini_vision.distributed.spark.process``: a Spark DataFrame in and out, through
  ``mapInArrow`` with the declared output schema (``pip install 'gemini-vision[spark]'``).
- Ray Data needs no module: ``ds.map_batches(batch.process_arrow, batch_format="pyarrow")``
  (see the README's Scale-out section).

The submodules import their engine when loaded, so import them by name:

>>> import importlib.util
>>> importlib.util.find_spec("gemini_vision.distributed.dask") is not None
True
"""

from __future__ import annotations

__all__: list[str] = []
