"""Pictures of an evaluation: PR curves, per-category bars, an error gallery.

:func:`pr_curves` and :func:`category_bars` draw with matplotlib (the
optional ``eval`` extra: ``pip install gemini-vision[eval]``); :func:`error_gallery`
draws with Pillow only: on each image, true positives in green, false positives
in red (with the label, a "?" when it mapped to no category) and missed ground
truths in amber, as outlines (boxes) or tinted masks (``iou_type="segm"``).

>>> import gemini_vision.evaluate.plots as plots
>>> plots.COLOURS["tp"], plots.COLOURS["fp"], plots.COLOURS["miss"]
((0, 170, 80), (220, 40, 40), (255, 170, 0))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from gemini_vision.errors import EvaluationError
from gemini_vision.evaluate.coco import CocoResult

__all__ = ["COLOURS", "category_bars", "error_gallery", "gallery_outcomes", "pr_curves"]

COLOURS = {"tp": (0, 170, 80), "fp": (220, 40, 40), "miss": (255, 170, 0)}


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise EvaluationError("charts need matplotlib: pip install 'gemini-vision[eval]'") from None
    return plt


def pr_curves(result: CocoResult, path: str | Path, ious: tuple[float, ...] = (0.5, 0.75)) -> Path:
    """Precision–recall curves as a PNG: the category mean at each IoU in ``ious`` (solid),
    and every category at the first one (thin).
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=100)
    names = result.category_names
    first = ious[0]
    for cat in result.params.catIds if result.params.useCats else []:
        rec, prec = result.pr_curve(cat, iou=first)
        if prec[0] > -1:
            ax.plot(rec, prec, linewidth=0.8, alpha=0.45, label=f"{names.get(cat, cat)} @{first:g}")
    for iou in ious:
        rec, prec = result.pr_curve(None, iou=iou)
        if prec[0] > -1:
            ax.plot(rec, prec, linewidth=2.4, label=f"mean @IoU {iou:g}")
    ax.set_xlim(0, 1.0)
    ax.set_ylim(-0.03, 1.05)  # curves at exactly 0 or 1 stay visible
    ax.set_xlabel("recall")
    ax.set_ylabel("interpolated precision")
    ax.set_title(f"Precision–recall ({result.params.iouType}), AP={result.stats[0]:.3f}")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    out = Path(path)
    fig.tight_layout()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out


def category_bars(result: CocoResult, path: str | Path) -> Path:
    """Per-category AP (IoU .50:.95) and AP50 as horizontal bars, best first, as a PNG."""
    plt = _pyplot()
    per = result.per_category()
    rows = [(result.category_names.get(c, str(c)), v["AP"], v["AP50"]) for c, v in per.items()]
    rows = [r for r in rows if r[1] > -1]
    rows.sort(key=lambda r: r[1])
    fig, ax = plt.subplots(figsize=(6.4, max(2.4, 0.42 * len(rows) + 1.2)), dpi=100)
    y = np.arange(len(rows))
    ax.barh(y - 0.2, [r[2] for r in rows], height=0.4, label="AP50", color="#9ecae1")
    ax.barh(y + 0.2, [r[1] for r in rows], height=0.4, label="AP .50:.95", color="#3182bd")
    for yi, (_, ap, ap50) in zip(y, rows, strict=True):
        ax.text(min(ap, 0.86) + 0.01, yi + 0.2, f"{ap:.3f}", va="center", fontsize=7)
        ax.text(min(ap50, 0.86) + 0.01, yi - 0.2, f"{ap50:.3f}", va="center", fontsize=7)
    ax.set_yticks(y, [r[0] for r in rows])
    ax.set_xlim(0, 1)
    ax.set_xlabel("average precision")
    ax.set_title(f"AP per category ({result.params.iouType})")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, axis="x", alpha=0.3)
    out = Path(path)
    fig.tight_layout()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out


def gallery_outcomes(result: CocoResult, iou: float = 0.5) -> dict[Any, dict[str, list[int]]]:
    """Per image: ``{"tp": [...], "fp": [...]}`` prediction rows and ``{"miss": [...]}``
    ground-truth rows at one IoU threshold, area "all" (ignored ones left out).

    >>> from gemini_vision.evaluate import coco
    >>> gt = {"images": [{"id": 1, "height": 20, "width": 20}],
    ...       "categories": [{"id": 1, "name": "a"}],
    ...       "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
    ...                        "bbox": [0, 0, 5, 5], "area": 25}]}
    >>> r = coco(gt, [{"image_id": 1, "category_id": 1, "bbox": [9, 9, 5, 5], "score": 1}])
    >>> gallery_outcomes(r)[1]
    {'tp': [], 'fp': [0], 'miss': [0]}
    """
    mt = result.matching
    if mt is None:
        raise EvaluationError("this CocoResult carries no matching")
    t = int(np.flatnonzero(np.isclose(mt.params.iouThrs, iou))[0])
    ids = mt.params.imgIds
    out: dict[Any, dict[str, list[int]]] = {i: {"tp": [], "fp": [], "miss": []} for i in ids}
    matched = mt.dt_matched[:, 0, t]
    counted = ~mt.dt_ignore[:, 0, t]
    hit_gt = set(mt.dt_gt[matched & counted, 0, t].tolist())
    for j in np.flatnonzero(counted).tolist():
        kind = "tp" if matched[j] else "fp"
        out[ids[mt.dt_img[j]]][kind].append(int(mt.dt_rows[j]))
    for g in np.flatnonzero(~mt.gt_ignore[:, 0]).tolist():
        if g not in hit_gt:
            out[ids[mt.gt_img[g]]]["miss"].append(int(mt.gt_rows[g]))
    return out


