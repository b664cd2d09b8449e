"""Running one batch: records a chunk at a time, through the fast lane or the general parser.

Theory of operation. ``spatial.parse`` does three things per answer: read the
JSON into items, turn each PNG mask into a box-local mask (kernels), and put
the result together. Almost every answer in a large batch has the one plain
shape the model writes (a JSON list of ``box_2d``/``label``/``mask`` objects,
bare or in one fenced block, possibly cut off by the token limit), and for
those the batch does all three in the
kernel's *fast lane* (``pipeline.fast_columns``: with the Rust backend, no
Python and no GIL from the answer's bytes to the RLE of its masks, masks
spread over threads), which hands back the rows as flat columns that become
Arrow arrays without a Python object per item (``rows.Rows.add_lane``). The
lane takes a record only where it gives exactly the general parser's rows,
and leaves every other record — anything to repair, drop or note — to the
general parser (``spatial.prepare``, the code ``parse`` runs), whose PNG masks
then go to the fused pipeline in one call per chunk.

Chunks are processed on two background threads (two kernel calls at once, so
the rayon threads never wait for one call's Python) while this thread reads
the next chunk's records and writes the finished chunks' rows. Reading a chunk is a
few NumPy calls when its sizes are plain ints and its answers strings (the
per-record checks run only on a chunk that has an odd one), and the first
and last chunks are a quarter of the others, so the time when no kernel runs
— before the first chunk is read, after the last one's rows — stays short.

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

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from itertools import pairwise, repeat
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt

from gemini_vision import masks
from gemini_vision._backend import kernels
from gemini_vision.batch import pipeline
from gemini_vision.batch.records import Records, is_missing
from gemini_vision.batch.rows import Rows
from gemini_vision.errors import LocalError, as_int
from gemini_vision.masks import MaskFailure
from gemini_vision.spatial import Limits, check_threshold
from gemini_vision.spatial.extract import CUT_ITEM, TRUNCATED_NOTE
from gemini_vision.spatial.pending import Pending, prepare

__all__ = ["MAX_SIDE", "chunk_bounds", "run"]

#: The largest image side a record may have: the box and point columns are int32.
MAX_SIDE = 2**31 - 1


@dataclass
class _Chunk:
    """Records ``start`` to ``start + len(ids)`` of a batch, read and then processed."""

    start: int
    ids: list[Any]
    #: ``(width, height)`` per record (0 where unreadable)
    sizes: npt.NDArray[np.int64]
    answers: list[Any]
    #: why a record cannot be read, by its index in the chunk
    problems: dict[int, str]
    #: the fast lane's rows (record indices in the chunk), None if not run
    lane: pipeline.Lane | None = None
    #: per record: the lane took it
    taken: npt.NDArray[np.bool_] | None = None
    #: the general parser's reading, by index in the chunk, in order
    pending: dict[int, Pending] = field(default_factory=dict)


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


def chunk_bounds(count: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each chunk of a batch of ``count`` records: ``chunk_size``
    records each, but the first and the last a quarter of that, so that the kernels
    start soon and the rows written after the last kernel call are few.

    >>> bounds = chunk_bounds(1000)
    >>> bounds[:2], bounds[-2:], len(bounds)
    ([(0, 15), (15, 75)], [(924, 985), (985, 1000)], 18)
    """
    size = chunk_size(count)
    edge = max(1, size // 4)
    if count <= 2 * edge:
        return [(0, count)] if count else []
    middle = count - 2 * edge
    parts = -(-middle // size)  # the chunks between, as even as can be
    cuts = [0, *(edge + middle * k // parts for k in range(parts + 1)), count]
    return list(pairwise(cuts))


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
    rows = Rows(records.ids)
    bounds = chunk_bounds(len(records))
    process = partial(_process, threshold=threshold, pillow=pillow, limits=limits, threads=threads)
    if threads == 1 or len(bounds) < 2:
        for start, stop in bounds:
            chunk = _read_chunk(records, start, stop)
            _emit_chunk(rows, chunk, process(chunk), process)
        return rows
    # The kernels run without the GIL, two chunks at a time from two background
    # threads: while one call's Python (before and after its kernel) runs, the
    # other's masks keep the rayon threads busy. Meanwhile this thread reads the
    # next chunk's answers and writes the finished chunks' rows, and builds the
    # table so far while the last chunk's masks are made.
    with ThreadPoolExecutor(max_workers=IN_FLIGHT, thread_name_prefix="gemini-vision") as pool:
        # _process never raises for a record (each failure is that record's row).
        flight: deque[tuple[_Chunk, Future[list[Any]]]] = deque()
        for start, stop in bounds:
            chunk = _read_chunk(records, start, stop)
            flight.append((chunk, pool.submit(process, chunk)))
            if len(flight) > IN_FLIGHT:
                done, future = flight.popleft()
                _emit_chunk(rows, done, future.result(), process)
        while flight:
            if len(flight) == 1:
                rows.seal()
            done, future = flight.popleft()
            _emit_chunk(rows, done, future.result(), process)
    return rows


#: Chunks whose kernels run at once (from as many background threads).
IN_FLIGHT = 2


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


def _read_chunk(records: Records, start: int, stop: int) -> _Chunk:
    """Records ``start:stop`` with their sizes and answers checked (not yet parsed)."""
    widths, heights = records.widths[start:stop], records.heights[start:stop]
    answers = records.answers[start:stop]
    problems: dict[int, str] = {}
    sizes = _plain_sizes(widths, heights)
    if sizes is None:  # an odd size somewhere: each record's checked, with its message
        sizes = np.zeros((stop - start, 2), dtype=np.int64)
        for i, (width, height) in enumerate(zip(widths, heights, strict=True)):
            try:
                sizes[i] = (_dimension("width", width), _dimension("height", height))
            except LocalError as exc:
                problems[i] = str(exc)
    if set(map(type, answers)) != {str}:
        answers = list(answers)
        for i, value in enumerate(answers):
            if i not in problems:
                try:
                    answers[i] = _answer(value)
                except LocalError as exc:
                    problems[i] = str(exc)
    return _Chunk(start, records.ids[start:stop], sizes, answers, problems)


def _plain_sizes(widths: list[Any], heights: list[Any]) -> npt.NDArray[np.int64] | None:
    """``(width, height)`` per record if every side is an int in 1..MAX_SIDE, else None."""
    if not set(map(type, widths)) | set(map(type, heights)) <= {int}:
        return None
    try:
        sizes = np.array([widths, heights], dtype=np.int64).T
    except OverflowError:
        return None
    if ((sizes < 1) | (sizes > MAX_SIDE)).any():
        return None
    return np.ascontiguousarray(sizes)


def _process(
    chunk: _Chunk, *, threshold: int, pillow: int, limits: Limits, threads: int | None
) -> list[Any]:
    """The fast lane on the chunk's records, then the general parser on the rest.

    Returns the general records' PNG masks (``_encode``), in order.
    """
    n = len(chunk.ids)
    lane_input: list[int] | None = None  # None: every record, the lists as they are
    texts, sizes = chunk.answers, chunk.sizes
    if chunk.problems or set(map(type, chunk.answers)) != {str}:
        lane_input = [
            i for i in range(n) if i not in chunk.problems and isinstance(chunk.answers[i], str)
        ]
        texts, sizes = [chunk.answers[i] for i in lane_input], chunk.sizes[lane_input]
    try:
        lane: pipeline.Lane | None = pipeline.fast_columns(
            texts, sizes, threshold=threshold, pillow=pillow, limits=limits, threads=threads
        )
    except Exception:
        lane = None  # every record the general way
    if lane is not None and lane_input is not None:
        # Back to positions in the chunk.
        where = np.array(lane_input, dtype=np.int64)
        taken, cut = np.zeros(n, dtype=np.bool_), np.zeros(n, dtype=np.uint8)
        taken[where], cut[where] = lane.taken, lane.cut
        lane = lane._replace(record=where[lane.record], taken=taken, cut=cut)
    chunk.lane = lane
    chunk.taken = lane.taken if lane is not None else np.zeros(n, dtype=np.bool_)
    general = [i for i in np.flatnonzero(~chunk.taken).tolist() if i not in chunk.problems]
    return _prepare(
        chunk, general, threshold=threshold, pillow=pillow, limits=limits, threads=threads
    )


def _prepare(
    chunk: _Chunk,
    indices: list[int],
    *,
    threshold: int,
    pillow: int,
    limits: Limits,
    threads: int | None,
) -> list[Any]:
    """The general parser on the records at ``indices``, then their PNG masks (``_encode``)."""
    for i in indices:
        try:
            chunk.pending[i] = prepare(
                chunk.answers[i],
                (int(chunk.sizes[i, 0]), int(chunk.sizes[i, 1])),
                threshold=threshold,
                pillow=pillow,
                limits=limits,
            )
        except Exception as exc:
            chunk.problems[i] = _problem(exc)
    todo = [chunk.pending[i] for i in indices if i in chunk.pending]
    try:
        return _encode(todo, threshold=threshold, pillow=pillow, limits=limits, threads=threads)
    except Exception:
        return _encode_each(chunk, indices, threshold=threshold, pillow=pillow, limits=limits)


def _encode_each(
    chunk: _Chunk, indices: list[int], *, threshold: int, pillow: int, limits: Limits
) -> list[Any]:
    """``_encode`` record by record, after the chunk's call raised: a record whose
    masks raise becomes a bad record, the others keep their masks."""
    out: list[Any] = []
    for i in indices:
        if i not in chunk.pending:
            continue
        try:
            out += _encode(
                [chunk.pending[i]], threshold=threshold, pillow=pillow, limits=limits, threads=1
            )
        except Exception as exc:
            del chunk.pending[i]
            chunk.problems[i] = _problem(exc)
    return out


def _problem(exc: BaseException) -> str:
    """What a record's failure says: the class for anything not ours, then the message."""
    text = str(exc) if isinstance(exc, LocalError) else f"{type(exc).__name__}: {exc}"
    return storable(text)[0]


def _encode(
    pendings: list[Pending], *, threshold: int, pillow: int, limits: Limits, threads: int | None
) -> list[Any]:
    """Every PNG mask of the records, in one kernel call."""
    jobs: list[pipeline.Job] = []
    for pending in pendings:
        width, height = pending.image_size
        jobs.extend(pipeline.Job(job.text, job.box, (height, width)) for job in pending.png_jobs)
    return pipeline.encode(
        jobs,
        threshold=threshold,
        pillow=pillow,
        max_png_pixels=limits.max_png_pixels,
        threads=threads,
    )


def _emit_chunk(rows: Rows, chunk: _Chunk, encoded: list[Any], process: Any) -> None:
    """The chunk's rows: the lane's block, then the other records' one by one."""
    if chunk.lane is not None:
        try:
            rows.add_lane(chunk.start, chunk.lane, chunk.sizes)
        except Exception:
            # Not expected (the kernel's buffers are consistent): the general
            # parser reads those records after all, here and now.
            redo = np.flatnonzero(chunk.lane.taken).tolist()
            _emit_general(rows, chunk, redo, _prepare(chunk, redo, **process.keywords))
        else:
            _note_cuts(rows, chunk, chunk.lane)
    _emit_general(rows, chunk, sorted(chunk.problems.keys() | chunk.pending.keys()), encoded)


#: What the general parser says of a list cut off (``spatial.extract``): the note,
#: and the item the cut was inside.
_CUT_NOTE = {"index": None, "action": "note", "code": "truncated", "message": TRUNCATED_NOTE}
_CUT_ITEM = "item {}: " + CUT_ITEM


def _note_cuts(rows: Rows, chunk: _Chunk, lane: pipeline.Lane) -> None:
    """The record rows of the lane's cut-off answers: the general parser's notes."""
    cut = np.flatnonzero(lane.cut).tolist()
    if not cut:
        return
    complete = np.bincount(lane.record, minlength=len(chunk.ids))
    for i in cut:
        notes: list[dict[str, Any]] = [dict(_CUT_NOTE)]
        if lane.cut[i] == 2:  # the item after the complete ones was cut inside
            k = int(complete[i])
            notes.append(
                {
                    "index": k,
                    "action": "rejected",
                    "code": "truncated",
                    "message": _CUT_ITEM.format(k),
                }
            )
        rows.add_record_row(chunk.start + i, notes)


def _emit_general(rows: Rows, chunk: _Chunk, indices: list[int], encoded: list[Any]) -> None:
    """The rows of the records at ``indices`` (none the lane's): ``encoded`` holds the
    masks of those the general parser read, in order."""
    position = 0
    for i in indices:
        record_id, pending = chunk.ids[i], chunk.pending.get(i)
        if pending is None:
            if i in chunk.problems:
                rows.add_record_row(chunk.start + i, [_bad_record(record_id, chunk.problems[i])])
            continue
        count = len(pending.png_jobs)
        mark = len(rows)
        try:
            _emit(rows, record_id, pending, encoded[position : position + count])
            rows.claim(chunk.start + i)
        except Exception as exc:
            rows.truncate(mark)
            rows.add_record_row(chunk.start + i, [_bad_record(record_id, _problem(exc))])
        position += count


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
