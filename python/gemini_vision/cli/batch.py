"""The ``batch`` and ``bench`` subcommands (SPEC D1, C5).

``gemini-vision batch IN.parquet OUT.parquet`` streams the records of a Parquet
file through ``gemini_vision.batch.process_arrow``, one row group-sized batch at
a time (memory stays bounded), and writes the item table as Parquet, with a
progress bar on stderr. ``gemini-vision bench`` prints the kernel and batch
timings against the reference tools (``gemini_vision.cli.bench``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

__all__ = ["Progress", "cmd_batch", "register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``batch`` and ``bench`` on the main parser's subcommands."""
    run = sub.add_parser(
        "batch",
        help="turn a Parquet file of answers into a Parquet table of items (RLE masks)",
        description=(
            "Read records (id, width, height, text or response) from IN, write one row per "
            "item (label, pixel box, COCO RLE mask, area, diagnostics) to OUT."
        ),
    )
    run.add_argument("input", type=Path, metavar="IN.parquet", help="records to read")
    run.add_argument("output", type=Path, metavar="OUT.parquet", help="item table to write")
    run.add_argument(
        "--threshold", type=int, default=127, help="mask pixels are value > THRESHOLD (127)"
    )
    run.add_argument(
        "--pillow", type=int, choices=(12, 13), default=13, help="Pillow pass order (13)"
    )
    run.add_argument("--threads", type=int, default=None, help="mask threads (all cores)")
    run.add_argument(
        "--batch-size", type=int, default=2048, help="records per batch (2048)", metavar="N"
    )
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=cmd_batch)


def cmd_batch(args: argparse.Namespace) -> int:
    """Process ``args.input`` into ``args.output``; print a summary line."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise RuntimeError("batch needs pyarrow: pip install 'gemini-vision[arrow]'") from None
    from gemini_vision import batch

    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be at least 1, got {args.batch_size}")
    source = pq.ParquetFile(args.input)
    total = source.metadata.num_rows
    progress = Progress(total, enabled=not args.quiet)
    id_type = source.schema_arrow.field("id").type if "id" in source.schema_arrow.names else None
    schema = batch.output_schema(id_type)
    done = rows = 0
    with pq.ParquetWriter(args.output, schema) as sink:
        for records in source.iter_batches(batch_size=args.batch_size):
            if id_type is None:  # positions in the whole file, not in the batch
                records = _with_positions(records, done)
            out = batch.process_arrow(
                records, threshold=args.threshold, pillow=args.pillow, threads=args.threads
            )
            sink.write_batch(out)
            done += records.num_rows
            rows += out.num_rows
            progress.update(done)
    progress.close()
    print(f"{done} records -> {rows} rows in {args.output}")
    return 0


def _with_positions(records: Any, start: int) -> Any:
    import pyarrow as pa

    ids = pa.array(range(start, start + records.num_rows), type=pa.int64())
    return pa.RecordBatch.from_arrays([ids, *records.columns], names=["id", *records.schema.names])


class Progress:
    """A one-line progress bar on a terminal; on anything else, a line every 10%.

    >>> import io
    >>> out = io.StringIO()
    >>> bar = Progress(200, stream=out)
    >>> bar.update(100); bar.update(200); bar.close()
    >>> out.getvalue().splitlines()[-1].split()[:2]
    ['200/200', 'records']
    """

    def __init__(self, total: int, *, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.total = max(total, 0)
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty()
        self.start = time.perf_counter()
        self.last_tenth = -1
        self.done = 0

    def update(self, done: int) -> None:
        """Show ``done`` records of ``total``."""
        self.done = done
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r" + self._line())
            self.stream.flush()
            return
        tenth = 10 * done // self.total if self.total else 10
        if tenth != self.last_tenth:
            self.last_tenth = tenth
            self.stream.write(self._line() + "\n")

    def close(self) -> None:
        """End the bar's line."""
        if self.enabled and self.tty:
            self.stream.write("\n")

    def _line(self) -> str:
        elapsed = time.perf_counter() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        fraction = self.done / self.total if self.total else 1.0
        bar = "#" * int(24 * fraction)
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        return (
            f"{self.done}/{self.total} records [{bar:<24}] {100 * fraction:5.1f}% "
            f"{rate:,.0f} rec/s, {left:,.0f} s left"
        )
