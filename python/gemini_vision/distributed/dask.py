"""The batch job on Dask (SPEC D3): a dask DataFrame or Parquet files in, the item table out.

``process`` maps ``gemini_vision.batch`` over the partitions of a dask DataFrame.
Given Parquet paths, it reads them with ``dask.dataframe.read_parquet``, so each
task reads its own row groups on its worker: no record passes through the
client. The result is a lazy dask DataFrame with the columns of
``batch.output_schema`` (Arrow-backed pandas dtypes, so nothing is converted on
the way to Parquet), or, given ``output``, Parquet files written by the workers
(plain Arrow files, without pandas' dtype metadata, so that ``pandas.read_parquet``
reads them under pandas 2 and 3 alike: see ``distributed.parquet``).

Worker memory settings. Dask's nanny starts each worker process with
``MALLOC_TRIM_THRESHOLD_=65536`` (config ``distributed.nanny.pre-spawn-environ``).
Setting that variable turns off glibc's adaptive mmap threshold, so every NumPy
array over 128 KiB is mapped and unmapped anew, page faults included; on small
machines that costs NumPy-heavy tasks about half their speed. ``WORKER_CONFIG``
removes the variable (a ``None`` value unsets it), and ``local_cluster`` applies
it; for a cluster you start yourself, put the same setting in the nanny's Dask
config (see the README's Scale-out section) and check it with ``check_workers``.

Needs ``pip install 'gemini-vision[dask]'``.

>>> WORKER_CONFIG
{'distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_': None}
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import dask
import dask.dataframe as dd
import pandas as pd
import pyarrow as pa
from dask.base import compute
from dask.delayed import delayed

from gemini_vision import batch
from gemini_vision.batch.records import engine_columns
from gemini_vision.distributed.parquet import write_table
from gemini_vision.errors import LocalError

__all__ = ["WORKER_CONFIG", "check_workers", "local_cluster", "process"]

#: Dask config that starts worker processes without ``MALLOC_TRIM_THRESHOLD_``.
WORKER_CONFIG: dict[str, Any] = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}

_TRIM = "MALLOC_TRIM_THRESHOLD_"


def process(
    data: Any,
    *,
    output: str | os.PathLike[str] | None = None,
    threshold: int = 127,
    pillow: int = 13,
    threads: int | None = None,
) -> dd.DataFrame | None:
    """The item table of every record of ``data``, computed by Dask's workers.

    Args:
        data: a dask DataFrame, or a Parquet path, folder, glob or list of them,
            with the columns ``id``, ``width``, ``height`` and ``text`` and/or
            ``response`` (other columns are not read). ``id`` is required: the
            records' positions are not known inside a partition.
        output: a folder to write the result to as Parquet (one file per
            partition); then the job runs now and ``None`` is returned.
        threshold, pillow, threads: as for ``gemini_vision.batch.process``
            (``threads`` per task; with one worker process per core, 1 is best).

    Returns:
        The lazy result (a dask DataFrame with ``batch.output_schema``'s columns),
        or ``None`` once ``output`` is written.

    Raises:
        LocalError: a needed column is missing.

    >>> import pandas as pd, dask.dataframe as dd
    >>> records = pd.DataFrame({"id": [7], "width": [4], "height": [4],
    ...                         "text": ['[{"box_2d": [0, 0, 500, 500], "label": "a"}]']})
    >>> out = process(dd.from_pandas(records, npartitions=1)).compute()
    >>> out[["id", "label", "x1", "y1", "area"]].values.tolist()
    [[7, 'a', 2, 2, 4]]
    """
    frame = _records_frame(data)
    columns = engine_columns(frame.columns)
    schema = batch.output_schema(_id_type(frame))
    options = {"threshold": threshold, "pillow": pillow, "threads": threads}
    if output is not None:
        folder = os.fspath(output)
        os.makedirs(folder, exist_ok=True)
        tasks = [
            delayed(_write_partition)(
                part, schema, options, os.path.join(folder, f"part.{i}.parquet")
            )
            for i, part in enumerate(frame[columns].to_delayed())
        ]
        compute(*tasks)  # type: ignore[no-untyped-call,unused-ignore]
        return None
    meta = schema.empty_table().to_pandas(types_mapper=pd.ArrowDtype)
    result: dd.DataFrame = frame[columns].map_partitions(
        _process_partition,
        schema=schema,
        options=options,
        meta=meta,
        enforce_metadata=False,
    )
    return result


def _records_frame(data: Any) -> dd.DataFrame:
    if isinstance(data, (str, os.PathLike)) or (
        isinstance(data, Sequence) and all(isinstance(p, (str, os.PathLike)) for p in data)
    ):
        paths = os.fspath(data) if isinstance(data, (str, os.PathLike)) else list(map(str, data))
        frame = dd.read_parquet(paths)
    elif isinstance(data, dd.DataFrame):
        frame = data
    else:
        raise LocalError(
            f"data must be a dask DataFrame or Parquet paths, got {type(data).__name__}"
        )
    engine_columns(frame.columns)
    return frame  # type: ignore[no-any-return,unused-ignore]


def _id_type(frame: dd.DataFrame) -> pa.DataType:
    """The Arrow type the ``id`` column will have inside the tasks."""
    meta = frame._meta[["id"]]
    id_type: pa.DataType = pa.Schema.from_pandas(meta, preserve_index=False).field("id").type
    return id_type


def _partition_table(part: pd.DataFrame, schema: pa.Schema, options: dict[str, Any]) -> pa.Table:
    records = pa.Table.from_pandas(part, preserve_index=False)
    if records.schema.field("id").type != schema.field("id").type:
        records = records.set_column(
            records.schema.get_field_index("id"), "id", records["id"].cast(schema.field("id").type)
        )
    table: pa.Table = batch.process(records, **options).cast(schema)
    return table


def _process_partition(
    part: pd.DataFrame, *, schema: pa.Schema, options: dict[str, Any]
) -> pd.DataFrame:
    return _partition_table(part, schema, options).to_pandas(types_mapper=pd.ArrowDtype)


def _write_partition(
    part: pd.DataFrame, schema: pa.Schema, options: dict[str, Any], path: str
) -> None:
    write_table(_partition_table(part, schema, options), path)


def local_cluster(n_workers: int = 2, threads_per_worker: int = 1, **kwargs: Any) -> Any:
    """A ``distributed.LocalCluster`` on loopback, no dashboard, ``WORKER_CONFIG`` applied.

    Keyword arguments go to ``LocalCluster`` and override these defaults:
    ``processes=False`` gives threads in this process (then no host is set: the
    scheduler talks in-process), ``host=``, ``dashboard_address=``... as
    ``LocalCluster`` takes them.

    >>> from distributed import Client
    >>> with local_cluster(1) as cluster, Client(cluster) as client:  # doctest: +SKIP
    ...     check_workers(client)
    {}
    """
    from distributed import LocalCluster

    # A worker inherits the nanny's environment; the nanny runs in this process,
    # so an earlier cluster with the default config may have left the variable here.
    os.environ.pop(_TRIM, None)
    options: dict[str, Any] = {
        "n_workers": n_workers,
        "threads_per_worker": threads_per_worker,
        "processes": True,
        "host": "127.0.0.1",
        "dashboard_address": None,
    }
    options.update(kwargs)
    if not options["processes"] and "host" not in kwargs:
        # Threads in this process talk over inproc://, which takes no host.
        del options["host"]
    if options["dashboard_address"] is None:
        # Without a dashboard the scheduler still serves /health and /metrics, on
        # port 8787 unless told otherwise: a second cluster then warns that the port
        # is taken. A free loopback port instead.
        scheduler_kwargs = {"dashboard_address": "127.0.0.1:0"}
        scheduler_kwargs.update(options.get("scheduler_kwargs") or {})
        options["scheduler_kwargs"] = scheduler_kwargs
    with dask.config.set(WORKER_CONFIG):
        return LocalCluster(**options)  # type: ignore[no-untyped-call,unused-ignore]


def check_workers(client: Any) -> dict[str, str]:
    """The workers whose process has ``MALLOC_TRIM_THRESHOLD_`` set, with its value.

    An empty dict means every worker runs with glibc's adaptive default.
    """
    values: dict[str, str | None] = client.run(os.environ.get, _TRIM)
    return {worker: value for worker, value in values.items() if value is not None}
