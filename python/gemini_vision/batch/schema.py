"""The batch output's columns, declared once, and their forms for Arrow and Spark (SPEC D1, D2).

``COLUMNS`` is the plain description (no pyarrow needed); ``output_schema``
turns it into a ``pyarrow.Schema`` and ``spark_ddl`` into the DDL string that
Spark's ``mapInArrow`` wants, so every engine sees the same declaration.

One row per item the model gave and the parser kept, plus one *record row*
(``item`` null) per record whose diagnostics belong to no kept item: notes
about the whole answer, items that were dropped, a record that could not be
read. So a record's every diagnostic lands in exactly one row, and nothing
disappears.

>>> [name for name, _ in COLUMNS][:6]
['id', 'item', 'kind', 'label', 'x0', 'y0']
>>> spark_ddl(output_schema()).split(", ")[:2]
['`id` BIGINT', '`item` INT']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["COLUMNS", "DIAGNOSTIC_FIELDS", "output_schema", "spark_ddl"]

#: Fields of one entry of the ``diagnostics`` column (as in ``spatial.Diagnostic``).
DIAGNOSTIC_FIELDS = ("index", "action", "code", "message")

#: ``(name, type)`` of every output column, in order. Types are Arrow's names;
#: ``id`` takes the type of the input's ``id`` column (int64 when it has none).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "int64 (the input's id type)"),
    ("item", "int32: the item's index in the model's list; null on a record row"),
    ("kind", "string: box, segment, point or box_3d; null on a record row"),
    ("label", "string"),
    ("x0", "int32: pixel box, ends exclusive"),
    ("y0", "int32"),
    ("x1", "int32"),
    ("y1", "int32"),
    ("confidence", "float64"),
    ("rle_counts", "string: COCO compressed RLE of the mask in the image frame"),
    ("rle_size", "list<int32>: [height, width] of that frame"),
    ("area", "int64: mask pixels of a segment, box pixels of a box, 0 otherwise"),
    ("diagnostics", "list<struct<index int32, action string, code string, message string>>"),
    ("point_x", "int32: pixel point of a point item"),
    ("point_y", "int32"),
    ("box_3d", "list<float64>: the nine numbers of a 3D box"),
)


def output_schema(id_type: pa.DataType | None = None) -> pa.Schema:
    """The output's ``pyarrow.Schema``, with ``id`` of ``id_type`` (default int64).

    >>> import pyarrow as pa
    >>> output_schema(pa.string()).field("id").type
    DataType(string)
    """
    import pyarrow as pa

    # Every field is nullable (Arrow's default): Spark declares its columns so, and
    # a batch whose nullability differs from the declared schema is refused.
    diagnostic = pa.struct(
        [
            ("index", pa.int32()),
            ("action", pa.string()),
            ("code", pa.string()),
            ("message", pa.string()),
        ]
    )
    i32 = pa.int32()
    return pa.schema(
        [
            pa.field("id", id_type if id_type is not None else pa.int64()),
            pa.field("item", i32),
            pa.field("kind", pa.string()),
            pa.field("label", pa.string()),
            pa.field("x0", i32),
            pa.field("y0", i32),
            pa.field("x1", i32),
            pa.field("y1", i32),
            pa.field("confidence", pa.float64()),
            pa.field("rle_counts", pa.string()),
            pa.field("rle_size", pa.list_(i32)),
            pa.field("area", pa.int64()),
            pa.field("diagnostics", pa.list_(diagnostic)),
            pa.field("point_x", i32),
            pa.field("point_y", i32),
            pa.field("box_3d", pa.list_(pa.float64())),
        ]
    )


# Arrow type ids to Spark SQL's names; nested types are spelled out below.
_SPARK_SIMPLE = {
    "bool": "BOOLEAN",
    "int8": "TINYINT",
    "int16": "SMALLINT",
    "int32": "INT",
    "int64": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "string": "STRING",
    "large_string": "STRING",
    "binary": "BINARY",
    "large_binary": "BINARY",
}


def _spark_type(t: Any) -> str:
    import pyarrow as pa

    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"ARRAY<{_spark_type(t.value_type)}>"
    if pa.types.is_struct(t):
        fields = ", ".join(f"`{f.name}`: {_spark_type(f.type)}" for f in t)
        return f"STRUCT<{fields}>"
    name = str(t)
    if name not in _SPARK_SIMPLE:
        raise TypeError(f"no Spark SQL type for the Arrow type {name}")
    return _SPARK_SIMPLE[name]


def spark_ddl(schema: pa.Schema) -> str:
    """The Spark SQL DDL of an Arrow schema (what ``mapInArrow`` takes as its schema).

    >>> import pyarrow as pa
    >>> spark_ddl(pa.schema([("a", pa.list_(pa.int32())), ("b", pa.string())]))
    '`a` ARRAY<INT>, `b` STRING'
    """
    return ", ".join(f"`{f.name}` {_spark_type(f.type)}" for f in schema)
