"""Many images as one dataset: a COCO file and supervision detections (SPEC S7).

``SpatialResult.to_coco`` describes one image; a dataset needs one category
table for every image and ids that do not restart. ``CocoDataset`` collects
images from ``SpatialResult``s or from the rows of a batch table
(``gemini_vision.batch``: one row per item, ``id`` naming the record) and
writes one COCO file:

- images are numbered 1, 2, ... in the order they are added; the record's
  own id is kept as ``gemini_id`` and its ``file_name`` when known;
- categories are the labels, numbered 1, 2, ... in sorted order, so the same
  items give the same ids however they were split or ordered;
- annotations are numbered 1, 2, ... in image order, then the model's order;
  segments carry their RLE and mask area, boxes their box area; points and 3D
  boxes have no COCO form and are counted in ``skipped``.

``CocoDataset.from_coco`` reads such a file back, and ``rows()`` gives the
annotations as batch-style rows again. ``detections_by_image`` turns batch
rows into one ``supervision.Detections`` per record.

>>> from gemini_vision import spatial
>>> data = CocoDataset()
>>> r = spatial.parse('[{"box_2d": [0, 0, 500, 500], "label": "cat"}]', (4, 4))
>>> data.add_result(r, file_name="a.jpg"), data.add_result(r, file_name="b.jpg")
(1, 2)
>>> coco = data.to_coco()
>>> [a["id"] for a in coco["annotations"]], coco["categories"]
([1, 2], [{'id': 1, 'name': 'cat'}])
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gemini_vision.errors import LocalError

if TYPE_CHECKING:
    from gemini_vision.spatial.result import SpatialResult

__all__ = ["CocoDataset", "detections_by_image"]


@dataclass
class _Annotation:
    image: int
    label: str
    bbox: list[int]
    area: int
    segmentation: dict[str, Any] | None
    score: float | None
    gemini_index: int | None


@dataclass
class CocoDataset:
    """Images and their annotations, turned into one COCO dataset by ``to_coco``.

    Attributes:
        images: the COCO image entries, in the order added (``id`` 1, 2, ...).
        skipped: items with no COCO form (points, 3D boxes) that were left out.
        skipped_records: batch records with no items and no known size (records
            that could not be read), which have no COCO image.
    """

    images: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    skipped_records: int = 0
    _annotations: list[_Annotation] = field(default_factory=list)

    def _add_image(self, width: int, height: int, file_name: str | None, gemini_id: Any) -> int:
        image_id = len(self.images) + 1
        entry: dict[str, Any] = {"id": image_id, "width": int(width), "height": int(height)}
        if file_name is not None:
            entry["file_name"] = str(file_name)
        if gemini_id is not None:
            entry["gemini_id"] = gemini_id
        self.images.append(entry)
        return image_id

    def add_result(
        self, result: SpatialResult, *, file_name: str | None = None, gemini_id: Any = None
    ) -> int:
        """Add one image's result; return its image id."""
        width, height = result.image_size
        image_id = self._add_image(width, height, file_name, gemini_id)
        coco = result.to_coco(image_id=image_id)
        names = {c["id"]: c["name"] for c in coco["categories"]}
        for a in coco["annotations"]:
            self._annotations.append(
                _Annotation(
                    image_id,
                    names[a["category_id"]],
                    a["bbox"],
                    a["area"],
                    a.get("segmentation"),
                    a.get("score"),
                    a.get("gemini_index"),
                )
            )
        self.skipped += sum(1 for item in result.items if item.box is None)
        return image_id

    def add_rows(
        self,
        rows: Any,
        *,
        sizes: Mapping[Any, tuple[int, int]] | None = None,
        file_name_column: str | None = "file_name",
    ) -> list[int]:
        """Add the records of a batch table (pyarrow Table, DataFrame or dicts); return image ids.

        Every distinct ``id`` becomes one image, in order of first appearance
        (its record row included, so an image with no items is still listed).
        The image size comes from the segments' ``rle_size``, else from
        ``sizes[id]`` (``(width, height)``), else from ``width``/``height``
        columns; ``file_name_column`` (when present) gives the file name.

        A record with no items whose size cannot be told (a ``bad_record``) is
        counted in ``skipped_records``.

        Raises:
            LocalError: a record with items has no size to be told.
        """
        columns = _columns(rows)
        n = len(columns["id"])
        get = columns.get
        order: dict[Any, list[int]] = {}
        for i in range(n):
            order.setdefault(_key(columns["id"][i]), []).append(i)
        added = []
        for positions in order.values():
            record_id = columns["id"][positions[0]]
            size = _size_of(columns, positions, sizes, record_id)
            if size is None:
                if any(columns["item"][i] is not None for i in positions):
                    raise LocalError(
                        f"record {record_id!r} has items but no mask and no width/height "
                        "column: give sizes={id: (width, height)}"
                    )
                self.skipped_records += 1  # a record that could not be read: no image
                continue
            names = get(file_name_column) if file_name_column else None
            image_id = self._add_image(
                size[0], size[1], None if names is None else names[positions[0]], record_id
            )
            added.append(image_id)
            for i in positions:
                if columns["item"][i] is None:
                    continue  # a record row: diagnostics only
                if columns["x0"][i] is None:
                    self.skipped += 1
                    continue
                x0, y0, x1, y1 = (int(columns[c][i]) for c in ("x0", "y0", "x1", "y1"))
                counts = columns["rle_counts"][i]
                segmentation = (
                    None
                    if counts is None
                    else {"size": [int(v) for v in columns["rle_size"][i]], "counts": counts}
                )
                confidence = get("confidence")
                self._annotations.append(
                    _Annotation(
                        image_id,
                        str(columns["label"][i]),
                        [x0, y0, x1 - x0, y1 - y0],
                        int(columns["area"][i]),
                        segmentation,
                        None if confidence is None else confidence[i],
                        int(columns["item"][i]),
                    )
                )
        return added

    def to_coco(self) -> dict[str, Any]:
        """The dataset as a COCO dict: images, annotations, one category table."""
        names = sorted({a.label for a in self._annotations})
        category = {name: i for i, name in enumerate(names, 1)}
        annotations = []
        for number, a in enumerate(self._annotations, 1):
            entry: dict[str, Any] = {
                "id": number,
                "image_id": a.image,
                "category_id": category[a.label],
                "bbox": list(a.bbox),
                "area": a.area,
                "iscrowd": 0,
            }
            if a.segmentation is not None:
                entry["segmentation"] = a.segmentation
            if a.score is not None:
                entry["score"] = a.score
            if a.gemini_index is not None:
                entry["gemini_index"] = a.gemini_index
            annotations.append(entry)
        return {
            "images": [dict(image) for image in self.images],
            "annotations": annotations,
            "categories": [{"id": category[name], "name": name} for name in names],
        }

    def save(self, path: str | Path) -> Path:
        """Write ``to_coco()`` as JSON to ``path``, all or nothing; return the path."""
        from gemini_vision.spatial.files import dumps_json, writing_file

        target = Path(path)
        with writing_file(target) as temp:
            temp.write_text(dumps_json(self.to_coco()) + "\n", encoding="utf-8")
        return target

    @classmethod
    def from_coco(cls, coco: Mapping[str, Any] | str | Path) -> CocoDataset:
        """Read a COCO dataset (a dict, or a path to its JSON) back.

        Raises:
            LocalError: the file cannot be read, or is not a COCO dataset.
        """
        if isinstance(coco, (str, Path)):
            try:
                coco = json.loads(Path(coco).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise LocalError(f"cannot read the COCO file {coco}: {exc}") from exc
        if not isinstance(coco, Mapping):
            raise LocalError("a COCO dataset is a JSON object")
        try:
            names = {int(c["id"]): str(c["name"]) for c in coco.get("categories", [])}
            data = cls()
            renumber = {}
            for image in coco["images"]:
                renumber[image["id"]] = data._add_image(
                    image["width"], image["height"], image.get("file_name"), image.get("gemini_id")
                )
            for a in coco.get("annotations", []):
                data._annotations.append(
                    _Annotation(
                        renumber[a["image_id"]],
                        names[int(a["category_id"])],
                        [int(v) for v in a["bbox"]],
                        int(a["area"]),
                        a.get("segmentation"),
                        a.get("score"),
                        a.get("gemini_index"),
                    )
                )
        except (KeyError, TypeError, ValueError) as exc:
            raise LocalError(f"not a COCO dataset: {exc!r} is missing or malformed") from exc
        return data

    def rows(self) -> list[dict[str, Any]]:
        """The annotations as batch-style rows (``id`` is the record's id, else the image id).

        Each row: id, file_name, item, kind, label, x0, y0, x1, y1, confidence,
        rle_counts, rle_size, area.
        """
        by_id = {image["id"]: image for image in self.images}
        out = []
        for a in self._annotations:
            image = by_id[a.image]
            x, y, w, h = a.bbox
            segmentation = a.segmentation if isinstance(a.segmentation, Mapping) else None
            out.append(
                {
                    "id": image.get("gemini_id", image["id"]),
                    "file_name": image.get("file_name"),
                    "item": a.gemini_index,
                    "kind": "box" if segmentation is None else "segment",
                    "label": a.label,
                    "x0": x,
                    "y0": y,
                    "x1": x + w,
                    "y1": y + h,
                    "confidence": a.score,
                    "rle_counts": None if segmentation is None else segmentation["counts"],
                    "rle_size": None if segmentation is None else list(segmentation["size"]),
                    "area": a.area,
                }
            )
        return out


def _columns(rows: Any) -> dict[str, list[Any]]:
    """A batch table's columns as lists: pyarrow, pandas, or an iterable of dicts."""
    module = type(rows).__module__.split(".")[0]
    if module == "pyarrow" and hasattr(rows, "schema"):
        return {name: rows.column(name).to_pylist() for name in rows.schema.names}
    if module == "pandas" and hasattr(rows, "columns"):
        return {str(name): rows[name].tolist() for name in rows.columns}
    if isinstance(rows, Iterable) and not isinstance(rows, (str, bytes, Mapping)):
        listed = list(rows)
        names: dict[str, None] = {}
        for row in listed:
            names.update(dict.fromkeys(row))
        return {name: [row.get(name) for row in listed] for name in names}
    raise LocalError(f"batch rows must be a pyarrow Table, a DataFrame or dicts, got {type(rows)}")


def _key(value: Any) -> Any:
    return (
        json.dumps(value, sort_keys=True, default=str) if isinstance(value, (list, dict)) else value
    )


def _size_of(
    columns: dict[str, list[Any]],
    positions: list[int],
    sizes: Mapping[Any, tuple[int, int]] | None,
    record_id: Any,
) -> tuple[int, int] | None:
    for i in positions:
        frame = columns.get("rle_size", [None] * (i + 1))[i]
        if frame is not None:
            height, width = frame
            return int(width), int(height)
    if sizes is not None and record_id in sizes:
        width, height = sizes[record_id]
        return int(width), int(height)
    if "width" in columns and "height" in columns:
        width, height = columns["width"][positions[0]], columns["height"][positions[0]]
        if width is not None and height is not None:
            return int(width), int(height)
    return None


def detections_by_image(rows: Any) -> dict[Any, Any]:
    """One ``supervision.Detections`` per record of a batch table, keyed by ``id``.

    Boxed items only (points and 3D boxes have no supervision form), in the
    model's order; ``class_id`` numbers the labels of the whole table in sorted
    order and ``data["class_name"]`` holds them; masks are full-frame and
    present when every boxed item of the record is a segment; ``confidence``
    when every one has one. A record with no boxed item gives an empty
    ``Detections``.

    Raises:
        ImportError: supervision is not installed.
    """
    try:
        import supervision
    except ImportError as exc:
        raise ImportError(
            "detections_by_image() needs the supervision package: "
            "pip install 'gemini-vision[supervision]'"
        ) from exc
    import numpy as np

    from gemini_vision.masks import Rle

    columns = _columns(rows)
    labels = sorted(
        {
            str(label)
            for label, x0 in zip(columns["label"], columns["x0"], strict=True)
            if x0 is not None
        }
    )
    class_of = {name: i for i, name in enumerate(labels)}
    grouped: dict[Any, list[int]] = {}
    ids: dict[Any, Any] = {}
    for i, record_id in enumerate(columns["id"]):
        key = _key(record_id)
        ids.setdefault(key, record_id)
        positions = grouped.setdefault(key, [])
        if columns["x0"][i] is not None and columns["item"][i] is not None:
            positions.append(i)
    out = {}
    for key, positions in grouped.items():
        xyxy = np.array(
            [[columns[c][i] for c in ("x0", "y0", "x1", "y1")] for i in positions], dtype=np.float32
        ).reshape(-1, 4)
        mask = None
        if positions and all(columns["rle_counts"][i] is not None for i in positions):
            mask = np.stack(
                [
                    Rle.from_coco(
                        {"size": columns["rle_size"][i], "counts": columns["rle_counts"][i]}
                    ).decode()
                    for i in positions
                ]
            )
        confidence = None
        scores = columns.get("confidence")
        if positions and scores is not None and all(scores[i] is not None for i in positions):
            confidence = np.array([scores[i] for i in positions], dtype=np.float32)
        names = [str(columns["label"][i]) for i in positions]
        out[ids[key]] = supervision.Detections(
            xyxy=xyxy,
            mask=mask,
            confidence=confidence,
            class_id=np.array([class_of[n] for n in names], dtype=np.int64),
            data={"class_name": np.array(names, dtype=object)},
        )
    return out
