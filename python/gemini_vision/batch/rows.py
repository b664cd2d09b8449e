"""The batch output under construction: the lane's column blocks and the other rows, then a table.

Rows come two ways. The fast lane's rows arrive a chunk at a time as flat
columns (``pipeline.Lane``: NumPy arrays of offsets and bytes made by the
kernel); at the end they are joined (one copy of the bytes) and become Arrow
arrays without a Python object per row — a few dozen Arrow calls for the
whole batch, not per chunk. Every other row (the general parser's items,
record rows) is added as one Python list per column. Each row carries the
position of its record, so the table is both kinds put back in record order,
with the ``id`` column taken from the records' ids by position.

>>> rows = Rows(["r0", "r1", "r2", "r3"])
>>> rows.add_record_row(3, [{"index": None, "action": "rejected", "code": "bad_record",
...                          "message": "record 3: width is missing"}])
>>> row = rows.to_dicts()[0]
>>> row["id"], row["diagnostics"][0]["code"]
('r3', 'bad_record')
"""

from __future__ import annotations

import importlib.util
from functools import cache
from itertools import pairwise, repeat
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from gemini_vision.batch.schema import COLUMNS, output_schema
from gemini_vision.errors import LocalError

if TYPE_CHECKING:
    from gemini_vision.batch.pipeline import Lane

__all__ = ["Rows"]

_NAMES = tuple(name for name, _ in COLUMNS)
_HAVE_ARROW = importlib.util.find_spec("pyarrow") is not None
_INT32_MAX = 2**31 - 1


class Rows:
    """Output rows under construction for the records whose ids are ``ids``.

    Args:
        ids: every record's id, by position.
    """

    def __init__(self, ids: list[Any]) -> None:
        self.ids = ids
        #: the rows added one by one (general parser, record rows), one list per column
        self.columns: dict[str, list[Any]] = {name: [] for name in _NAMES}
        #: the record position of each of those rows (``claim``)
        self.records: list[int] = []
        #: the lane's blocks: its columns, record positions counting from the batch's start
        self.blocks: list[Lane] = []
        #: (height, width) of each lane row's image
        self.frames: list[npt.NDArray[np.int64]] = []
        #: the blocks made into Arrow tables so far (``seal``), with their record positions
        self.sealed: list[tuple[Any, npt.NDArray[np.int64]]] = []

    def __len__(self) -> int:
        """Rows added one by one so far (the lane's blocks are apart)."""
        return len(self.columns["id"])

    def add_lane(self, start: int, lane: Lane, sizes: npt.NDArray[np.int64]) -> None:
        """The rows of a chunk's records that the lane took.

        ``start`` is the position of the chunk's first record, ``lane.record``
        counts from it; ``sizes`` holds the chunk's ``(width, height)`` per record.
        """
        if len(lane.item) == 0:
            return
        self.blocks.append(lane._replace(record=lane.record + start))
        self.frames.append(sizes[lane.record][:, ::-1])

    def add_columns(self, columns: list[list[Any]]) -> None:
        """Rows given as one list per column, in ``schema.COLUMNS`` order (``item_rows``)."""
        if len(columns) != len(_NAMES):
            raise LocalError(f"expected {len(_NAMES)} columns, got {len(columns)}")
        for column, values in zip(self.columns.values(), columns, strict=True):
            column.extend(values)

    def claim(self, position: int) -> None:
        """The rows added since the last claim belong to the record at ``position``."""
        self.records.extend(repeat(position, len(self) - len(self.records)))

    def add_record_row(self, position: int, diagnostics: list[dict[str, Any]]) -> None:
        """A record row: the record's diagnostics that belong to no item row."""
        c = self.columns
        c["id"].append(self.ids[position])
        c["diagnostics"].append(diagnostics)
        for name in _NAMES:
            if name not in ("id", "diagnostics"):
                c[name].append(None)
        self.claim(position)

    def seal(self) -> None:
        """Make the lane's blocks so far one Arrow table now (while kernels still run),
        so that less is left to do after the last one (if pyarrow is installed)."""
        if self.blocks and _HAVE_ARROW:
            self.sealed.append(_lane_table(self.blocks, self.frames))
            self.blocks, self.frames = [], []

    def truncate(self, length: int) -> None:
        """Drop every row added one by one after the first ``length`` (a failed record's)."""
        for column in self.columns.values():
            del column[length:]
        del self.records[length:]

    def to_dicts(self) -> list[dict[str, Any]]:
        """The rows as dicts with every column as a key, in column order."""
        parts: list[tuple[int, dict[str, Any]]] = []
        for table, where in self.sealed:
            parts += zip(where.tolist(), table.to_pylist(), strict=True)
        lane, frames = self._lane()
        parts += zip(lane.record.tolist(), _lane_dicts(lane, frames), strict=True)
        columns = [self.columns[name] for name in _NAMES[1:]]
        others = (dict(zip(_NAMES[1:], row, strict=True)) for row in zip(*columns, strict=True))
        parts += zip(self.records, others, strict=True)
        parts.sort(key=lambda part: part[0])  # stable: each record's rows keep their order
        return [{"id": self.ids[position], **row} for position, row in parts]

    def to_arrow(self, id_type: Any = None) -> Any:
        """The rows as a ``pyarrow.Table`` of ``output_schema(id_type)``, in record order.

        ``id_type`` None: int64 if every id is an int, else the type Arrow infers.
        """
        import pyarrow as pa

        if id_type is None:
            id_type = _infer_id_type(self.ids)
        schema = output_schema(id_type)
        self.seal()
        tables, positions = [table for table, _ in self.sealed], [p for _, p in self.sealed]
        if len(self):
            general = {name: self.columns[name] for name in _NAMES[1:]}
            tables.append(pa.Table.from_pydict(general, schema=_rest_schema()))
            positions.append(np.array(self.records, dtype=np.int64))
        if not tables:
            return schema.empty_table()
        table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
        where = np.concatenate(positions)
        if (np.diff(where) < 0).any():
            # The lane's rows first, then the others: back to record order.
            order = np.argsort(where, kind="stable")
            table, where = table.take(pa.array(order)), where[order]
        try:
            ids = pa.array(self.ids, type=id_type).take(pa.array(where))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise LocalError(
                f"the record ids cannot be one Arrow column of {id_type}: {exc}"
            ) from exc
        return table.add_column(0, schema.field("id"), ids)

    def _lane(self) -> tuple[Lane, npt.NDArray[np.int64]]:
        """Every block of the lane as one, and the frames of its rows."""
        from gemini_vision.batch.pipeline import Lane

        if len(self.blocks) == 1:
            return self.blocks[0], self.frames[0]
        blocks = self.blocks or [_no_rows()]
        joined = {
            name: np.concatenate([getattr(b, name) for b in blocks])
            for name in ("taken", "cut", "record", "item", "boxes", "label_data",
                         "counts_data", "segment", "area")
        }  # fmt: skip
        for name in ("label_offsets", "counts_offsets"):
            joined[name] = _join_offsets([getattr(b, name) for b in blocks])
        frames = np.concatenate(self.frames) if self.frames else np.zeros((0, 2), np.int64)
        return Lane(**joined), frames


