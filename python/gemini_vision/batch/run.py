"""Running one batch: records a chunk at a time, through the fast lane or the general parser.

Theory of operation. ``spatial.parse`` does three things per answer: read the
JSON into items, turn each PNG mask into a box-local mask (kernels), and put
the result together. Almost every answer in a large batch has the one plain
shape the model writes (a JSON list of ``box_2d``/``label``/``mask`` objects,
bare or in one fenced block), and for those the batch does all three in the
kernel's *fast lane* (``pipeline.fast_items``: with the Rust backend, no
Python and no GIL from the answer's bytes to the RLE of its masks, records
spread over threads). The lane takes a record only where it gives exactly the
general parser's rows, and leaves every other record — anything to repair,
drop or note — to the general parser (``spatial.prepare``, the code ``parse``
runs), whose PNG masks then go to the fused pipeline in one call per chunk.
Chunks are processed on a background thread while this thread reads the
next chunk's records and writes the previous chunk's rows.

A record that cannot be read at all (a missing, non-positive or over-int32
size, an answer that is not text) becomes a record row with a ``bad_record``
diagnostic; so does a record on which the parser or a kernel raises anything
at all (its partial rows are taken back first). The batch goes on, and the
other records' rows are what they would be without it. Text the output
columns cannot hold (a lone surrogate such as ``"\\ud800"``, valid in JSON but
not in UTF-8) is stored with backslash escapes, and the item gets an
``unencodable_text`` diagnostic.

>>> from gemini_vision.batch.records import read_records
>>> rows = run(read_records([{"width": 4, "height": 2, "text": '{"point": [500, 500]}'}]))
>>> [(r["kind"], r["point_x"], r["point_y"]) for r in rows.to_dicts()]
[('point', 2, 1)]
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from operator import attrgetter
from typing import Any

import numpy as np

from gemini_vision import masks
from gemini_vision._backend import kernels
from gemini_vision.batch import pipeline
from gemini_vision.batch.records import Records, is_missing
from gemini_vision.batch.rows import Rows
from gemini_vision.errors import LocalError, as_int
from gemini_vision.masks import MaskFailure
from gemini_vision.spatial import Limits, check_threshold
from gemini_vision.spatial.pending import Pending, prepare

__all__ = ["MAX_SIDE", "run"]

#: The largest image side a record may have: the box and point columns are int32.
MAX_SIDE = 2**31 - 1


@dataclass
class _Record:
    id: Any
    size: tuple[int, int] = (0, 0)
    answer: Any = None
    #: the fast lane's items (None: not taken, or not tried)
    items: list[pipeline.Item] | None = None
    #: the general parser's reading
    pending: Pending | None = None
    problem: str | None = None


#: Records per kernel call at most, and at least (unless the batch is smaller).
CHUNK = 512
MIN_CHUNK = 16


def chunk_size(count: int) -> int:
    """Records per kernel call for a batch of ``count``: about 16 chunks, so that
    reading the first chunk (when no masks are ready yet to keep the other cores
    busy) is a small part of the whole.

    >>> chunk_size(100_000), chunk_size(1000), chunk_size(10)
    (512, 63, 16)
    """
    return max(MIN_CHUNK, min(CHUNK, -(-count // 16)))


def run(
    records: Records,
    *,
    threshold: int = 127,
    pillow: int = 13,
    threads: int | None = None,
    limits: Limits | None = None,
) -> Rows:
    """The output rows of ``records`` (see ``gemini_vision.batch.process``).

    Raises:
        LocalError: ``threshold``, ``pillow`` or ``threads`` is not valid.
    """
    threshold, pillow, threads = _options(threshold, pillow, threads)
    limits = limits or Limits()
    rows = Rows()
    size = chunk_size(len(records))
    starts = range(0, len(records), size)
    process = partial(_process, threshold=threshold, pillow=pillow, limits=limits, threads=threads)
    if threads == 1 or len(starts) < 2:
        for start in starts:
            chunk = _read_chunk(records, start, size)
            _emit_chunk(rows, chunk, process(chunk))
        return rows
    # The kernels run without the GIL: while they work on one chunk's masks in a
    # background thread, this thread reads the next chunk's answers and writes
    # the previous chunk's rows, so the Python part does not leave cores idle.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gemini-vision-masks") as pool:
        # _process never raises for a record (each failure is that record's row).
        previous: tuple[list[_Record], Future[list[Any]]] | None = None
        for start in starts:
            chunk = _read_chunk(records, start, size)
            future = pool.submit(process, chunk)
            if previous is not None:
                _emit_chunk(rows, previous[0], previous[1].result())
            previous = (chunk, future)
        if previous is not None:
            _emit_chunk(rows, previous[0], previous[1].result())
    return rows


def _options(threshold: Any, pillow: Any, threads: Any) -> tuple[int, int, int | None]:
    """The options as ints, checked once for the whole batch (as ``parse`` checks them)."""
    threshold, pillow = as_int("threshold", threshold), as_int("pillow", pillow)
    check_threshold(threshold)
    if pillow not in (12, 13):
        raise LocalError(f"pillow must be 12 or 13, got {pillow}")
    if threads is None:
        return threshold, pillow, None
    threads = as_int("threads", threads)
    if threads < 1:
        raise LocalError(f"threads must be at least 1 (or None for every core), got {threads}")
    return threshold, pillow, threads


def _read_chunk(records: Records, start: int, size: int) -> list[_Record]:
    return [_read(records, i) for i in range(start, min(start + size, len(records)))]


def _process(
    chunk: list[_Record], *, threshold: int, pillow: int, limits: Limits, threads: int | None
) -> list[Any]:
    """Items of the chunk's records: the fast lane first, the general parser for the rest.

    Returns the general records' PNG masks (``_encode``), in order.
    """
    texts = [r for r in chunk if r.problem is None and isinstance(r.answer, str)]
    try:
        taken = pipeline.fast_items(
            [r.answer for r in texts],
            [r.size for r in texts],
            threshold=threshold,
            pillow=pillow,
            limits=limits,
            threads=threads,
        )
    except Exception:
        taken = [None] * len(texts)
    for record, items in zip(texts, taken, strict=True):
        # Twin rows may be exact duplicate items: the parser's diagnostics decide.
        record.items = None if items is not None and len(set(items)) < len(items) else items
    for record in chunk:
        if record.problem is None and record.items is None:
            try:
                record.pending = prepare(
                    record.answer, record.size, threshold=threshold, pillow=pillow, limits=limits
                )
            except Exception as exc:
                record.problem = _problem(exc)
    try:
        return _encode(chunk, threshold=threshold, pillow=pillow, limits=limits, threads=threads)
    except Exception:
        return _encode_each(chunk, threshold=threshold, pillow=pillow, limits=limits)


def _encode_each(chunk: list[_Record], *, threshold: int, pillow: int, limits: Limits) -> list[Any]:
    """``_encode`` record by record, after the chunk's call raised: a record whose
    masks raise becomes a bad record, the others keep their masks."""
    out: list[Any] = []
    for record in chunk:
        if record.pending is None:
            continue
        try:
            out += _encode([record], threshold=threshold, pillow=pillow, limits=limits, threads=1)
        except Exception as exc:
            record.pending, record.problem = None, _problem(exc)
    return out


def _problem(exc: BaseException) -> str:
    """What a record's failure says: the class for anything not ours, then the message."""
    text = str(exc) if isinstance(exc, LocalError) else f"{type(exc).__name__}: {exc}"
    return storable(text)[0]


