"""``gemini-vision demo`` and ``render`` (SPEC C1, C2), and the shipped sample."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gemini_vision import cli, spatial

ROOT = Path(__file__).resolve().parents[2]
DATA = resources.files("gemini_vision") / "data"


def test_demo_writes_overlay_masks_and_coco(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Offline: four segments from the recorded answer, files written, table and tokens printed."""
    out = tmp_path / "demo"
    assert cli.main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    for label in ("sun", "house", "ёлка", "כדור"):
        assert label in printed
    assert "image tokens, 640x480: " in printed and "(gemini-2.5-flash default)" in printed
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "overlay.png",
            "sun_0_mask.png",
            "house_1_mask.png",
            "ёлка_2_mask.png",
            "כדור_3_mask.png",
            "coco.json",
            "result.json",
        ]
    )
    with Image.open(out / "overlay.png") as overlay:
        assert overlay.size == (640, 480)
    coco = json.loads((out / "coco.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in coco["categories"]] == ["sun", "house", "ёлка", "כדור"]
    assert all(a["area"] > 0 for a in coco["annotations"])


def test_render_reads_a_response_json_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """render --response accepts a whole generateContent response and notes MAX_TOKENS."""
    answer = (DATA / "demo_answer.txt").read_text(encoding="utf-8")
    response = {
        "candidates": [{"content": {"parts": [{"text": answer}]}, "finishReason": "MAX_TOKENS"}]
    }
    response_file = tmp_path / "response.json"
    response_file.write_text(json.dumps(response), encoding="utf-8")
    image = tmp_path / "scene.png"
    image.write_bytes((DATA / "demo_scene.png").read_bytes())
    code = cli.main(
        [
            "render",
            "--image",
            str(image),
            "--response",
            str(response_file),
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "MAX_TOKENS" in printed
    assert (tmp_path / "o" / "coco.json").is_file()


def test_render_reports_a_missing_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing image is one error line and exit code 3 (bad input)."""
    code = cli.main(
        [
            "render",
            "--image",
            str(tmp_path / "nope.png"),
            "--response",
            str(tmp_path / "r"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gemini-vision: error: cannot read the image")


def test_render_function_returns_the_result_and_files(tmp_path: Path) -> None:
    """spatial.render (used by detect/segment) returns what it parsed and wrote."""
    with resources.as_file(DATA / "demo_scene.png") as image:
        report = spatial.render(
            image, (DATA / "demo_answer.txt").read_text(encoding="utf-8"), tmp_path
        )
    assert [item.label for item in report.result.items] == ["sun", "house", "ёлка", "כדור"]
    assert all(item.kind == "segment" for item in report.result.items)
    assert {p.name for p in report.files} == {p.name for p in tmp_path.iterdir()}
    assert "כדור" in report.table()


def test_shipped_sample_is_what_the_generator_makes(tmp_path: Path) -> None:
    """scripts/make_demo_sample.py regenerates the shipped scene and answer (same pixels)."""
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_demo_sample.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    with (
        Image.open(tmp_path / "demo_scene.png") as new,
        Image.open(io.BytesIO((DATA / "demo_scene.png").read_bytes())) as old,
    ):
        np.testing.assert_array_equal(np.array(new), np.array(old))
    new_items = spatial.parse(
        (tmp_path / "demo_answer.txt").read_text(encoding="utf-8"), (640, 480)
    ).items
    old_items = spatial.parse(
        (DATA / "demo_answer.txt").read_text(encoding="utf-8"), (640, 480)
    ).items
    assert [(i.label, i.box) for i in new_items] == [(i.label, i.box) for i in old_items]
    for a, b in zip(new_items, old_items, strict=True):
        np.testing.assert_array_equal(a.probabilities, b.probabilities)
    # The masks are soft probability maps, as the model sends them.
    first = json.loads(
        (DATA / "demo_answer.txt").read_text(encoding="utf-8").split("```json")[1].split("```")[0]
    )[0]
    png = base64.b64decode(first["mask"].split(",", 1)[1])
    values = np.unique(np.array(Image.open(io.BytesIO(png))))
    assert len(values) > 10


def test_render_uses_the_displayed_orientation(tmp_path: Path) -> None:
    """A JPEG stored 40x20 with EXIF orientation 6 is displayed 20x40: boxes use that size."""
    image = Image.new("RGB", (40, 20), (200, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    image.save(path, exif=exif)
    report = spatial.render(path, '[{"box_2d": [0, 0, 500, 1000], "label": "top"}]', tmp_path / "o")
    assert report.result.image_size == (20, 40)
    assert report.result.items[0].box == (0, 0, 20, 20)
    with Image.open(tmp_path / "o" / "overlay.png") as overlay:
        assert overlay.size == (20, 40)
