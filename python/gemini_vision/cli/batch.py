"""The ``batch`` subcommand (SPEC D1).

``gemini-vision batch IN OUT.parquet`` reads records from IN — a Parquet file
(id, width, height, text or response), streamed one row group-sized batch at a
time so memory stays bounded, or the JSONL file the Gemini Batch API writes
(``--sizes`` names a side table with each key's width and height) — runs them
through ``gemini_vision.batch.process_arrow``, and writes the item table as
Parquet, with a progress bar on stderr. ``--keep COLUMN`` carries an input
column (an image path or id) into every output row; ``--coco FILE`` also
writes the rows as one COCO dataset.

Every argument is checked, and an output that is (or resolves to) an input is
refused, before anything is opened; the output is written under a temporary
name beside it and renamed into place only when complete, so a failed or
killed run leaves the previous output as it was.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from gemini_vision.cli.output import InputError, UsageError, positive_int, report, threshold_value

__all__ = ["Progress", "cmd_batch", "register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``batch`` on the main parser's subcommands."""
    run = sub.add_parser(
        "batch",
        help="turn answers (Parquet, or Batch API JSONL) into a Parquet table of items",
        description=(
            "Read records (id, width, height, text or response) from IN (Parquet, or the JSONL "
            "a Gemini batch job writes), write one row per item (label, pixel box, COCO RLE "
            "mask, area, diagnostics) to OUT, all or nothing."
        ),
    )
    run.add_argument("input", type=Path, metavar="IN", help="records: .parquet or .jsonl")
    run.add_argument("output", type=Path, metavar="OUT.parquet", help="item table to write")
    run.add_argument(
        "-t",
        "--threshold",
        type=threshold_value,
        default=127,
        help="mask pixels are value > THRESHOLD, 0 to 255 (127)",
    )
    run.add_argument(
        "--pillow", type=int, choices=(12, 13), default=13, help="Pillow pass order (13)"
    )
    run.add_argument(
        "-j", "--threads", type=positive_int, default=None, help="mask threads (all cores)"
    )
    run.add_argument(
        "-n",
        "--batch-size",
        type=positive_int,
        default=2048,
        help="records per batch (2048)",
        metavar="N",
    )
    run.add_argument(
        "--sizes",
        type=Path,
        metavar="TABLE",
        help="side table (CSV, JSONL, Parquet) with each record's key, width, height",
    )
    run.add_argument(
        "--key", default=None, help="the side table's key column (default: key, else id)"
    )
    run.add_argument(
        "-k",
        "--keep",
        action="append",
        default=[],
        metavar="COLUMN",
        help="an input (or side table) column to copy into every output row; repeatable",
    )
    run.add_argument(
        "--coco", type=Path, metavar="FILE", help="also write the rows as one COCO dataset"
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=cmd_batch)


def cmd_batch(args: argparse.Namespace) -> int:
    """Process ``args.input`` into ``args.output``; print a summary."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise RuntimeError("batch needs pyarrow: pip install 'gemini-vision[arrow]'") from None
    from gemini_vision import batch
    from gemini_vision.errors import LocalError
    from gemini_vision.spatial.files import refuse_clobber, writing_file

    outputs = [args.output, *([args.coco] if args.coco else [])]
    inputs = [args.input, *([args.sizes] if args.sizes else [])]
    try:
        refuse_clobber(outputs, inputs)
        if args.coco is not None:
            refuse_clobber([args.coco], [args.output])
    except LocalError as exc:
        raise UsageError(str(exc)) from None
    if args.sizes is not None and not _is_jsonl(args.input):
        raise UsageError("--sizes goes with a JSONL input (a Parquet input has its own sizes)")
    for output in outputs:
        if not output.parent.is_dir():
            raise UsageError(f"the folder of {output} does not exist")

    batches, total, id_type, names = _open_input(args)
    missing = [name for name in args.keep if name not in names]
    if missing:
        raise InputError(f"cannot keep {missing}: the input has no such column")
    keep_types = [(name, names[name]) for name in args.keep]
    schema = batch.output_schema(id_type)
    for name, kind in keep_types:
        schema = schema.append(_field(name, kind))
    progress = Progress(total, enabled=not args.quiet)
    done = rows = 0
    coco = _Coco() if args.coco is not None else None
    with writing_file(args.output) as temp, pq.ParquetWriter(temp, schema) as sink:
        for records in batches:
            if id_type is None:  # positions in the whole file, not in the batch
                records = _with_positions(records, done)
            out = batch.process_arrow(
                records,
                threshold=args.threshold,
                pillow=args.pillow,
                threads=args.threads,
                keep=args.keep,
            )
            sink.write_batch(out)
            if coco is not None:
                coco.add(out, records)
            done += records.num_rows
            rows += out.num_rows
            progress.update(done)
        sink.close()
        if coco is not None:
            coco.save(args.coco)
    progress.close()
    doc = {
        "records": done,
        "rows": rows,
        "output": str(args.output),
        "coco": None if args.coco is None else str(args.coco),
    }
    report(args, doc, lambda: print(f"{done} records -> {rows} rows in {args.output}"))
    return 0


def _is_jsonl(path: Path) -> bool:
    return path.suffix.lower() in (".jsonl", ".ndjson")


def _open_input(args: argparse.Namespace) -> tuple[Any, int, Any, dict[str, Any]]:
    """(record batches, total records, the id column's type or None, column types by name)."""
    import pyarrow.parquet as pq

    if _is_jsonl(args.input):
        from gemini_vision.batch.inputs import read_jsonl, read_side_table

        sizes = None
        if args.sizes is not None:
            key = args.key or _side_key(args.sizes)
            sizes = read_side_table(args.sizes, key)
        table = read_jsonl(args.input, sizes=sizes)
        types = {f.name: f.type for f in table.schema}
        return table.to_batches(max_chunksize=args.batch_size), table.num_rows, types["id"], types
    source = pq.ParquetFile(args.input)
    schema = source.schema_arrow
    types = {f.name: f.type for f in schema}
    id_type = types.get("id")
    return (
        source.iter_batches(batch_size=args.batch_size),
        source.metadata.num_rows,
        id_type,
        types,
    )


def _side_key(path: Path) -> str:
    """``key`` if the side table has that column, else ``id``."""
    from gemini_vision.batch.inputs import read_side_table
    from gemini_vision.errors import LocalError

    try:
        read_side_table(path, "key")
    except LocalError:
        return "id"
    return "key"


def _field(name: str, kind: Any) -> Any:
    import pyarrow as pa

    return pa.field(name, kind)


class _Coco:
    """The COCO dataset of the rows written so far."""

    def __init__(self) -> None:
        from gemini_vision.spatial.dataset import CocoDataset

        self.data = CocoDataset()

    def add(self, rows: Any, records: Any) -> None:
        names = records.schema.names
        sizes = {}
        if "width" in names and "height" in names:
            for record_id, width, height in zip(
                records.column("id").to_pylist(),
                records.column("width").to_pylist(),
                records.column("height").to_pylist(),
                strict=True,
            ):
                if isinstance(width, int) and isinstance(height, int):
                    sizes[record_id] = (width, height)
        self.data.add_rows(rows, sizes=sizes)

    def save(self, path: Path) -> None:
        self.data.save(path)


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
