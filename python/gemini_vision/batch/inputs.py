"""Batch input files: Parquet, and the JSONL the Gemini Batch API writes (SPEC D1).

The Batch API's output file has one JSON object per line, in the order of the
requests: ``{"key": ..., "response": {GenerateContentResponse}}``, or a
``{"key": ..., "error": {status}}`` for a request that failed (a line may
also be a bare GenerateContentResponse). The response does not say how big
the image was, so the sizes come from ``width``/``height`` fields of the line,
or from a side table (CSV, JSONL or Parquet) keyed by the same ``key``; any
other column of the side table (a file name, an image id) can be carried into
every output row (``keep``).

``read_jsonl`` gives an Arrow table of records (``id`` is the line's key, else
its position; ``response`` is the response as JSON text; ``error`` the error
object as JSON text when the line had one).
A line that is not JSON becomes a record with neither text nor response, so
the batch reports it as a ``bad_record`` row instead of stopping.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "out.jsonl"
>>> _ = path.write_text('{"key": "a", "response": {"candidates": []}, "width": 4, "height": 3}\\n')
>>> read_jsonl(path).to_pylist()[0]["id"]
'a'
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from gemini_vision.errors import LocalError

__all__ = ["read_jsonl", "read_side_table"]


def read_side_table(path: str | Path, key: str) -> dict[Any, dict[str, Any]]:
    """A side table's rows by their ``key`` column: CSV, JSON lines or Parquet.

    CSV values that are whole numbers are read as ints (widths, heights, ids).

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "sizes.csv"
    >>> _ = path.write_text("key,width,height\\na,640,480\\n")
    >>> read_side_table(path, "key")
    {'a': {'key': 'a', 'width': 640, 'height': 480}}

    Raises:
        LocalError: the file cannot be read, has no ``key`` column, or repeats a key.
    """
    path = Path(path)
    rows: list[dict[str, Any]]
    try:
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            rows = pq.read_table(path).to_pylist()
        elif path.suffix in (".jsonl", ".ndjson", ".json"):
            with path.open(encoding="utf-8") as handle:
                rows = [json.loads(line) for line in handle if line.strip()]
        else:
            with path.open(encoding="utf-8", newline="") as handle:
                rows = [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(handle)]
    except (OSError, ValueError) as exc:
        raise LocalError(f"cannot read the side table {path}: {exc}") from exc
    out: dict[Any, dict[str, Any]] = {}
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict) or key not in row:
            raise LocalError(f"{path}: row {number} has no {key!r} column")
        if row[key] in out:
            raise LocalError(f"{path}: the key {row[key]!r} appears twice")
        out[row[key]] = row
    return out


def _number(text: str | None) -> Any:
    if text is not None and text.strip().lstrip("-").isdigit():
        return int(text)
    return text


def read_jsonl(path: str | Path, *, sizes: dict[Any, dict[str, Any]] | None = None) -> Any:
    """The records of a Batch API output file, as one ``pyarrow.Table``.

    Columns: ``id``, ``width``, ``height``, ``response``, ``error``, and every
    column of ``sizes`` (the side table from ``read_side_table``) for the
    line's key. Line fields ``width``/``height`` win over the side table's; a
    size that is not a whole number is left empty (the record's row then says
    the size is missing).

    Raises:
        LocalError: the file cannot be read.
    """
    import pyarrow as pa

    extra = _side_columns(sizes)
    try:
        with Path(path).open(encoding="utf-8") as handle:
            records = [
                _record(line, position, sizes, extra)
                for position, line in enumerate(line for line in handle if line.strip())
            ]
    except (OSError, UnicodeDecodeError) as exc:
        raise LocalError(f"cannot read {path}: {exc}") from exc
    return pa.Table.from_pylist(records, schema=_schema(records, extra))


def _side_columns(sizes: dict[Any, dict[str, Any]] | None) -> list[str]:
    names: dict[str, None] = {}
    for row in (sizes or {}).values():
        names.update(dict.fromkeys(row))
    return [n for n in names if n not in ("id", "width", "height", "response", "error")]


def _record(
    line: str, position: int, sizes: dict[Any, dict[str, Any]] | None, extra: list[str]
) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError:
        value = None
    record: dict[str, Any] = {"id": position, "width": None, "height": None}
    record.update({"response": None, "error": None})
    if isinstance(value, dict):
        key = value.get("key", position)
        record["id"] = key if isinstance(key, (str, int)) else json.dumps(key)
        if isinstance(value.get("response"), dict):
            record["response"] = json.dumps(value["response"], ensure_ascii=False)
        elif "candidates" in value:
            record["response"] = line.strip()
        if "error" in value or "status" in value:
            record["error"] = json.dumps(value.get("error", value.get("status")))
        side = (sizes or {}).get(record["id"], {})
        for name in extra:
            record[name] = side.get(name)
        for name in ("width", "height"):
            size = value.get(name, side.get(name))
            record[name] = size if type(size) is int else None
    else:
        for name in extra:
            record[name] = None
    return record


def _schema(chunk: list[dict[str, Any]], extra: list[str]) -> Any:
    import pyarrow as pa

    ids = [r["id"] for r in chunk]
    id_type = pa.int64() if all(type(i) is int for i in ids) else pa.string()
    if id_type == pa.string():
        for r in chunk:
            r["id"] = str(r["id"])
    fields = [
        pa.field("id", id_type),
        pa.field("width", pa.int64()),
        pa.field("height", pa.int64()),
        pa.field("response", pa.string()),
        pa.field("error", pa.string()),
    ]
    for name in extra:
        values = [r.get(name) for r in chunk]
        try:
            kind = pa.array(values).type
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            kind = pa.string()
            for r in chunk:
                r[name] = None if r.get(name) is None else str(r[name])
        fields.append(pa.field(name, pa.string() if kind == pa.null() else kind))
    return pa.schema(fields)


def kept_source(records: Any, keep: list[str]) -> tuple[Any, Any]:
    """``(records, table)``: the records (an iterator made a list) and an Arrow table of
    their ``id`` (or positions) and the ``keep`` columns, for ``attach_columns``.

    >>> _, table = kept_source([{"id": "a", "path": "a.jpg", "width": 4}], ["path"])
    >>> table.to_pylist()
    [{'id': 'a', 'path': 'a.jpg'}]

    Raises:
        LocalError: a kept column is missing or clashes with an output column.
    """
    import pyarrow as pa

    from gemini_vision.batch.schema import COLUMNS

    clash = [name for name in keep if name in {n for n, _ in COLUMNS}]
    if clash:
        raise LocalError(f"cannot keep {clash}: the output already has columns of those names")
    module = type(records).__module__.split(".")[0]
    if module == "pyarrow" and hasattr(records, "schema"):
        table = pa.table({n: records.column(n) for n in records.schema.names if n in ("id", *keep)})
    elif module == "pandas" and hasattr(records, "columns"):
        names = [n for n in records.columns if n in ("id", *keep)]
        table = pa.Table.from_pandas(records[names], preserve_index=False)
    else:
        records = list(records)
        present = (
            set().union(*(r.keys() for r in records if isinstance(r, dict))) if records else set()
        )
        names = [n for n in ("id", *keep) if n in present]
        table = pa.Table.from_pylist(
            [{n: r.get(n) for n in names} if isinstance(r, dict) else {} for r in records]
        )
    missing = [name for name in keep if name not in table.schema.names]
    if missing:
        raise LocalError(f"cannot keep {missing}: the records have no such column")
    if "id" not in table.schema.names:
        table = table.append_column("id", pa.array(range(table.num_rows), pa.int64()))
    return records, table


def attach_columns(out: Any, source: Any, keep: list[str]) -> Any:
    """``out`` (an Arrow table of rows) with the ``keep`` columns of ``source`` joined by ``id``.

    >>> import pyarrow as pa
    >>> out = pa.table({"id": ["b", "a", "b"], "item": [0, 0, 1]})
    >>> source = pa.table({"id": ["a", "b"], "path": ["a.jpg", "b.jpg"]})
    >>> attach_columns(out, source, ["path"]).column("path").to_pylist()
    ['b.jpg', 'a.jpg', 'b.jpg']

    Raises:
        LocalError: ``source`` repeats an id (a row could not tell which record it is from).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not keep:
        return out
    ids = source.column("id")
    if pc.count_distinct(ids).as_py() != len(ids):
        raise LocalError("cannot keep columns: the records' ids are not unique")
    try:
        ids = ids.cast(out.schema.field("id").type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise LocalError(f"cannot match the output ids to the records' ids: {exc}") from exc
    where = pc.index_in(out.column("id"), value_set=ids)
    for name in keep:
        out = out.append_column(source.schema.field(name), source.column(name).take(where))
    return out
