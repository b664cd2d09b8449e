"""Dask on N worker processes vs one process, over the same Parquet records (SPEC D3).

Run in the environment that has Dask (``scripts/test-distributed.sh`` makes it):

    PYTHONPATH=python .venv-distributed/bin/python benches/dask_vs_single.py --records 20000

It writes ``--records`` synthetic records (10 masks each, as in
``test_bench_batch.py``) as Parquet files, then times, end to end (read,
process, write Parquet):

- one process: ``batch.process`` file by file, with one mask thread and with all;
- Dask: ``distributed.dask.process`` on a loopback ``LocalCluster`` of ``--workers``
  processes with one thread each (``local_cluster``, so without
  ``MALLOC_TRIM_THRESHOLD_``), and again with Dask's default worker environment
  (``MALLOC_TRIM_THRESHOLD_=65536``) to show what that setting costs.

Cluster start-up is not timed. The machine's load is printed: on a shared
machine the ratios are what to read.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import dask
import pyarrow as pa
import pyarrow.parquet as pq
from distributed import Client, LocalCluster

from gemini_vision import batch
from gemini_vision.cli.bench import synthetic_records
from gemini_vision.distributed import dask as gv_dask


def write_records(folder: Path, count: int, files: int) -> None:
    per_file = -(-count // files)
    chunk = synthetic_records(min(per_file, 1000))
    next_id = 0
    for k in range(files):
        n = min(per_file, count - next_id)
        rows = [dict(chunk[i % len(chunk)], id=next_id + i) for i in range(n)]
        pq.write_table(pa.Table.from_pylist(rows), folder / f"part-{k:03d}.parquet")
        next_id += n


def single_process(source: Path, target: Path, threads: int | None) -> None:
    target.mkdir()
    for path in sorted(source.glob("*.parquet")):
        pq.write_table(batch.process(pq.read_table(path), threads=threads), target / path.name)


def on_dask(source: Path, target: Path, workers: int, *, trim_default: bool) -> float:
    if trim_default:
        # Dask's own default: the nanny sets MALLOC_TRIM_THRESHOLD_=65536.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 65536}):
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
            )
    else:
        cluster = gv_dask.local_cluster(n_workers=workers, threads_per_worker=1)
    with cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        trim = gv_dask.check_workers(client)
        print(f"  workers' MALLOC_TRIM_THRESHOLD_: {sorted(set(trim.values())) or 'unset'}")
        start = time.perf_counter()
        gv_dask.process(str(source), output=target, threads=1)
        seconds = time.perf_counter() - start
    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)  # the nanny leaves it in this process
    return seconds


def timed(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--files", type=int, default=8)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gv-dask-bench-"))
    try:
        source = work / "records"
        source.mkdir()
        write_records(source, args.records, args.files)
        print(
            f"{args.records} records x 10 masks, {os.cpu_count()} cores, "
            f"load {os.getloadavg()[0]:.1f}"
        )
        results = {
            "one process, 1 thread": timed(lambda: single_process(source, work / "s1", 1)),
            "one process, all threads": timed(lambda: single_process(source, work / "sn", None)),
            f"dask, {args.workers} workers": on_dask(
                source, work / "d", args.workers, trim_default=False
            ),
            f"dask, {args.workers} workers, MALLOC_TRIM_THRESHOLD_=65536": on_dask(
                source, work / "dt", args.workers, trim_default=True
            ),
        }
        base = results["one process, 1 thread"]
        print(f"load after: {os.getloadavg()[0]:.1f}")
        for name, seconds in results.items():
            print(
                f"{name:<52} {seconds:7.2f} s  {args.records / seconds:8.0f} records/s  "
                f"{base / seconds:4.2f}x"
            )
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
