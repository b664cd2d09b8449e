"""The tokens, detect and segment subcommands (C3, C4)."""

from __future__ import annotations

import json
import pathlib

import pytest

from gemini_vision.cli import main
from gemini_vision.tokens import image_tokens
from tests.image_samples import encode, exif_with_orientation, gradient
from tests.loopback_server import LoopbackServer, Reply


def _files(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    rotated = tmp_path / "rotated.jpg"
    rotated.write_bytes(encode(gradient(960, 540), "JPEG", exif=exif_with_orientation(6)))
    small = tmp_path / "small.webp"
    small.write_bytes(encode(gradient(300, 200), "WEBP", lossless=True))
    return rotated, small


def test_tokens_prints_every_rule_per_image_and_the_totals(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each row has the header sizes and each rule's tokens; the total row adds them up."""
    rotated, small = _files(tmp_path)
    assert main(["tokens", str(rotated), str(small), "--model", "gemini-2.0-flash"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split()
    assert header[:5] == ["image", "type", "stored", "display", "orient."]
    documented = header.index("documented")
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    first = rows[str(rotated)]
    assert first[1:5] == ["image/jpeg", "960x540", "540x960", "6"]
    assert int(first[documented]) == image_tokens(540, 960, rule="documented") == 1548
    total = rows["total"]
    expected = image_tokens(540, 960, rule="documented") + image_tokens(300, 200, rule="documented")
    assert int(total[documented - 4]) == expected  # the total row has no type/size cells


def test_tokens_reports_unreadable_images_and_fails(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A GIF or a missing file is reported on its row; the exit code is 1."""
    gif = tmp_path / "a.gif"
    gif.write_bytes(encode(gradient(4, 4), "GIF"))
    assert main(["tokens", str(gif), str(tmp_path / "missing.png")]) == 1
    out = capsys.readouterr().out
    assert "GIF (image/gif)" in out and "missing.png" in out


def test_detect_calls_the_model_and_saves_the_answer(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """detect sends the upright image to --base-url, saves response.json and shows the items."""
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    rotated, _ = _files(tmp_path)
    items = '[{"box_2d": [100, 200, 500, 600], "label": "cat"}]'
    answer = {"candidates": [{"content": {"role": "model", "parts": [{"text": items}]}}]}
    out = tmp_path / "out"
    with LoopbackServer() as server:
        server.queue(Reply(200, json.dumps(answer).encode(), {"Content-Type": "application/json"}))
        code = main(["detect", str(rotated), "--base-url", server.url(""), "--out", str(out)])
        sent = json.loads(server.seen[0].body)
    assert code == 0
    assert json.loads((out / "response.json").read_text())["candidates"][0]["content"]["parts"]
    parts = sent["contents"][0]["parts"]
    assert parts[0]["inlineData"]["mimeType"] == "image/jpeg"
    assert "box_2d" in parts[1]["text"]
    assert sent["generationConfig"]["responseMimeType"] == "application/json"
    assert "cat" in capsys.readouterr().out


def test_detect_errors_are_one_line_with_meaningful_exit_codes(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key and no --base-url: exit 2; an API error: one line on stderr, exit 1."""
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    rotated, _ = _files(tmp_path)
    assert main(["segment", str(rotated)]) == 2
    assert "GEMINI_API_KEY" in capsys.readouterr().err
    denied = {"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "no access"}}
    with LoopbackServer() as server:
        server.queue(Reply(403, json.dumps(denied).encode()))
        code = main(
            ["segment", str(rotated), "--base-url", server.url(""), "--out", str(tmp_path / "s")]
        )
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err[-1].startswith("gemini-vision: error: HTTP 403 PERMISSION_DENIED: no access")