def _join_offsets(parts: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    """Offsets into the joined bytes of several blocks (each block's start added)."""
    out = np.empty(sum(len(p) - 1 for p in parts) + 1, dtype=np.int64)
    at, base = 0, 0
    for offsets in parts:
        n = len(offsets) - 1
        np.add(offsets[:-1], base, out=out[at : at + n])
        at, base = at + n, base + int(offsets[-1])
    out[at] = base
    return out


def _no_rows() -> Lane:
    from gemini_vision.batch.pipeline import Lane

    none = np.zeros(0, dtype=np.int64)
    return Lane(
        np.zeros(0, np.bool_), none.astype(np.uint8), none, none.astype(np.int32),
        np.zeros((0, 4), np.int32),
        np.zeros(1, np.int64), none.astype(np.uint8), np.zeros(1, np.int64),
        none.astype(np.uint8), np.zeros(0, np.bool_), none,
    )  # fmt: skip


@cache
def _rest_schema() -> Any:
    """The output's schema but ``id`` (the same for every id type)."""
    return output_schema().remove(0)


def _lane_table(blocks: list[Lane], frames: list[npt.NDArray[np.int64]]) -> tuple[Any, Any]:
    """The lane's rows as an Arrow table of the output's columns but ``id``, and their
    record positions. Built on the kernel's buffers: the strings are not copied (one
    chunk per block), no Python object is made per row."""
    import pyarrow as pa

    def joined(name: str) -> Any:
        return np.concatenate([getattr(block, name) for block in blocks])

    segment, boxes = joined("segment"), joined("boxes")
    n = len(segment)
    valid, nulls = _validity(segment)
    # rle_size: [height, width] for a segment, null for a box.
    sizes = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(segment * 2, out=sizes[1:])
    frame_values = pa.array(np.concatenate(frames)[segment].astype(np.int32).ravel())
    rle_size = pa.Array.from_buffers(
        pa.list_(pa.int32()), n, [valid, pa.py_buffer(sizes)], nulls, children=[frame_values]
    )
    schema = _rest_schema()
    diagnostic = schema.field("diagnostics").type
    no_diagnostics = pa.Array.from_buffers(
        diagnostic,
        n,
        [None, pa.py_buffer(np.zeros(n + 1, dtype=np.int32))],
        children=[pa.array([], type=diagnostic.value_type)],
    )
    labels = [chunk for b in blocks for chunk in _strings(b.label_offsets, b.label_data)]
    counts = [
        chunk
        for b in blocks
        for chunk in _strings(b.counts_offsets, b.counts_data, *_validity(b.segment))
    ]
    arrays = {
        "item": pa.array(joined("item")),
        "kind": _kinds(segment),
        "label": pa.chunked_array(labels, pa.string()),
        "x0": pa.array(np.ascontiguousarray(boxes[:, 0])),
        "y0": pa.array(np.ascontiguousarray(boxes[:, 1])),
        "x1": pa.array(np.ascontiguousarray(boxes[:, 2])),
        "y1": pa.array(np.ascontiguousarray(boxes[:, 3])),
        "confidence": pa.nulls(n, pa.float64()),
        "rle_counts": pa.chunked_array(counts, pa.string()),
        "rle_size": rle_size,
        "area": pa.array(joined("area")),
        "diagnostics": no_diagnostics,
        "point_x": pa.nulls(n, pa.int32()),
        "point_y": pa.nulls(n, pa.int32()),
        "box_3d": pa.nulls(n, pa.list_(pa.float64())),
    }
    table = pa.Table.from_arrays([arrays[name] for name in schema.names], schema=schema)
    return table, joined("record")


def _validity(segment: npt.NDArray[np.bool_]) -> tuple[Any, int]:
    """Arrow's validity bitmap of the rows that are segments, and the count of the others."""
    import pyarrow as pa

    return pa.py_buffer(np.packbits(segment, bitorder="little")), len(segment) - int(
        np.count_nonzero(segment)
    )


def _kinds(segment: npt.NDArray[np.bool_]) -> Any:
    """``segment`` or ``box`` per row, as a string array made in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.if_else(pa.array(segment), "segment", "box")


def _strings(
    offsets: npt.NDArray[np.int64], data: npt.NDArray[np.uint8], valid: Any = None, nulls: int = 0
) -> list[Any]:
    """String arrays on the kernel's offsets and bytes: one, or several past 2 GiB."""
    import pyarrow as pa

    n = len(offsets) - 1
    bytes_ = pa.py_buffer(data)
    if offsets[-1] <= _INT32_MAX:
        small = pa.py_buffer(offsets.astype(np.int32))
        return [pa.Array.from_buffers(pa.string(), n, [valid, small, bytes_], nulls)]
    large = pa.Array.from_buffers(
        pa.large_string(), n, [valid, pa.py_buffer(offsets), bytes_], nulls
    )
    # Arrow's string offsets are int32: cut the rows where the bytes pass each GiB.
    step = 1 << 30
    cuts = np.searchsorted(offsets, np.arange(step, int(offsets[-1]), step), side="right") - 1
    bounds = [0, *sorted(set(cuts.tolist()) - {0, n}), n]
    return [large.slice(a, b - a).cast(pa.string()) for a, b in pairwise(bounds)]


def _lane_dicts(lane: Lane, frames: npt.NDArray[np.int64]) -> list[dict[str, Any]]:
    """The lane's rows as dicts (the output without pyarrow)."""
    labels, counts = lane.label_data.tobytes(), lane.counts_data.tobytes()
    lo, co = lane.label_offsets.tolist(), lane.counts_offsets.tolist()
    out = []
    for i, (item, box, segment, area, frame) in enumerate(
        zip(
            lane.item.tolist(),
            lane.boxes.tolist(),
            lane.segment.tolist(),
            lane.area.tolist(),
            frames.tolist(),
            strict=True,
        )
    ):
        row = dict.fromkeys(_NAMES[1:])
        row.update(
            item=item,
            kind="segment" if segment else "box",
            label=labels[lo[i] : lo[i + 1]].decode("utf-8"),
            x0=box[0],
            y0=box[1],
            x1=box[2],
            y1=box[3],
            rle_counts=counts[co[i] : co[i + 1]].decode("ascii") if segment else None,
            rle_size=frame if segment else None,
            area=area,
            diagnostics=[],
        )
        out.append(row)
    return out


def _infer_id_type(ids: list[Any]) -> Any:
    import pyarrow as pa

    if set(map(type, ids)) <= {int}:
        return pa.int64()
    try:
        return pa.array(ids).type
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise LocalError(f"the record ids must all be of one type: {exc}") from exc
