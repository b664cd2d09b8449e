"""The batch job on a two-process Dask LocalCluster equals the single-process result (SPEC D3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.distributed.conftest import RECORD_COUNT, sorted_rows

pytest.importorskip("dask.dataframe")
pytest.importorskip("distributed")
pq = pytest.importorskip("pyarrow.parquet")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client

    from gemini_vision.distributed import dask as gv_dask

    with (
        gv_dask.local_cluster(n_workers=2, threads_per_worker=1) as cluster,
        Client(cluster) as client,
    ):
        yield client


def test_parquet_in_parquet_out_equals_single_process(
    client: Any, records_dir: Path, single_process: Any, tmp_path: Path
) -> None:
    """10,000 records read by the workers and written by them equal batch.process in one process."""
    from gemini_vision.distributed import dask as gv_dask

    assert len(client.scheduler_info()["workers"]) == 2
    out = tmp_path / "out"
    assert gv_dask.process(str(records_dir), output=out, threads=1) is None
    written = pq.read_table(out)
    assert written.schema == single_process.schema
    assert written.num_rows == single_process.num_rows > RECORD_COUNT
    assert sorted_rows(written) == sorted_rows(single_process)


def test_dask_dataframe_in_dask_dataframe_out(
    client: Any, records_dir: Path, single_process: Any
) -> None:
    """A dask DataFrame in gives a lazy dask DataFrame with the declared columns."""
    import dask.dataframe as dd
    import pyarrow as pa

    from gemini_vision import batch
    from gemini_vision.distributed import dask as gv_dask

    frame = dd.read_parquet(str(records_dir)).repartition(npartitions=8)
    result = gv_dask.process(frame)
    assert list(result.columns) == batch.OUTPUT_SCHEMA.names
    table = pa.Table.from_pandas(result.compute(), preserve_index=False)
    assert sorted_rows(table.cast(single_process.schema)) == sorted_rows(single_process)


def test_the_written_parquet_reads_back_with_pandas(
    client: Any, records_dir: Path, single_process: Any, tmp_path: Path
) -> None:
    """pandas.read_parquet reads the workers' Parquet (pandas 2 here; 3 in the main suite)."""
    import pandas as pd
    import pyarrow as pa

    from gemini_vision.distributed import dask as gv_dask

    out = tmp_path / "out"
    gv_dask.process(str(records_dir), output=out, threads=1)
    frame = pd.read_parquet(out, dtype_backend="pyarrow")
    assert len(frame) == single_process.num_rows
    table = pa.Table.from_pandas(frame, preserve_index=False).cast(single_process.schema)
    assert sorted_rows(table) == sorted_rows(single_process)


def test_local_cluster_keywords_override_the_defaults() -> None:
    """processes=False (threads in this process) starts; a given host is kept."""
    from distributed import Client

    from gemini_vision.distributed import dask as gv_dask

    with (
        gv_dask.local_cluster(n_workers=2, processes=False) as cluster,
        Client(cluster) as client,
    ):
        assert len(client.scheduler_info()["workers"]) == 2
        assert client.submit(sum, [1, 2]).result() == 3
    with gv_dask.local_cluster(n_workers=1, host="127.0.0.1", dashboard_address=None) as cluster:
        assert "127.0.0.1" in cluster.scheduler_address


def test_workers_run_without_malloc_trim_threshold(client: Any) -> None:
    """local_cluster removes MALLOC_TRIM_THRESHOLD_ from the workers' environment."""
    from gemini_vision.distributed import dask as gv_dask

    assert gv_dask.check_workers(client) == {}


def test_missing_id_column_is_a_clear_error(tmp_path: Path) -> None:
    """Without an id column the call fails before any task runs."""
    import pyarrow as pa

    from gemini_vision.distributed import dask as gv_dask
    from gemini_vision.errors import LocalError

    pq.write_table(pa.table({"width": [1], "height": [1], "text": ["[]"]}), tmp_path / "r.parquet")
    with pytest.raises(LocalError, match="id, width, height"):
        gv_dask.process(str(tmp_path / "r.parquet"))