def _font(size: int = 13) -> Any:
    """A TrueType font with Cyrillic, Greek and Hebrew (DejaVu Sans, from matplotlib or
    the system) so that labels in any of them are legible; Pillow's default otherwise."""
    from PIL import ImageFont

    candidates = []
    try:
        import matplotlib

        candidates.append(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")
    except ImportError:
        pass
    candidates.append(Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"))
    for path in candidates:
        if path.is_file():
            try:
                return ImageFont.truetype(str(path), size)
            except OSError:
                continue
    return ImageFont.load_default()


def _visual(text: str) -> str:
    """Right-to-left words (Hebrew, Arabic) in display order, for Pillow without raqm."""
    import unicodedata

    if any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text):
        words = text.split(" ")
        return " ".join(
            w[::-1] if any(unicodedata.bidirectional(c) in ("R", "AL") for c in w) else w
            for w in words
        )
    return text


def _tint(image: Any, mask: np.ndarray, colour: tuple[int, int, int]) -> Any:
    from PIL import Image

    layer = Image.new("RGBA", image.size, (*colour, 0))
    alpha = Image.fromarray((mask * 110).astype(np.uint8), "L")
    layer.putalpha(alpha)
    return Image.alpha_composite(image, layer)


def _answer_rank(score: float) -> int:
    """The 1-based place in the answer of an item scored ``1 / (1 + index)``."""
    return round(1.0 / score) if score > 0 else 0


def error_gallery(
    result: CocoResult,
    images: Mapping[Any, Any] | Callable[[Any], Any],
    out_dir: str | Path,
    iou: float = 0.5,
) -> list[Path]:
    """One PNG per image: TP green, FP red, misses amber; returns the files written.

    ``images`` maps an image id to a path or a PIL image (or is a function doing so);
    images it lacks are skipped.
    """
    from PIL import Image, ImageDraw

    from gemini_vision.evaluate.data import masks_of

    gt, dt = result.ground_truth, result.predictions
    if gt is None or dt is None:
        raise EvaluationError("this CocoResult carries no inputs to draw")
    segm = result.params.iouType == "segm"
    names = result.category_names
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for image_id, rows in gallery_outcomes(result, iou).items():
        src = images(image_id) if callable(images) else images.get(image_id)
        if src is None:
            continue
        base = (src if isinstance(src, Image.Image) else Image.open(src)).convert("RGBA")
        shapes: list[tuple[str, list[float], Any, str]] = []
        for kind, side in (("miss", gt), ("fp", dt), ("tp", dt)):
            for r in rows[kind]:
                cat = side.category_id[r]
                label = names.get(cat, str(cat))
                if kind != "miss":
                    given = dt.score_given is None or bool(dt.score_given[r])
                    label += f" {dt.score[r]:.2f}" if given else f" #{_answer_rank(dt.score[r])}"
                seg = side.segmentation[r] if segm else None
                shapes.append((kind, side.bbox[r].tolist(), seg, label))
        for u in dt.unmapped_items:
            if u["image_id"] == image_id:
                shapes.append(("fp", list(u["bbox"]), None, f"{u['label']}?"))
        if segm:
            for kind, _, seg, _ in shapes:
                if seg is not None:
                    m = masks_of([seg], [image_id], gt)
                    h, w = m.sizes[0].tolist()
                    c = np.ascontiguousarray(m.counts)
                    from gemini_vision._backend import kernels

                    frame = kernels.rle_decode(c, h, w)
                    if frame.shape == (base.size[1], base.size[0]):
                        base = _tint(base, frame, COLOURS[kind])
        draw = ImageDraw.Draw(base)
        font = _font()
        n_fp = sum(1 for kind, *_ in shapes if kind == "fp")
        for kind, (x, y, w, h), _, label in shapes:
            colour = COLOURS[kind]
            draw.rectangle((x, y, x + max(w, 1) - 1, y + max(h, 1) - 1), outline=colour, width=3)
            tx, ty = x + 3, max(y - 17, 0) if kind != "miss" else y + max(h, 1) + 2
            text = _visual(f"{'missed ' if kind == 'miss' else ''}{label}")
            box = draw.textbbox((tx, ty), text, font=font)
            draw.rectangle(box, fill=(0, 0, 0))
            draw.text((tx, ty), text, fill=colour, font=font)
        legend = f"IoU >= {iou:g}: TP {len(rows['tp'])} green, FP {n_fp} red, "
        legend += f"missed {len(rows['miss'])} amber"
        lb = draw.textbbox((6, 6), legend, font=font)
        draw.rectangle((lb[0] - 3, lb[1] - 3, lb[2] + 3, lb[3] + 3), fill=(0, 0, 0))
        draw.text((6, 6), legend, fill=(255, 255, 255), font=font)
        path = folder / f"errors_{image_id}.png"
        base.convert("RGB").save(path)
        written.append(path)
    return written
