"""Segmentation answers by the million: records in, one flat table of items out (SPEC D1, D2).

A record is an image's ``width`` and ``height`` plus the model's answer
(``text``, or a generateContent ``response``), with an optional ``id``. The
output has one row per item — label, pixel box, mask as COCO RLE in the image
frame, area, diagnostics — and one *record row* (``item`` null) for the
diagnostics of a record that belong to no item (and for a record with no item
at all, such as a valid empty answer), so nothing disappears. Each
row is what ``spatial.parse`` gives for that record (``schema.COLUMNS`` lists
the columns).

``process`` takes dicts, a pandas DataFrame or Arrow; ``process_arrow`` is the
one function every engine calls per batch (Dask, Spark, Ray: see
``gemini_vision.distributed``). ``OUTPUT_SCHEMA`` is the output's Arrow schema
(with an int64 ``id``; ``output_schema(id_type)`` for other id types).
pyarrow is optional (``pip install 'gemini-vision[arrow]'``).

>>> from gemini_vision import batch
>>> rows = batch.process([{"id": "a", "width": 640, "height": 480,
...                        "text": '[{"box_2d": [100, 200, 500, 600], "label": "cat"}]'}])
>>> [(r["id"], r["label"], r["x0"], r["y0"], r["x1"], r["y1"]) for r in rows.to_pylist()]
[('a', 'cat', 128, 48, 384, 240)]
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gemini_vision.batch.schema import COLUMNS, output_schema

if TYPE_CHECKING:
    import pyarrow as pa

    from gemini_vision.spatial import Limits

__all__ = ["COLUMNS", "OUTPUT_SCHEMA", "output_schema", "process", "process_arrow"]


def process(
    records: Any,
    *,
    threshold: int = 127,
    pillow: int = 13,
    threads: int | None = None,
    limits: Limits | None = None,
    keep: Sequence[str] = (),
) -> Any:
    """The item table of a batch of records (SPEC D1).

    Records go to the kernels a chunk at a time (about 16 chunks, 16 to 512
    records each). Plain answers — a JSON list of ``box_2d``/``label``/``mask``
    objects, bare or in one fenced block, as the model writes them — are read
    and their masks made entirely in Rust, with the GIL released, records
    spread over ``threads`` threads; any other answer is read by the general
    parser (``spatial.prepare``) and only its masks go to the kernels. Either
    way a record's rows are those ``spatial.parse`` gives. The NumPy fallback
    gives the same table.

    Args:
        records: an iterable of dicts, a pandas DataFrame, or a pyarrow
            Table/RecordBatch, with ``width``, ``height``, ``text`` and/or
            ``response`` (per record the text, else the response: the model's
            text, or a generateContent response as JSON text or a dict) and an
            optional ``id`` (default: the record's position).
        threshold: mask pixels are ``value > threshold`` (127: the documented midpoint).
        pillow: 13 or 12, whose BILINEAR pass order the mask resize follows.
        threads: threads for the masks (None: every core; 1: this thread only).
        limits: per-record memory bounds (``spatial.Limits()`` by default).
        keep: input columns (an image path, an image id) copied into every
            output row of their record, after the output's columns (needs pyarrow
            and unique ids).

    Returns:
        With pyarrow installed, a ``pyarrow.Table`` of ``output_schema(id type)``
        (the ``id`` column keeps the input's Arrow type; int64 for positions).
        Without pyarrow, a list of dicts, one per row, keyed by the same columns.
        Item rows come in record order, then in the model's order; a record's
        record row follows its items.

    Raises:
        LocalError: the input as a whole is unusable (a missing column, ids of
            mixed types, a bad ``threshold``/``pillow``). Bad *records* never
            raise: each becomes a record row with a ``bad_record`` diagnostic.

    >>> out = process([{"width": 4, "height": 4, "text": "not json"}])
    >>> [(r["item"], [d["code"] for d in r["diagnostics"]]) for r in out.to_pylist()]
    [(None, ['no_json'])]
    """
    from gemini_vision.batch.inputs import attach_columns, kept_source
    from gemini_vision.batch.records import read_records
    from gemini_vision.batch.run import run

    keep = list(keep)
    if keep:
        records, source = kept_source(records, keep)
    table = read_records(records)
    rows = run(table, threshold=threshold, pillow=pillow, threads=threads, limits=limits)
    if not _HAVE_ARROW:
        return rows.to_dicts()
    out = rows.to_arrow(table.id_type)
    return attach_columns(out, source, keep) if keep else out


def process_arrow(
    batch: pa.RecordBatch | pa.Table,
    *,
    threshold: int = 127,
    pillow: int = 13,
    threads: int | None = None,
    limits: Limits | None = None,
    keep: Sequence[str] = (),
) -> Any:
    """``process`` for engines: an Arrow batch of records in, an Arrow batch of rows out (D2).

    Dask, Spark's ``mapInArrow`` and Ray's ``map_batches(batch_format="pyarrow")``
    call this on each batch they build. A ``RecordBatch`` gives a ``RecordBatch``,
    a ``Table`` a ``Table``; the schema is ``output_schema`` with the input's
    ``id`` type (int64 when the input has no ``id``), then the ``keep`` columns.

    >>> import pyarrow as pa
    >>> records = pa.record_batch({"id": [1], "width": [10], "height": [10],
    ...                            "text": ['{"box_2d": [0, 0, 500, 500]}']})
    >>> out = process_arrow(records)
    >>> type(out).__name__, out.column("area").to_pylist()
    ('RecordBatch', [25])
    """
    from gemini_vision.batch.inputs import attach_columns, kept_source
    from gemini_vision.batch.records import read_records
    from gemini_vision.batch.run import run

    table = read_records(batch)
    rows = run(table, threshold=threshold, pillow=pillow, threads=threads, limits=limits)
    out = rows.to_arrow(table.id_type)
    if keep:
        out = attach_columns(out, kept_source(batch, list(keep))[1], list(keep))
    if type(batch).__name__ == "Table":
        return out
    import pyarrow as pa

    # The columns were just built, so each is one chunk: no copy here.
    return pa.RecordBatch.from_arrays(
        [column.combine_chunks() for column in out.columns], schema=out.schema
    )


_HAVE_ARROW = importlib.util.find_spec("pyarrow") is not None


def __getattr__(name: str) -> Any:
    # Built on first use, so importing this module does not import pyarrow.
    if name == "OUTPUT_SCHEMA":
        return output_schema()
    raise AttributeError(f"module 'gemini_vision.batch' has no attribute {name!r}")