def _encode(
    chunk: list[_Record], *, threshold: int, pillow: int, limits: Limits, threads: int | None
) -> list[Any]:
    """Every PNG mask of the chunk's records, in one kernel call."""
    jobs: list[pipeline.Job] = []
    for record in chunk:
        if record.pending is not None:
            width, height = record.pending.image_size
            jobs.extend(
                pipeline.Job(job.text, job.box, (height, width)) for job in record.pending.png_jobs
            )
    return pipeline.encode(
        jobs,
        threshold=threshold,
        pillow=pillow,
        max_png_pixels=limits.max_png_pixels,
        threads=threads,
    )


def _emit_chunk(rows: Rows, chunk: list[_Record], encoded: list[Any]) -> None:
    position = 0
    for record in chunk:
        if record.items is None and record.pending is None:
            rows.add_record_row(record.id, [_bad_record(record.id, record.problem or "")])
            continue
        count = 0 if record.pending is None else len(record.pending.png_jobs)
        mark = len(rows)
        try:
            if record.items is not None:
                _emit_items(rows, record.id, record.size, record.items)
            elif record.pending is not None:
                _emit(rows, record.id, record.pending, encoded[position : position + count])
        except Exception as exc:
            rows.truncate(mark)
            rows.add_record_row(record.id, [_bad_record(record.id, _problem(exc))])
        position += count


