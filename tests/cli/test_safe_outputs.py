"""Outputs never lose data: no clobbered inputs, failed runs keep the old output, kills
leave the old output or the new one, never a part (issue: pipelines never lose data)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PIL import Image

from gemini_vision import spatial
from gemini_vision.cli import main
from gemini_vision.errors import LocalError
from tests.batch_records import make_records

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _records(path: Path, count: int = 40) -> bytes:
    pq.write_table(pa.Table.from_pylist(list(make_records(count, items=2))), path)
    return path.read_bytes()


def test_batch_refuses_an_output_that_is_its_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same path, a path through ``..``, a symbolic link and a hard link: refused, exit 2,
    the input byte for byte as it was."""
    data = _records(tmp_path / "same.parquet")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link.parquet").symlink_to(tmp_path / "same.parquet")
    os.link(tmp_path / "same.parquet", tmp_path / "hard.parquet")
    for output in ("same.parquet", "sub/../same.parquet", "link.parquet", "hard.parquet"):
        code = main(["batch", str(tmp_path / "same.parquet"), str(tmp_path / output)])
        assert code == 2, output
        assert "is the input" in capsys.readouterr().err
        assert (tmp_path / "same.parquet").read_bytes() == data
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    "arguments",
    [["--threads", "0"], ["--batch-size", "0"], ["-t", "300"], ["--threshold", "-1"]],
)
def test_bad_arguments_leave_the_previous_output_alone(
    tmp_path: Path, arguments: list[str]
) -> None:
    """An argument error is found before the output is touched (exit 2, output unchanged)."""
    _records(tmp_path / "in.parquet")
    assert main(["batch", str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"), "-q"]) == 0
    before = (tmp_path / "out.parquet").read_bytes()
    with pytest.raises(SystemExit) as exit_info:
        main(["batch", str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"), *arguments])
    assert exit_info.value.code == 2
    assert (tmp_path / "out.parquet").read_bytes() == before


def test_a_failing_run_keeps_the_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that fails half way (the third batch raises) or cannot read its input leaves
    the old output byte for byte, and no temporary file behind."""
    from gemini_vision import batch

    _records(tmp_path / "in.parquet")
    assert main(["batch", str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"), "-q"]) == 0
    before = (tmp_path / "out.parquet").read_bytes()
    real = batch.process_arrow
    calls = []

    def failing(records, **options):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return real(records, **options)

    monkeypatch.setattr(batch, "process_arrow", failing)
    code = main(["batch", str(tmp_path / "in.parquet"), str(tmp_path / "out.parquet"), "-qn", "5"])
    assert code == 1 and len(calls) == 3
    code = main(["batch", str(tmp_path / "nope.parquet"), str(tmp_path / "out.parquet"), "-q"])
    assert code == 3
    (tmp_path / "text.parquet").write_text("not parquet")
    code = main(["batch", str(tmp_path / "text.parquet"), str(tmp_path / "out.parquet"), "-q"])
    assert code == 3
    assert (tmp_path / "out.parquet").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_render_refuses_folders_that_hold_inputs_or_other_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The output folder is replaced as a whole, so one that holds the image, the answer, or
    files gemini-vision did not write is refused (exit 2) and nothing in it changes."""
    Image.new("RGB", (40, 30)).save(tmp_path / "image.png")
    (tmp_path / "answer.txt").write_text('[{"box_2d": [0, 0, 500, 500], "label": "a"}]')
    holiday = tmp_path / "photos"
    holiday.mkdir()
    (holiday / "holiday.jpg").write_bytes(b"precious")
    image, answer = str(tmp_path / "image.png"), str(tmp_path / "answer.txt")
    for out in (tmp_path, holiday):
        assert main(["render", image, "-r", answer, "-o", str(out)]) == 2
        assert "gemini-vision: usage error:" in capsys.readouterr().err
    assert (holiday / "holiday.jpg").read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answer.txt", "image.png", "photos"]
    # An earlier output of render is replaced by the new one as a whole.
    assert main(["render", image, "-r", answer, "-o", str(tmp_path / "o")]) == 0
    (tmp_path / "answer.txt").write_text('[{"box_2d": [0, 0, 500, 500], "label": "b"}]')
    assert main(["render", image, "-r", answer, "-o", str(tmp_path / "o")]) == 0
    coco = json.loads((tmp_path / "o" / "coco.json").read_text())
    assert [c["name"] for c in coco["categories"]] == ["b"]
    assert coco["images"][0]["file_name"] == "image.png"


def test_a_failing_render_keeps_the_previous_folder(tmp_path: Path) -> None:
    """An overlay that fails half way (here: the image has another size) leaves the earlier
    output folder exactly as it was."""
    Image.new("RGB", (40, 30)).save(tmp_path / "image.png")
    result = spatial.parse('[{"box_2d": [0, 0, 500, 500], "label": "a"}]', (40, 30))
    out = tmp_path / "out"
    result.save(out, tmp_path / "image.png")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    other = spatial.parse('[{"box_2d": [0, 0, 500, 500], "label": "b"}]', (80, 60))
    with pytest.raises(LocalError):
        other.save(out, tmp_path / "image.png")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image.png", "out"]


def test_labels_with_lone_surrogates_are_saved_losslessly(tmp_path: Path) -> None:
    """A label "\\ud800" (a valid JSON escape) is written as that escape: save() succeeds,
    the files are UTF-8, and the label reads back the same."""
    answer = (
        '[{"box_2d": [0, 0, 500, 500], "label": "\\ud800 cat"}, '
        '{"point": [5, 5], "label": "\\udfff"}]'
    )
    result = spatial.parse(answer, (40, 30))
    assert result.items[0].label == "\ud800 cat"
    written = result.save(tmp_path / "out")
    saved = json.loads((tmp_path / "out" / "result.json").read_bytes().decode("utf-8"))
    assert [item["label"] for item in saved["items"]] == ["\ud800 cat", "\udfff"]
    coco = json.loads((tmp_path / "out" / "coco.json").read_bytes().decode("utf-8"))
    assert coco["categories"][0]["name"] == "\ud800 cat"
    assert all(path.is_file() for path in written)


def _wait_for(predicate, timeout: float = 60.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.002)
    return False


def _partials(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.endswith(".partial")]


@pytest.mark.parametrize("delay", [0.0, 0.3])
def test_sigkill_during_batch_leaves_the_old_or_the_new_output(
    tmp_path: Path, delay: float
) -> None:
    """Killed (SIGKILL) while writing, the output is the old table or the new one, whole."""
    _records(tmp_path / "old_in.parquet", 3)
    assert (
        main(["batch", str(tmp_path / "old_in.parquet"), str(tmp_path / "out.parquet"), "-q"]) == 0
    )
    old = (tmp_path / "out.parquet").read_bytes()
    _records(tmp_path / "in.parquet", 1500)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gemini_vision",
            "batch",
            str(tmp_path / "in.parquet"),
            str(tmp_path / "out.parquet"),
            "-q",
            "-n",
            "16",
            "-j",
            "1",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(lambda: bool(_partials(tmp_path)) or process.poll() is not None)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    # 1500 records take far longer than the wait: the kill lands mid-write.
    assert process.returncode == -signal.SIGKILL
    assert (tmp_path / "out.parquet").read_bytes() == old
    assert pq.read_table(tmp_path / "out.parquet").num_rows > 0
    # What the kill left is a hidden temporary file beside the output, never the output.
    assert all(p.name.startswith(".out.parquet.") for p in _partials(tmp_path))


SAVE_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from gemini_vision import spatial
    from tests.spatial.test_labels import crowded_answer
    text = crowded_answer(int(sys.argv[2]), seed=int(sys.argv[3]))
    spatial.parse(text, (1600, 1200)).save(sys.argv[1])
    """
)


def test_sigkill_during_save_leaves_the_old_or_the_new_folder(tmp_path: Path) -> None:
    """save() killed mid-write: the folder holds the earlier output or the new one, whole."""
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    small = subprocess.run(
        [sys.executable, "-c", SAVE_SCRIPT, str(out), "3", "1"], env=env, check=True
    )
    assert small.returncode == 0
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    process = subprocess.Popen([sys.executable, "-c", SAVE_SCRIPT, str(out), "120", "2"], env=env)
    try:
        assert _wait_for(lambda: bool(_partials(tmp_path)) or process.poll() is not None)
        # Let it write some of the new files into the temporary folder, then kill it.
        partial = _partials(tmp_path)
        if partial:
            _wait_for(lambda: len(list(partial[0].iterdir())) >= 5 or process.poll() is not None)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert {p.name: p.read_bytes() for p in out.iterdir()} == old
    # The next save still works: the leftover temporary folder is not in its way.
    done = subprocess.run([sys.executable, "-c", SAVE_SCRIPT, str(out), "4", "3"], env=env)
    assert done.returncode == 0 and len(list(out.iterdir())) == 4 + 3


def test_detect_keeps_the_paid_answer_when_the_render_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The model's answer is saved even if rendering it fails; the next run may replace it."""
    from tests.loopback_server import LoopbackServer, Reply

    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    Image.new("RGB", (64, 48)).save(tmp_path / "i.png")
    items = '[{"box_2d": [100, 200, 500, 600], "label": "cat"}]'
    answer = {"candidates": [{"content": {"role": "model", "parts": [{"text": items}]}}]}
    body = json.dumps(answer).encode()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    out = tmp_path / "o"
    with LoopbackServer() as server:
        server.queue(Reply(200, body, {"Content-Type": "application/json"}))
        with monkeypatch.context() as patch:
            patch.setattr(spatial, "render", broken)
            code = main(
                ["detect", str(tmp_path / "i.png"), "--base-url", server.url(""), "-o", str(out)]
            )
        assert code == 1
        assert "answer is saved" in capsys.readouterr().err
        assert json.loads((out / "response.json").read_text()) == answer
        server.queue(Reply(200, body, {"Content-Type": "application/json"}))
        code = main(
            ["detect", str(tmp_path / "i.png"), "--base-url", server.url(""), "-o", str(out)]
        )
    assert code == 0
    assert (out / "coco.json").is_file() and (out / "response.json").is_file()


def test_render_prints_lone_surrogates_as_escapes(tmp_path: Path) -> None:
    """The text table of a label "\\ud800 cat" is printed (escaped), not an error."""
    Image.new("RGB", (40, 30)).save(tmp_path / "i.png")
    (tmp_path / "a.txt").write_text('[{"box_2d": [0, 0, 500, 500], "label": "\\ud800 cat"}]')
    done = subprocess.run(
        [sys.executable, "-m", "gemini_vision", "render", str(tmp_path / "i.png"),
         "-r", str(tmp_path / "a.txt"), "-o", str(tmp_path / "o")],
        capture_output=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert b"\\ud800 cat" in done.stdout
    saved = json.loads((tmp_path / "o" / "result.json").read_text(encoding="utf-8"))
    assert saved["items"][0]["label"] == "\ud800 cat"
