"""Batch input: records as dicts, a pandas DataFrame or Arrow, read into plain columns.

Every form ends up as ``Records``: four equally long lists (ids, widths,
heights, answers) plus the Arrow type of the ids when the input had one. The
call is refused (``LocalError``) only when the input as a whole is unusable —
a missing column, an unknown container; a *record* with bad values is kept and
becomes a diagnostic row later, so one bad record never stops a batch.

>>> r = read_records([{"width": 4, "height": 3, "text": "[]"}])
>>> r.ids, r.widths, r.heights, r.answers
([0], [4], [3], ['[]'])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from gemini_vision.errors import LocalError

__all__ = ["ANSWER_COLUMNS", "Records", "engine_columns", "is_missing", "read_records"]

#: Columns that may hold the model's answer, in order of preference per record:
#: the answer's text, or a generateContent response (JSON text or a dict).
ANSWER_COLUMNS = ("text", "response")


def engine_columns(names: Iterable[str]) -> list[str]:
    """The columns a distributed engine hands to ``process_arrow``, in order.

    Engines need the ``id`` column (rows of different tasks must be told
    apart), the image size and at least one answer column; anything else is
    left out so it is never shipped to the workers.

    >>> engine_columns(["note", "text", "height", "width", "id"])
    ['id', 'width', 'height', 'text']
    >>> engine_columns(["width", "height", "text"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    gemini_vision.errors.LocalError: the records need the columns id, ... ['width', 'height', ...]
    """
    names = list(names)
    missing = [c for c in ("id", "width", "height") if c not in names]
    if missing or not any(c in names for c in ANSWER_COLUMNS):
        raise LocalError(
            "the records need the columns id, width, height and text or response; "
            f"the columns are {names}"
        )
    return [c for c in ("id", "width", "height", *ANSWER_COLUMNS) if c in names]


@dataclass
class Records:
    """A batch's records as columns (values not yet checked).

    Attributes:
        ids: the ``id`` column, or the records' positions when there is none.
        widths, heights: the image sizes as given.
        answers: per record the ``text`` value, else the ``response`` value (may be None).
        id_type: the Arrow type of the input's ``id`` column (None: not from Arrow, or no ids).
    """

    ids: list[Any]
    widths: list[Any]
    heights: list[Any]
    answers: list[Any]
    id_type: Any = None

    def __len__(self) -> int:
        return len(self.ids)


def read_records(records: Any) -> Records:
    """Columns of ``records``: a pyarrow Table/RecordBatch, a pandas DataFrame or dicts.

    Raises:
        LocalError: a needed column is missing, or ``records`` is none of those forms.
    """
    module = type(records).__module__.split(".")[0]
    if module == "pyarrow" and hasattr(records, "schema") and hasattr(records, "column"):
        return _from_arrow(records)
    if module == "pandas" and hasattr(records, "columns"):
        return _from_columns(
            list(records.columns), lambda name: records[name].tolist(), len(records)
        )
    if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Iterable):
        raise LocalError(
            "records must be an iterable of dicts, a pandas DataFrame or a pyarrow "
            f"Table/RecordBatch, got {type(records).__name__}"
        )
    return _from_dicts(records)


def _from_arrow(table: Any) -> Records:
    names = list(table.schema.names)
    out = _from_columns(names, lambda name: table.column(name).to_pylist(), table.num_rows)
    if "id" in names:
        out.id_type = table.schema.field("id").type
    return out


def _from_columns(names: list[str], column: Any, length: int) -> Records:
    for needed in ("width", "height"):
        if needed not in names:
            raise LocalError(f"records need a {needed!r} column; the columns are {names}")
    present = [name for name in ANSWER_COLUMNS if name in names]
    if not present:
        raise LocalError(f"records need a 'text' or a 'response' column; the columns are {names}")
    answers: list[Any] = column(present[0])
    if len(present) == 2:
        # Both given: a record's text wins, its response fills in where the text is null.
        responses = column(present[1])
        answers = [r if is_missing(t) else t for t, r in zip(answers, responses, strict=True)]
    ids = column("id") if "id" in names else list(range(length))
    return Records(ids, column("width"), column("height"), answers)


def _from_dicts(records: Iterable[Any]) -> Records:
    records = list(records)
    if set(map(type, records)) <= {dict}:
        # Plain dicts: each column in one C-level pass (dict.get per record), no
        # Python per record unless an answer is missing (then its response is read).
        ids = list(map(dict.get, records, repeat("id"), range(len(records))))
        answers = list(map(dict.get, records, repeat("text")))
        if not set(map(type, answers)) <= {str}:
            answers = [
                record.get("response") if is_missing(answer) else answer
                for record, answer in zip(records, answers, strict=True)
            ]
        widths = list(map(dict.get, records, repeat("width")))
        return Records(ids, widths, list(map(dict.get, records, repeat("height"))), answers)
    out = Records([], [], [], [])
    for position, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise LocalError(f"record {position} is a {type(record).__name__}, not a dict")
        out.ids.append(record.get("id", position))
        out.widths.append(record.get("width"))
        out.heights.append(record.get("height"))
        answer = record.get("text")
        out.answers.append(record.get("response") if is_missing(answer) else answer)
    return out


def is_missing(value: Any) -> bool:
    """None, or what pandas puts in an empty cell (NaN, ``pd.NA``).

    >>> is_missing(None), is_missing(float("nan")), is_missing(0)
    (True, True, False)
    """
    if value is None or type(value).__name__ == "NAType":
        return True
    return isinstance(value, float) and math.isnan(value)
