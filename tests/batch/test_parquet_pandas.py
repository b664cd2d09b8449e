"""The item table's Parquet files read back with the installed pandas (3 in this suite).

The Dask path writes each partition with ``distributed.parquet.write_table``;
its engine test reads the result with pandas 2 (the engines' environment pins
pandas < 3), this one with the main environment's pandas, so both majors read
the same writer's files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from gemini_vision import batch  # noqa: E402
from gemini_vision.distributed.parquet import write_table  # noqa: E402
from gemini_vision.testing import CANNED_SEGMENTATION  # noqa: E402

RECORDS = [
    {"id": 1, "width": 64, "height": 48, "text": CANNED_SEGMENTATION},
    {"id": 2, "width": 64, "height": 48, "text": "no json"},
]


def through_pandas() -> pa.Table:
    """The table as a Dask partition holds it: Arrow-backed pandas, then Arrow again."""
    table = batch.process(RECORDS)
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    return pa.Table.from_pandas(frame, preserve_index=False)


def test_the_writer_files_read_back_with_pandas(tmp_path: Path) -> None:
    path = tmp_path / "part.0.parquet"
    write_table(through_pandas(), path)
    frame = pd.read_parquet(path)
    assert list(frame.columns) == batch.OUTPUT_SCHEMA.names
    assert frame["label"].tolist()[:2] == ["ball", "shadow"] and frame["label"].isna()[2]
    assert list(frame["rle_size"][0]) == [48, 64]
    assert pq.read_table(path).cast(batch.OUTPUT_SCHEMA).equals(batch.process(RECORDS))


def test_pandas_metadata_is_what_broke_pandas_3(tmp_path: Path) -> None:
    """The defect this guards against: pandas' ArrowDtype metadata in the file."""
    path = tmp_path / "with-metadata.parquet"
    pq.write_table(through_pandas(), path)
    if int(pd.__version__.split(".")[0]) < 3:
        pytest.skip("pandas 2 reads its own ArrowDtype metadata")
    with pytest.raises(TypeError, match="not understood"):
        pd.read_parquet(path)
