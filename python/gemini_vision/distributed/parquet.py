"""Parquet files of the item table that every pandas reads back (2 and 3).

A table that went through pandas with Arrow-backed dtypes carries pandas'
metadata naming them (``list<item: int32>[pyarrow]``), which pandas 3 cannot
parse back (``pandas.read_parquet`` fails with "data type ... not
understood"). The engines' writers therefore write the Arrow table with that
metadata removed: the column types are in the Parquet schema itself, and
``pandas.read_parquet`` (any version, any ``dtype_backend``) and
``pyarrow.parquet.read_table`` read it the same.

>>> import pyarrow as pa, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "part.0.parquet")
>>> write_table(pa.table({"a": [[1, 2]]}).replace_schema_metadata({b"pandas": b"{}"}), path)
>>> import pyarrow.parquet as pq
>>> pq.read_schema(path).metadata is None
True
"""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["write_table"]


def write_table(table: pa.Table, path: str | os.PathLike[str]) -> None:
    """Write ``table`` to ``path`` without pandas' metadata (see above)."""
    pq.write_table(table.replace_schema_metadata(None), os.fspath(path))
