"""Referring, pointing, score-less and label metrics against straightforward computations."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gemini_vision import evaluate
from gemini_vision.errors import EvaluationError
from tests.evaluate.strategies import coco_sets, reference

box = st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(1, 15), st.integers(1, 15)).map(
    lambda b: (b[0], b[1], b[0] + b[2], b[1] + b[3])
)


def _pixels(b: tuple[int, int, int, int]) -> set[tuple[int, int]]:
    return {(x, y) for x in range(b[0], b[2]) for y in range(b[1], b[3])}


@given(st.lists(st.tuples(st.none() | box, box), max_size=12), st.sampled_from([0.3, 0.5, 0.7]))
def test_referring_boxes_by_counting_pixels(pairs: list[Any], thr: float) -> None:
    """Integer boxes: IoU by counting the unit squares they cover."""
    pred = [p for p, _ in pairs]
    gt = [g for _, g in pairs]
    ious = []
    for p, g in pairs:
        if p is None:
            ious.append(0.0)
            continue
        a, b = _pixels(p), _pixels(g)
        ious.append(len(a & b) / len(a | b))
    r = evaluate.referring_boxes(pred, gt, threshold=thr)
    assert r["n"] == len(pairs)
    np.testing.assert_allclose(r["ious"], ious, rtol=0, atol=1e-12)
    assert r["accuracy"] == (sum(i >= thr for i in ious) / len(ious) if ious else 0.0)


masks = st.integers(2, 8).flatmap(
    lambda n: st.lists(
        st.tuples(
            st.none() | st.lists(st.booleans(), min_size=n * n, max_size=n * n),
            st.lists(st.booleans(), min_size=n * n, max_size=n * n),
        ),
        min_size=1,
        max_size=6,
    ).map(lambda ps: (n, ps))
)


@given(masks)
def test_referring_masks_by_counting(data: Any) -> None:
    n, pairs = data
    pred, gt = [], []
    inter = union = 0
    per = []
    for p, g in pairs:
        gm = np.array(g, bool).reshape(n, n)
        gt.append(gm)
        if p is None:
            pred.append(None)
            u = sum(g)
            union += u
            per.append(0.0)
            continue
        pm = np.array(p, bool).reshape(n, n)
        pred.append(pm)
        i = sum(a and b for a, b in zip(p, g, strict=True))
        u = sum(a or b for a, b in zip(p, g, strict=True))
        inter += i
        union += u
        per.append(i / u if u else 1.0)
    r = evaluate.referring_masks(pred, gt)
    assert r["mean_iou"] == pytest.approx(sum(per) / len(per), abs=1e-12)
    assert r["cumulative_iou"] == pytest.approx(inter / union if union else 0.0, abs=1e-12)
    assert r["precision_at"][0.5] == pytest.approx(sum(v >= 0.5 for v in per) / len(per))


def test_referring_masks_accept_rle() -> None:
    from gemini_vision import masks

    a = np.zeros((3, 4), bool)
    a[1:, 1:3] = True
    rle = masks.rle_encode(a, (0, 0), (3, 4))
    r = evaluate.referring_masks([rle.to_coco(), rle], [a, a])
    assert r["mean_iou"] == 1.0


@given(
    st.lists(
        st.tuples(st.none() | st.tuples(st.floats(-2, 12), st.floats(-2, 12)), box), max_size=10
    )
)
def test_point_accuracy_in_boxes_and_masks(pairs: list[Any]) -> None:
    points = [p for p, _ in pairs]
    boxes = [b for _, b in pairs]
    frames = []
    hits = 0
    for p, b in pairs:
        m = np.zeros((50, 50), bool)
        m[b[1] : b[3], b[0] : b[2]] = True
        frames.append(m)
        if p is not None:
            px, py = int(np.floor(p[0])), int(np.floor(p[1]))
            hits += b[0] <= px < b[2] and b[1] <= py < b[3]
    expected = hits / len(pairs) if pairs else 0.0
    assert evaluate.point_accuracy(points, boxes) == pytest.approx(expected)
    assert evaluate.point_accuracy(points, frames) == pytest.approx(expected)


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(EvaluationError):
        evaluate.referring_boxes([(0, 0, 1, 1)], [])
    with pytest.raises(EvaluationError):
        evaluate.point_accuracy([(0, 0)], [])


@settings(max_examples=50)
@given(data=coco_sets("bbox"))
def test_prf_counts_equal_pycocotools_eval_imgs(data: Any) -> None:
    """TP/FP/FN at each IoU threshold from pycocotools' own per-image matches (area all)."""
    gt, dt = data
    ref = reference(gt, dt, "bbox")
    tp = np.zeros(10, int)
    fp = np.zeros(10, int)
    n_pos = 0
    for e in ref.evalImgs:
        if e is None or e["aRng"] != ref.params.areaRng[0]:
            continue
        dtm, dtig = np.asarray(e["dtMatches"]), np.asarray(e["dtIgnore"]).astype(bool)
        tp += ((dtm > 0) & ~dtig).sum(axis=1)
        fp += ((dtm == 0) & ~dtig).sum(axis=1)
        n_pos += int((np.asarray(e["gtIgnore"]) == 0).sum())
    m = evaluate.prf(gt, dt)
    np.testing.assert_array_equal(m.tp, tp)
    np.testing.assert_array_equal(m.fp, fp)
    np.testing.assert_array_equal(m.fn, n_pos - tp)


