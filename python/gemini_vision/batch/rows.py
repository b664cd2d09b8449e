"""The batch output as columns: item rows and record rows, then a table or dicts.

``Rows`` collects one list per output column (``schema.COLUMNS``) while the
batch is assembled, so the Arrow table is built column by column at the end,
and the dict form is the same columns zipped.

>>> rows = Rows()
>>> rows.add_record_row(3, [{"index": None, "action": "rejected", "code": "bad_record",
...                          "message": "record 3: width is missing"}])
>>> rows.to_dicts()[0]["diagnostics"][0]["code"]
'bad_record'
"""

from __future__ import annotations

from itertools import repeat
from typing import TYPE_CHECKING, Any

from gemini_vision.batch.schema import COLUMNS, output_schema
from gemini_vision.errors import LocalError

if TYPE_CHECKING:
    from gemini_vision.batch.pipeline import Item

__all__ = ["Rows"]

_NAMES = tuple(name for name, _ in COLUMNS)
#: ``.get(counts, default)``: "box" / None for an item without a mask, else the default.
_BOX_IF_NONE = {None: "box"}
_NONE_IF_NONE: dict[None, None] = {None: None}


class Rows:
    """Output columns under construction (one list per column, equally long)."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in _NAMES}

    def __len__(self) -> int:
        return len(self.columns["id"])

    def add_columns(self, columns: list[list[Any]]) -> None:
        """Rows given as one list per column, in ``schema.COLUMNS`` order (``item_rows``)."""
        if len(columns) != len(_NAMES):
            raise LocalError(f"expected {len(_NAMES)} columns, got {len(columns)}")
        for column, values in zip(self.columns.values(), columns, strict=True):
            column.extend(values)

    def add_plain_items(
        self,
        record_id: Any,
        frame: list[int],
        items: list[Item],
    ) -> None:
        """The item rows of a record the fast lane read, a column at a time.

        Each item is ``(label, x0, y0, x1, y1, RLE counts or None, area)``:
        a segment, or a box when it had no mask; no diagnostics, points or 3D boxes.
        """
        n = len(items)
        labels, x0, y0, x1, y1, counts, areas = zip(*items, strict=True)
        c = self.columns
        # Built with map/zip/repeat, which iterate in C: no Python runs per item.
        c["id"].extend([record_id] * n)
        c["item"].extend(range(n))
        c["kind"].extend(map(_BOX_IF_NONE.get, counts, repeat("segment")))
        c["label"].extend(labels)
        c["x0"].extend(x0)
        c["y0"].extend(y0)
        c["x1"].extend(x1)
        c["y1"].extend(y1)
        c["rle_counts"].extend(counts)
        # A fresh [height, width] per segment, None for a box (no mask).
        c["rle_size"].extend(map(_NONE_IF_NONE.get, counts, map(list, repeat(frame, n))))
        c["area"].extend(areas)
        c["diagnostics"].extend(map(list, repeat((), n)))
        rows = len(c["id"])
        for column in c.values():  # what a plain item does not have: null
            if len(column) < rows:
                column.extend([None] * n)

    def add_record_row(self, record_id: Any, diagnostics: list[dict[str, Any]]) -> None:
        """A record row: the record's diagnostics that belong to no item row."""
        c = self.columns
        c["id"].append(record_id)
        c["diagnostics"].append(diagnostics)
        for name in _NAMES:
            if name not in ("id", "diagnostics"):
                c[name].append(None)

    def truncate(self, length: int) -> None:
        """Drop every row after the first ``length`` (a failed record's partial rows)."""
        for column in self.columns.values():
            del column[length:]

    def to_dicts(self) -> list[dict[str, Any]]:
        """The rows as dicts with every column as a key, in column order."""
        columns = [self.columns[name] for name in _NAMES]
        return [dict(zip(_NAMES, values, strict=True)) for values in zip(*columns, strict=True)]

    def to_arrow(self, id_type: Any = None) -> Any:
        """The rows as a ``pyarrow.Table`` of ``output_schema(id_type)``.

        ``id_type`` None: int64 if every id is an int, else the type Arrow infers.
        """
        import pyarrow as pa

        if id_type is None:
            id_type = _infer_id_type(self.columns["id"])
        schema = output_schema(id_type)
        try:
            return pa.Table.from_pydict(self.columns, schema=schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise LocalError(
                f"the record ids cannot be one Arrow column of {id_type}: {exc}"
            ) from exc


def _infer_id_type(ids: list[Any]) -> Any:
    import pyarrow as pa

    if all(type(i) is int for i in ids):
        return pa.int64()
    try:
        return pa.array(ids).type
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise LocalError(f"the record ids must all be of one type: {exc}") from exc
