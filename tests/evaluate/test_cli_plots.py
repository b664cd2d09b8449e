"""``gemini-vision eval`` end to end on the demo sample; charts and the gallery are real PNGs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gemini_vision.cli import main
from tests.evaluate.strategies import reference

pytest.importorskip("matplotlib")


def test_demo_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "eval"
    assert main(["eval", "--demo", "--iou-type", "segm", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]" in text
    assert "TP 4, FP 0, FN 0" in text
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["per_category"]) == {"sun", "house", "tree", "ball"}
    for name in ("pr_curves.png", "categories.png", "gallery/errors_1.png"):
        with Image.open(out / name) as im:
            assert im.format == "PNG" and im.size[0] >= 300
    with Image.open(out / "gallery/errors_1.png") as im:
        assert im.size == (640, 480)
        pixels = np.asarray(im.convert("RGB")).reshape(-1, 3)
    green = (pixels == (0, 170, 80)).all(axis=1).sum()
    assert green > 500  # four true positives outlined


def test_demo_without_synonyms_lists_unmapped_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "syn.json"
    empty.write_text("{}")
    out = tmp_path / "eval"
    args = ["eval", "--demo", "--synonyms", str(empty), "--out", str(out)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "TP 2, FP 2, FN 2" in text
    assert "'ёлка' x1" in text and "'כדור' x1" in text
    with Image.open(out / "gallery/errors_1.png") as im:
        pixels = np.asarray(im.convert("RGB")).reshape(-1, 3)
    assert (pixels == (220, 40, 40)).all(axis=1).sum() > 300  # the two unmapped items, red
    assert (pixels == (255, 170, 0)).all(axis=1).sum() > 300  # the two misses, amber


def test_cli_stats_equal_pycocotools(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's parsed answer as COCO results: the CLI's stats are pycocotools'."""
    from importlib import resources

    from gemini_vision import evaluate
    from gemini_vision.spatial import parse

    data = resources.files("gemini_vision") / "data"
    gt = json.loads((data / "demo_ground_truth.json").read_text())
    syn = json.loads((data / "demo_synonyms.json").read_text())
    answer = parse((data / "demo_answer.txt").read_text(), (640, 480))
    labels = evaluate.LabelMap({c["id"]: c["name"] for c in gt["categories"]}, synonyms=syn)
    result = evaluate.coco(gt, {1: answer}, "segm", labels=labels)
    preds = result.predictions
    assert preds is not None
    results = [
        {
            "image_id": preds.image_id[i],
            "category_id": preds.category_id[i],
            "bbox": preds.bbox[i].tolist(),
            "score": float(preds.score[i]),
            "segmentation": preds.segmentation[i],
        }
        for i in range(len(preds.score))
    ]
    ref = reference(gt, results, "segm")
    np.testing.assert_array_equal(result.stats, ref.stats)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    gt_path = tmp_path / "gt.json"
    gt_path.write_text(json.dumps(gt))
    assert main(["eval", "-g", str(gt_path), "-p", str(path), "--iou-type", "segm"]) == 0
    assert f"= {ref.stats[0]:0.3f}" in capsys.readouterr().out


def test_compare_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gemini_vision.evaluate.synthetic import synthetic_coco

    gt, dt = synthetic_coco(n_images=12, seed=9, with_masks=False)
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "a.json").write_text(json.dumps(dt))
    (tmp_path / "b.json").write_text(json.dumps(dt[::2]))
    args = ["eval", "-g", str(tmp_path / "gt.json"), "-p", str(tmp_path / "a.json")]
    args += ["--compare", str(tmp_path / "b.json"), "--n-boot", "30"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "paired bootstrap, 30 draws, seed 0" in out and "AP50" in out


def test_bad_usage_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval"]) == 2
    assert "give --ground-truth" in capsys.readouterr().err


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--demo", "--json", "--out", str(tmp_path / "o")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["predictions"] == 4 and doc["at_iou_0.5"]["tp"] == 4
    assert len(doc["files"]) == 4
