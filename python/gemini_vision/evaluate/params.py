"""The evaluation parameters, named and defaulted as pycocotools' ``Params``.

>>> p = Params()
>>> p.maxDets, p.areaRngLbl, len(p.iouThrs), len(p.recThrs)
([1, 10, 100], ['all', 'small', 'medium', 'large'], 10, 101)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from gemini_vision.errors import EvaluationError

__all__ = ["IouType", "Params"]

IouType = Literal["bbox", "segm"]


def _iou_thrs() -> npt.NDArray[np.float64]:
    # The same linspace as pycocotools, so that 0.5 and 0.75 compare equal to its values.
    return np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1, endpoint=True)


def _rec_thrs() -> npt.NDArray[np.float64]:
    return np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)


@dataclass
class Params:
    """What to evaluate: pycocotools' attribute names and defaults.

    ``imgIds`` and ``catIds`` empty mean "every image / category of the ground
    truth" (filled in by :func:`gemini_vision.evaluate.coco`); ``useCats=False``
    pools the categories in ``catIds`` into one, as pycocotools does for proposals.
    (pycocotools then fills its tables only when ``catIds`` also holds -1, and
    gathers nothing for -1 itself: pass ``catIds=[-1, *ids]`` to compare with it;
    here -1 is not needed.)

    >>> Params(maxDets=[100, 1]).normalized().maxDets
    [1, 100]
    """

    iouType: IouType = "bbox"
    imgIds: list[Any] = field(default_factory=list)
    catIds: list[Any] = field(default_factory=list)
    iouThrs: npt.NDArray[np.float64] = field(default_factory=_iou_thrs)
    recThrs: npt.NDArray[np.float64] = field(default_factory=_rec_thrs)
    maxDets: list[int] = field(default_factory=lambda: [1, 10, 100])
    areaRng: list[list[float]] = field(
        default_factory=lambda: [
            [0**2, 1e5**2],
            [0**2, 32**2],
            [32**2, 96**2],
            [96**2, 1e5**2],
        ]
    )
    areaRngLbl: list[str] = field(default_factory=lambda: ["all", "small", "medium", "large"])
    useCats: bool = True

    def normalized(self) -> Params:
        """A checked copy, sorted and deduplicated as pycocotools' ``evaluate`` does."""
        if self.iouType not in ("bbox", "segm"):
            raise EvaluationError(f"iouType must be 'bbox' or 'segm', got {self.iouType!r}")
        iou = np.asarray(self.iouThrs, dtype=np.float64).reshape(-1)
        rec = np.asarray(self.recThrs, dtype=np.float64).reshape(-1)
        if iou.size == 0 or not np.all(np.isfinite(iou)):
            raise EvaluationError("iouThrs must be finite numbers, at least one")
        if rec.size == 0 or not np.all(np.isfinite(rec)):
            raise EvaluationError("recThrs must be finite numbers, at least one")
        try:
            max_dets = sorted(int(m) for m in self.maxDets)
        except (TypeError, ValueError):
            raise EvaluationError(f"maxDets must be integers, got {self.maxDets!r}") from None
        if not max_dets or max_dets[0] < 0:
            raise EvaluationError("maxDets must hold at least one integer >= 0")
        rng = np.asarray(self.areaRng, dtype=np.float64)
        if rng.ndim != 2 or rng.shape[1] != 2 or rng.shape[0] == 0:
            raise EvaluationError("areaRng must be a list of [low, high] pairs")
        if len(self.areaRngLbl) != rng.shape[0]:
            raise EvaluationError("areaRngLbl must have one label per areaRng")
        img_ids = list(np.unique(self.imgIds)) if len(self.imgIds) else []
        cat_ids = list(np.unique(self.catIds)) if len(self.catIds) else []
        return Params(
            iouType=self.iouType,
            imgIds=[_py(i) for i in img_ids],
            catIds=[_py(c) for c in cat_ids],
            iouThrs=iou,
            recThrs=rec,
            maxDets=max_dets,
            areaRng=rng.tolist(),
            areaRngLbl=list(self.areaRngLbl),
            useCats=bool(self.useCats),
        )


def _py(value: Any) -> Any:
    """A NumPy scalar as the Python value it holds (ids are compared with ``in``)."""
    return value.item() if isinstance(value, np.generic) else value
