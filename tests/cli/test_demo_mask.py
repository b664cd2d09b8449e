"""The shipped sample mask and the ``demo`` command's mask steps (SPEC C1, S5)."""

from __future__ import annotations

import importlib.util
import io
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gemini_vision import cli, masks

SAMPLE = resources.files("gemini_vision").joinpath("data/sample_mask.png").read_bytes()


def test_sample_is_what_the_script_makes() -> None:
    """The committed PNG holds exactly the probability map scripts/make_sample_mask.py computes."""
    path = Path(__file__).resolve().parents[2] / "scripts" / "make_sample_mask.py"
    spec = importlib.util.spec_from_file_location("make_sample_mask", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    np.testing.assert_array_equal(masks.decode_png(SAMPLE), module.probability_map())


def test_demo_prints_size_and_area_computed_by_pillow(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The demo's mask area is Pillow's convert("L") -> BILINEAR resize -> > 127 count."""
    with Image.open(io.BytesIO(SAMPLE)) as im:
        grey = im.convert("L")
        width, height = cli.DEMO_BOX
        resized = np.asarray(grey.resize((width, height), Image.Resampling.BILINEAR))
        expected_area = int((resized > 127).sum())
        sample_size = f"{grey.width}x{grey.height}"
    assert cli.main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"sample mask: {sample_size} grey PNG" in out
    assert f"mask area {expected_area} px" in out
