"""One COCO dataset from many images, batch rows as supervision detections, the Batch API's
JSONL as batch input, and the checks parse makes of its own arguments (SPEC S7, D1)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gemini_vision import batch, spatial
from gemini_vision.cli import main
from gemini_vision.errors import LocalError
from gemini_vision.spatial.dataset import CocoDataset, detections_by_image
from tests.batch_records import make_records

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


# pycocotools' Cython code still calls __array__ without ``copy`` (a NumPy 2 warning).
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_coco_dataset_of_a_batch_table_is_read_by_pycocotools(tmp_path: Path) -> None:
    """60 records (some broken, some unreadable) -> one COCO file: pycocotools loads it, one
    category table, ids that never restart, every area equal to the library's mask area
    and to pycocotools' area of the RLE, and the masks equal spatial.parse's."""
    coco_api = pytest.importorskip("pycocotools.coco")
    mask_utils = pytest.importorskip("pycocotools.mask")
    records = [
        {**record, "file_name": f"img_{record['id']:03d}.jpg"}
        for record in make_records(60, items=4, bad_every=11)
    ]
    rows = batch.process(records, keep=["file_name"])
    data = CocoDataset()
    sizes = {
        r["id"]: (r["width"], r["height"])
        for r in records
        if isinstance(r["width"], int) and isinstance(r["height"], int) and r["width"] > 0
    }
    data.add_rows(rows, sizes=sizes)
    path = data.save(tmp_path / "dataset.json")
    coco = coco_api.COCO(str(path))
    assert len(coco.getImgIds()) == 60 - data.skipped_records
    assert data.skipped_records > 0
    names = [c["name"] for c in coco.loadCats(coco.getCatIds())]
    assert names == sorted(set(names))
    annotations = coco.loadAnns(coco.getAnnIds())
    assert [a["id"] for a in annotations] == list(range(1, len(annotations) + 1))
    assert len(annotations) > 100
    by_record = {image["gemini_id"]: image for image in coco.loadImgs(coco.getImgIds())}
    checked = 0
    for record in records:
        if record["id"] not in by_record:
            continue
        image = by_record[record["id"]]
        assert image["file_name"] == record["file_name"]
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[image["id"]]))
        if record.get("text") is None:  # an unreadable record with a size: an empty image
            assert anns == []
            continue
        result = spatial.parse(record["text"], (image["width"], image["height"]))
        boxed = result.boxes
        assert [a["gemini_index"] for a in anns] == [item.index for item in boxed]
        frames = iter(result.full_masks())
        for ann, item in zip(anns, boxed, strict=True):
            assert coco.loadCats(ann["category_id"])[0]["name"] == item.label
            assert ann["area"] == item.area
            if item.mask is not None:
                assert int(mask_utils.area(ann["segmentation"])) == ann["area"]
                np.testing.assert_array_equal(coco.annToMask(ann).astype(bool), next(frames))
                checked += 1
    assert checked > 50
    # And back: the file read again gives the same dataset and the rows it came from.
    again = CocoDataset.from_coco(path)
    assert again.to_coco() == json.loads(path.read_text(encoding="utf-8"))
    back = again.rows()
    items = [r for r in rows.to_pylist() if r["item"] is not None and r["x0"] is not None]
    assert [(r["id"], r["item"], r["label"], r["rle_counts"], r["area"]) for r in back] == [
        (r["id"], r["item"], r["label"], r["rle_counts"], r["area"]) for r in items
    ]


def test_batch_rows_become_supervision_detections_per_image() -> None:
    sv = pytest.importorskip("supervision")
    records = list(make_records(12, items=3, broken_every=0))
    rows = batch.process(records)
    detections = detections_by_image(rows)
    assert set(detections) == {r["id"] for r in records}
    for record in records:
        result = spatial.parse(record["text"], (record["width"], record["height"]))
        got = detections[record["id"]]
        assert isinstance(got, sv.Detections)
        assert len(got) == len(result.boxes)
        np.testing.assert_array_equal(
            got.xyxy, np.array([i.box for i in result.boxes], np.float32).reshape(-1, 4)
        )
        assert list(got.data["class_name"]) == [i.label for i in result.boxes]
        if got.mask is not None:
            np.testing.assert_array_equal(got.mask, result.full_masks())


def _batch_api_output(tmp_path: Path) -> tuple[Path, Path, list[dict[str, object]]]:
    """A Batch API output file (key + response, one failed request) and a side table."""
    records = list(make_records(9, items=2, broken_every=0))
    lines, side = [], ["key,width,height,path"]
    for record in records:
        key = f"req-{record['id']}"
        response = {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": record["text"]}]},
                    "finishReason": "STOP",
                }
            ]
        }
        lines.append(json.dumps({"key": key, "response": response}, ensure_ascii=False))
        side.append(f"{key},{record['width']},{record['height']},images/{record['id']}.jpg")
    lines.append(json.dumps({"key": "req-failed", "error": {"code": 13, "message": "internal"}}))
    side.append("req-failed,10,10,images/failed.jpg")
    (tmp_path / "out.jsonl").write_text("\n".join(lines) + "\nnot json\n", encoding="utf-8")
    (tmp_path / "sizes.csv").write_text("\n".join(side) + "\n", encoding="utf-8")
    return tmp_path / "out.jsonl", tmp_path / "sizes.csv", records


def test_batch_reads_the_batch_api_jsonl_with_a_side_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sizes from the side table, the key as id, a kept column in every row; the failed
    request and the line that is not JSON are bad_record rows; the rows equal parse's."""
    jsonl, sizes, records = _batch_api_output(tmp_path)
    code = main(
        [
            "batch",
            str(jsonl),
            str(tmp_path / "rows.parquet"),
            "--sizes",
            str(sizes),
            "-k",
            "path",
            "-q",
            "--coco",
            str(tmp_path / "c.json"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    table = pq.read_table(tmp_path / "rows.parquet")
    rows = table.to_pylist()
    assert table.schema.names[-1] == "path"
    for record in records:
        mine = [r for r in rows if r["id"] == f"req-{record['id']}"]
        assert all(r["path"] == f"images/{record['id']}.jpg" for r in mine)
        result = spatial.parse(record["text"], (record["width"], record["height"]))
        assert [(r["label"], r["area"]) for r in mine if r["item"] is not None] == [
            (i.label, i.area) for i in result.items
        ]
    failed = [r for r in rows if r["id"] in ("req-failed", "10")]
    assert [d["code"] for r in failed for d in r["diagnostics"]] == ["bad_record", "bad_record"]
    coco = json.loads((tmp_path / "c.json").read_text())
    assert len(coco["images"]) == len(records) + 1  # the failed request has a size: an image


def test_process_keeps_named_columns_and_refuses_clashes() -> None:
    records = [
        {"id": "a", "width": 8, "height": 8, "text": "[]", "path": "a.jpg"},
        {
            "id": "b",
            "width": 8,
            "height": 8,
            "text": '[{"box_2d": [0,0,500,500]}, {"box_2d": [0,0,1000,1000]}]',
            "path": "b.jpg",
        },
    ]
    rows = batch.process(iter(records), keep=["path"]).to_pylist()
    assert [(r["id"], r["path"]) for r in rows] == [("a", "a.jpg"), ("b", "b.jpg"), ("b", "b.jpg")]
    with pytest.raises(LocalError, match="already has"):
        batch.process(records, keep=["label"])
    with pytest.raises(LocalError, match="no such column"):
        batch.process(records, keep=["nope"])


@pytest.mark.parametrize("threshold", [-1, 256, 300, 10**9])
def test_thresholds_outside_a_byte_are_refused(threshold: int) -> None:
    """As the docstrings say: parse and the batch raise LocalError (no empty masks)."""
    with pytest.raises(LocalError, match="0 to 255"):
        spatial.parse("[]", (4, 4), threshold=threshold)
    with pytest.raises(LocalError, match="0 to 255"):
        batch.process([{"width": 4, "height": 4, "text": "[]"}], threshold=threshold)


def test_exact_duplicates_are_reported_kept_or_dropped() -> None:
    """An exact copy gets a diagnostic naming the original; kept by default, dropped on
    request; a near copy (another number type, another label) is no duplicate; the batch
    gives the same rows as parse (the fast lane hands such records to the parser)."""
    item = {"box_2d": [0, 0, 500, 500], "label": "cat"}
    twins = [
        item,
        {"box_2d": [0, 0, 500, 500.0], "label": "cat"},
        dict(item),
        {"box_2d": [0, 0, 500, 500], "label": "dog"},
    ]
    text = json.dumps(twins)
    kept = spatial.parse(text, (10, 10))
    assert [i.index for i in kept.items] == [0, 1, 2, 3]
    assert [(d.index, d.action, d.code) for d in kept.diagnostics] == [(2, "note", "duplicate")]
    assert "copy of item 0" in kept.diagnostics[0].message
    dropped = spatial.parse(text, (10, 10), duplicates="drop")
    assert [i.index for i in dropped.items] == [0, 1, 3]
    assert [(d.index, d.action) for d in dropped.diagnostics] == [(2, "rejected")]
    # Segments through the batch's fast lane: same rows and diagnostics as parse.
    answer = next(make_records(1, items=3, broken_every=0, seed=4))
    items = json.loads(answer["text"].strip().removeprefix("```json").removesuffix("```"))
    doubled = json.dumps(items + items[:1])
    rows = batch.process([{"id": 0, "width": 64, "height": 48, "text": doubled}]).to_pylist()
    codes = [[d["code"] for d in r["diagnostics"]] for r in rows]
    result = spatial.parse(doubled, (64, 48))
    assert codes[-1] == ["duplicate"] and len(rows) == len(result.items)
    with pytest.raises(LocalError):
        spatial.parse("[]", (4, 4), duplicates="maybe")