def _read(records: Records, i: int) -> _Record:
    """A record's id, size and answer, checked (not yet parsed)."""
    record = _Record(records.ids[i])
    try:
        record.size = (
            _dimension("width", records.widths[i]),
            _dimension("height", records.heights[i]),
        )
        record.answer = _answer(records.answers[i])
    except LocalError as exc:
        record.problem = str(exc)
    return record


def _dimension(name: str, value: Any) -> int:
    """An image side as an int; integral floats (pandas' ints next to a null) are accepted."""
    if is_missing(value):
        raise LocalError(f"the image {name} is missing")
    whole_float = isinstance(value, (float, np.floating)) and float(value).is_integer()
    if not whole_float and (isinstance(value, bool) or not isinstance(value, (int, np.integer))):
        raise LocalError(f"the image {name} must be a whole number, got {value!r}")
    number = int(value)
    if number < 1:
        raise LocalError(f"the image {name} must be positive, got {number}")
    if number > MAX_SIDE:
        raise LocalError(
            f"the image {name} is {number:.3g}, more than {MAX_SIDE} (the int32 pixel columns)"
            if number >= 10**15
            else f"the image {name} is {number}, more than {MAX_SIDE} (the int32 pixel columns)"
        )
    return number


def _answer(value: Any) -> Any:
    if is_missing(value):
        raise LocalError("the record has no text and no response")
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LocalError(f"the answer's bytes are not UTF-8 ({exc})") from None
    return value


def _bad_record(record_id: Any, problem: str) -> dict[str, Any]:
    return {
        "index": None,
        "action": "rejected",
        "code": "bad_record",
        "message": storable(f"record {record_id!r}: {problem}; no items")[0],
    }


def storable(text: str) -> tuple[str, bool]:
    """``text`` as the string columns can hold it, and whether it had to change.

    Arrow strings are UTF-8, which cannot hold a lone surrogate (JSON's
    ``"\\ud800"`` decodes to one): those are written as backslash escapes.

    >>> storable("caf\\u00e9"), storable("a\\ud800b")
    (('café', False), ('a\\\\ud800b', True))
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8"), True
    return text, False


def _emit_items(
    rows: Rows, record_id: Any, size: tuple[int, int], items: list[pipeline.Item]
) -> None:
    """The rows of a record the fast lane read: items only, no diagnostics."""
    if items:
        rows.add_plain_items(record_id, [size[1], size[0]], items)
    else:  # an answer with no item: the record's (empty) row, as the general path gives
        rows.add_record_row(record_id, [])


def _emit(rows: Rows, record_id: Any, pending: Pending, encoded: list[Any]) -> None:
    """The rows of one record, in the order ``parse`` lists its items.

    The rows themselves are built by the ``item_rows`` kernel (with the Rust
    backend in native code): no Python runs per item on the way. Only masks
    that failed and masks made in Python (polygons, empty boxes) take a loop,
    over those masks alone.
    """
    width, height = pending.image_size
    # Item index -> (counts, area): zip and dict iterate in C.
    segments: dict[int, Any] = dict(zip(map(_INDEX, pending.png_jobs), encoded, strict=True))
    if any(map(isinstance, encoded, repeat(MaskFailure))):
        for job, result in zip(pending.png_jobs, encoded, strict=True):
            if isinstance(result, MaskFailure):
                pending.reject_png(job.index, result)
                del segments[job.index]
    if pending.masks:
        # Polygons and empty boxes: made in Python, encoded in one call per record.
        boxes = {d.index: d.box for d in pending.drafts if d.index in pending.masks}
        offsets = [(box[0], box[1]) for box in boxes.values() if box is not None]
        encoded_masks = masks.rle_encode_many(
            [pending.masks[index].mask for index in boxes], offsets, (height, width)
        )
        for index, made in zip(boxes, encoded_masks, strict=True):
            segments[index] = (made.to_coco()["counts"], made.area)
    rows.add_columns(
        kernels.item_rows(record_id, pending.drafts, pending.diagnostics, segments, (height, width))
    )


_INDEX = attrgetter("index")
