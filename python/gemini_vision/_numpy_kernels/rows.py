"""Python twin of ``rust/py/rows.rs``: one record's output rows as columns (SPEC D1).

The batch's general parser leaves, per record, its kept items (``Draft``s),
its diagnostics and its masks' COCO RLE; ``item_rows`` turns them into the
record's rows, one list per output column (``batch.schema.COLUMNS``), which
the caller extends its columns with. The Rust kernel walks the objects in
native code, so the batch runs no Python per item; this twin does the same in
a Python loop, row for row the same.

What a record gives (the rows ``spatial.parse`` implies):

- one item row per draft, in order: kind ``segment`` when ``segments`` holds
  its index (the RLE and its area), else ``box`` (area: the box's pixels),
  ``point`` or ``box_3d`` (area 0); the diagnostics whose ``index`` is the
  item's, in order;
- a record row (``item`` null) after them when some diagnostic names no kept
  item, or when there is no item at all (so every record has a row).

Diagnostics are ordered as ``Pending.sorted_diagnostics`` orders them: those
about the whole text first, then by item, each group in the order given.
Text a string column cannot hold (lone surrogates, valid in JSON, not in
UTF-8) is stored with backslash escapes; a label so escaped adds an
``unencodable_text`` diagnostic to its item.

>>> from types import SimpleNamespace as O
>>> draft = O(index=0, label="cat", box=(1, 2, 5, 6), confidence=None, point=None, box_3d=None)
>>> note = O(index=None, action="note", code="truncated", message="cut")
>>> columns = item_rows(7, [draft], [note], {0: ("PQ", 9)}, (10, 20))
>>> [column[0] for column in columns[:4]], columns[10], columns[11]
([7, 0, 'segment', 'cat'], [[10, 20], None], [9, None])
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

__all__ = ["COLUMN_COUNT", "item_rows"]

#: The output columns, in ``batch.schema.COLUMNS`` order.
COLUMN_COUNT = 16


def storable(text: str) -> tuple[str, bool]:
    """``text`` as a UTF-8 column holds it (lone surrogates escaped), and whether it changed."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8"), True
    return text, False


def _order(diagnostic: Any) -> int:
    # operator.index: an int (as Rust's i64 extraction), never a float or a str
    return -1 if diagnostic.index is None else operator.index(diagnostic.index)


def item_rows(
    record_id: Any,
    drafts: Sequence[Any],
    diagnostics: Sequence[Any],
    segments: dict[int, tuple[str, int]],
    frame: tuple[int, int],
) -> list[list[Any]]:
    """The record's rows as 16 columns (see the module)."""
    columns: list[list[Any]] = [[] for _ in range(COLUMN_COUNT)]
    (ids, items, kinds, labels, x0s, y0s, x1s, y1s, confidences, counts, sizes, areas, notes,
     point_x, point_y, boxes_3d) = columns  # fmt: skip
    by_item: dict[Any, list[dict[str, Any]]] = {d.index: [] for d in drafts}
    loose: list[dict[str, Any]] = []
    for d in sorted(diagnostics, key=_order):
        entry = {
            "index": d.index,
            "action": d.action,
            "code": d.code,
            "message": storable(d.message)[0],
        }
        target = by_item.get(d.index) if d.index is not None else None
        (target if target is not None else loose).append(entry)
    height, width = frame
    for draft in drafts:
        index = draft.index
        operator.index(index)  # an int, as the Rust kernel requires
        label, escaped = storable(draft.label)
        if escaped:
            by_item[index].append(
                {
                    "index": index,
                    "action": "repaired",
                    "code": "unencodable_text",
                    "message": f"item {index}: the label has lone surrogates (not "
                    f"UTF-8); stored with backslash escapes as {label!r}",
                }
            )
        box = draft.box
        segment = segments.get(index)
        if segment is not None:
            kind, area = "segment", segment[1]
        elif box is not None:
            kind, area = "box", (box[2] - box[0]) * (box[3] - box[1])
        else:
            kind, area = ("point" if draft.point is not None else "box_3d"), 0
        ids.append(record_id)
        items.append(index)
        kinds.append(kind)
        labels.append(label)
        for column, value in zip((x0s, y0s, x1s, y1s), box or (None,) * 4, strict=True):
            column.append(value)
        confidences.append(draft.confidence)
        counts.append(None if segment is None else segment[0])
        sizes.append(None if segment is None else [height, width])
        areas.append(area)
        notes.append(by_item[index])
        point = draft.point
        point_x.append(None if point is None else point[0])
        point_y.append(None if point is None else point[1])
        boxes_3d.append(None if draft.box_3d is None else list(draft.box_3d))
    if loose or not drafts:
        ids.append(record_id)
        notes.append(loose)
        for column in columns:
            if len(column) < len(ids):
                column.append(None)
    return columns