def test_unmapped_labels_count_as_false_positives() -> None:
    from gemini_vision.spatial import SpatialItem, SpatialResult

    gt = {
        "images": [{"id": 1, "height": 10, "width": 10}],
        "categories": [{"id": 1, "name": "traffic_light"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 4], "area": 16}
        ],
    }
    items = (
        SpatialItem(index=0, kind="box", label="Traffic light", box=(0, 0, 4, 4)),
        SpatialItem(index=1, kind="box", label="lamp", box=(5, 5, 9, 9)),
        SpatialItem(index=2, kind="box", label="lamp", box=(6, 6, 9, 9)),
        SpatialItem(index=3, kind="point", label="lamp", point=(1, 1)),
    )
    answers = {1: SpatialResult(items=items, diagnostics=(), image_size=(10, 10))}
    labels = evaluate.LabelMap({1: "traffic_light"})
    r = evaluate.coco(gt, answers, labels=labels)
    assert labels.unmapped.most_common() == [("lamp", 2)]
    m = evaluate.prf(r)
    assert (m.tp[0], m.fp[0], m.fn[0], m.unmapped) == (1, 2, 0, 2)
    assert m.precision[0] == pytest.approx(1 / 3)


def test_label_map_rules() -> None:
    lm = evaluate.LabelMap(
        [{"id": 1, "name": "dining table"}, {"id": 2, "name": "person"}],
        synonyms={"human": 2},
        prompt={"the table": "dining table", "people": 2},
    )
    assert lm.category("Dining-Table") == 1
    assert lm.category("HUMAN") == 2
    assert lm.category("a wooden table") == 1  # contains one prompt phrase
    assert lm.category("people") == 2
    assert lm.category("table or people") is None  # two phrases: ambiguous
    assert lm.unmapped == {"table or people": 1}
    with pytest.raises(EvaluationError):
        evaluate.LabelMap({1: "a"}, synonyms={"b": "no such category"})


def test_compare_is_seeded_and_paired() -> None:
    from gemini_vision.evaluate.synthetic import synthetic_coco

    gt, dt = synthetic_coco(n_images=30, seed=2, with_masks=False)
    a = evaluate.coco(gt, dt)
    worse = [d for i, d in enumerate(dt) if i % 3]
    b = evaluate.coco(gt, worse)
    c1 = evaluate.compare(a, b, n_boot=60, seed=4)
    c2 = evaluate.compare(a, b, n_boot=60, seed=4)
    assert c1.rows == c2.rows
    ap = c1.rows["AP"]
    assert ap["difference"] == pytest.approx(b.stats[0] - a.stats[0])
    assert ap["low"] <= ap["high"]
    same = evaluate.compare(a, a, n_boot=20, seed=1)
    assert all(r["low"] == r["high"] == r["difference"] == 0 for r in same.rows.values())
