"""``SpatialResult``: the parsed items and everything made from them (SPEC S6, S7).

Items keep box-local masks (an offset and a small array); full-frame masks, a
label map, COCO annotations, ``supervision.Detections``, an overlay image and
files on disk are made on demand, each in one pass over the items.

>>> from gemini_vision import spatial
>>> r = spatial.parse('[{"box_2d": [0, 0, 500, 500], "label": "a"}]', (4, 4))
>>> r.to_coco()["annotations"][0]["bbox"]
[0, 0, 2, 2]
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from gemini_vision import masks
from gemini_vision.spatial.diagnostics import Diagnostic
from gemini_vision.spatial.items import SpatialItem

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["SpatialResult"]


@dataclass(frozen=True, eq=False)
class SpatialResult:
    """What ``parse`` found, in the model's order, and what it could not take as given.

    Attributes:
        items: the kept items (``item.index`` is the position in the model's list).
        diagnostics: every repaired or dropped item and every note, with its index.
        image_size: ``(width, height)`` the pixels refer to.
        truncated: the answer was cut off (unclosed JSON, or finishReason MAX_TOKENS).
        finish_reason: the response's finishReason, when a response was given.
        source: where the JSON was found ("fenced block 1 (json)", "whole text", "scan").
        threshold: the threshold the masks were made with.
    """

    items: tuple[SpatialItem, ...]
    diagnostics: tuple[Diagnostic, ...]
    image_size: tuple[int, int]
    truncated: bool = False
    finish_reason: str | None = None
    source: str = "none"
    threshold: int = 127

    @property
    def segments(self) -> tuple[SpatialItem, ...]:
        """The items that have a mask, in order (``full_masks`` has one frame per segment)."""
        return tuple(item for item in self.items if item.mask is not None)

    @property
    def boxes(self) -> tuple[SpatialItem, ...]:
        """The items that have a pixel box (boxes and segments), in order."""
        return tuple(item for item in self.items if item.box is not None)

    def full_masks(self) -> npt.NDArray[np.bool_]:
        """One full-frame bool mask per segment: shape ``(len(segments), height, width)``.

        >>> from gemini_vision import spatial
        >>> spatial.parse("[]", (5, 3)).full_masks().shape
        (0, 3, 5)
        """
        return _full_masks(self.segments, self.image_size)

    def label_map(self) -> npt.NDArray[np.int32]:
        """An ``(height, width)`` int32 map: 0 is background, ``k`` is ``segments[k - 1]``.

        Where masks overlap the later segment wins (it is also drawn on top).

        >>> from gemini_vision import spatial
        >>> spatial.parse("[]", (2, 1)).label_map().tolist()
        [[0, 0]]
        """
        width, height = self.image_size
        segments = self.segments
        return masks.label_map(_masks_of(segments), _offsets_of(segments), (height, width))

    def to_coco(self, *, image_id: int = 1, file_name: str | None = None) -> dict[str, Any]:
        """COCO annotations of the items that have a box (SPEC S7).

        ``bbox`` is ``[x, y, width, height]`` of the pixel box; segments carry an
        RLE ``segmentation`` (compressed counts, as pycocotools writes them) and
        their mask's ``area``; boxes without a mask have the box's area and no
        segmentation. Categories are the labels, numbered from 1 in order of
        first appearance.

        >>> from gemini_vision import spatial
        >>> coco = spatial.parse('[{"box_2d": [0, 0, 1000, 1000], "label": "x"}]', (3, 2)).to_coco()
        >>> coco["annotations"][0]["area"], coco["categories"]
        (6, [{'id': 1, 'name': 'x'}])
        """
        width, height = self.image_size
        categories: dict[str, int] = {}
        annotations: list[dict[str, Any]] = []
        segments = self.segments
        # One call encodes every mask (the Rust backend spreads them over threads).
        rles = dict(
            zip(
                (item.index for item in segments),
                masks.rle_encode_many(_masks_of(segments), _offsets_of(segments), (height, width)),
                strict=True,
            )
        )
        for item in self.boxes:
            assert item.box is not None
            category = categories.setdefault(item.label, len(categories) + 1)
            x0, y0, _, _ = item.box
            annotation: dict[str, Any] = {
                "id": len(annotations) + 1,
                "image_id": image_id,
                "category_id": category,
                "bbox": [x0, y0, item.width, item.height],
                "area": item.area,
                "iscrowd": 0,
                "gemini_index": item.index,
            }
            if item.index in rles:
                annotation["segmentation"] = rles[item.index].to_coco()
            if item.confidence is not None:
                annotation["score"] = item.confidence
            annotations.append(annotation)
        image: dict[str, Any] = {"id": image_id, "width": width, "height": height}
        if file_name is not None:
            image["file_name"] = file_name
        return {
            "images": [image],
            "annotations": annotations,
            "categories": [{"id": i, "name": name} for name, i in categories.items()],
        }

    def to_supervision(self) -> Any:
        """A ``supervision.Detections`` of the boxed items (needs ``supervision``).

        ``class_id`` numbers the labels in order of first appearance, ``data["class_name"]``
        holds the labels; masks are full-frame and present only if every boxed item
        has one.

        Raises:
            ImportError: supervision is not installed (``pip install gemini-vision[supervision]``).
        """
        try:
            import supervision
        except ImportError as exc:
            raise ImportError(
                "to_supervision() needs the supervision package: "
                "pip install 'gemini-vision[supervision]'"
            ) from exc
        boxes = self.boxes
        names: dict[str, int] = {}
        class_ids = [names.setdefault(item.label, len(names)) for item in boxes]
        xyxy = np.array([item.box for item in boxes], dtype=np.float32).reshape(-1, 4)
        mask = None
        if boxes and all(item.mask is not None for item in boxes):
            mask = _full_masks(boxes, self.image_size)
        confidence = None
        if boxes and all(item.confidence is not None for item in boxes):
            confidence = np.array([item.confidence for item in boxes], dtype=np.float32)
        return supervision.Detections(
            xyxy=xyxy,
            mask=mask,
            confidence=confidence,
            class_id=np.array(class_ids, dtype=np.int64),
            data={"class_name": np.array([item.label for item in boxes], dtype=object)},
        )

    def overlay(self, image: Any = None, **options: Any) -> Image.Image:
        """The image with masks, then box outlines, then labels drawn (SPEC S6).

        See ``gemini_vision.spatial.draw.overlay`` for ``image`` and the options.
        """
        from gemini_vision.spatial.draw import overlay

        return overlay(self, image, **options)

    def save(
        self,
        folder: str | Path,
        image: Any = None,
        *,
        file_name: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> list[Path]:
        """Write the overlay, one mask PNG per segment and COCO JSON as ``folder``.

        All or nothing: the folder is built beside ``folder`` and renamed into
        place when complete; ``folder`` must be missing, empty or an earlier
        output. ``file_name`` goes into the COCO image (default: the name of
        ``image`` when it is a path). See ``gemini_vision.spatial.files.save``.
        Returns the written paths.
        """
        from gemini_vision.spatial.files import save

        return save(self, folder, image, file_name=file_name, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: items (without arrays), diagnostics, flags.

        >>> from gemini_vision import spatial
        >>> spatial.parse("[]", (1, 1)).to_dict()["items"]
        []
        """
        return {
            "image_size": list(self.image_size),
            "truncated": self.truncated,
            "finish_reason": self.finish_reason,
            "source": self.source,
            "threshold": self.threshold,
            "items": [item.to_dict() for item in self.items],
            "diagnostics": [
                {"index": d.index, "action": d.action, "code": d.code, "message": d.message}
                for d in self.diagnostics
            ],
        }

    def to_json(self, **dumps: Any) -> str:
        """``to_dict()`` as JSON text (non-ASCII kept)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **dumps)

    def diagnostics_for(self, index: int) -> tuple[Diagnostic, ...]:
        """The diagnostics of the model's item ``index``."""
        return tuple(d for d in self.diagnostics if d.index == index)

    def __repr__(self) -> str:
        kinds: dict[str, int] = {}
        for item in self.items:
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in kinds.items()) or "no items"
        return (
            f"SpatialResult({summary}; {len(self.diagnostics)} diagnostics"
            f"{'; truncated' if self.truncated else ''}; image {self.image_size})"
        )


def _masks_of(items: tuple[SpatialItem, ...]) -> list[npt.NDArray[np.bool_]]:
    return [item.mask for item in items if item.mask is not None]


def _offsets_of(items: tuple[SpatialItem, ...]) -> list[tuple[int, int]]:
    return [(item.box[0], item.box[1]) for item in items if item.box is not None]


def _full_masks(
    items: tuple[SpatialItem, ...], image_size: tuple[int, int]
) -> npt.NDArray[np.bool_]:
    """Full frames of items that all have a box and a mask."""
    width, height = image_size
    return masks.full_masks(_masks_of(items), _offsets_of(items), (height, width))
