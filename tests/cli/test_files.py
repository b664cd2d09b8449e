"""The ``upload``, ``tune`` and ``emulator`` subcommands, against a running emulator."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gemini_vision import cli
from gemini_vision.cli.files import ProgressBar
from gemini_vision.testing import Emulator


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    with Emulator(file_processing_polls=1, tuning_polls=2) as running:
        monkeypatch.setenv("GEMINI_API_KEY", running.api_key or "")
        yield running


def test_upload_prints_the_active_file_and_shows_progress(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """upload FILE sends the bytes, waits for ACTIVE and prints the File as JSON."""
    path = tmp_path / "clip.bin"
    path.write_bytes(os.urandom(3000))
    code = cli.main(
        ["upload", str(path), "--mime-type", "application/octet-stream",
         "--base-url", emulator.base_url]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0
    printed = json.loads(out)
    assert printed["state"] == "ACTIVE" and printed["displayName"] == "clip.bin"
    assert emulator.file_bytes(printed["name"]) == path.read_bytes()
    assert "upload clip.bin 100% 3000/3000" in err


def test_tune_follows_the_operation_to_the_model(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """tune EXAMPLES creates the model, shows tuning progress and prints the model."""
    examples = tmp_path / "examples.jsonl"
    examples.write_text(
        "\n".join(json.dumps({"text_input": str(i), "output": str(i + 1)}) for i in range(6))
    )
    code = cli.main(
        ["tune", str(examples), "--base-model", "models/gemini-1.5-flash-001", "--id", "counter",
         "--base-url", emulator.base_url]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["name"] == "tunedModels/counter"
    assert "tuning 100%" in err and "loss" in err


def test_tune_reports_a_bad_examples_line(
    emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed JSON line names the file and line number; bad input is exit code 3."""
    examples = tmp_path / "bad.jsonl"
    examples.write_text('{"text_input": "a", "output": "b"}\n{"text_input": "x"}\n')
    code = cli.main(
        ["tune", str(examples), "--base-model", "models/m", "--base-url", emulator.base_url]
    )
    assert code == 3
    assert "bad.jsonl:2: expected" in capsys.readouterr().err


def test_progress_bar_redraws_on_a_terminal() -> None:
    """The interactive bar redraws one line and ends it at 100 %."""
    stream = io.StringIO()
    bar = ProgressBar("up", 4, stream=stream, interactive=True, width=4)
    bar.update(2)
    bar.update(4)
    assert stream.getvalue() == "\rup [##--]  50% 2/4\rup [####] 100% 4/4\n"


def _serve_then_interrupt(
    args: list[str], base_url_of: Callable[[str], str], stop: int = signal.SIGINT
) -> None:
    """Start ``gemini-vision ARGS``, read the base URL from its first line, list the
    files through it, then Ctrl-C it (or send ``stop``): it must exit 0."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gemini_vision", *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        base_url = base_url_of(process.stdout.readline())
        assert base_url.startswith("http://127.0.0.1:")
        request = urllib.request.Request(
            f"{base_url}/v1beta/files", headers={"x-goog-api-key": "k"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read()) == {}
        # At once: the command catches signals before it prints its URL.
        process.send_signal(stop)
        # Generous for a loaded machine; it takes well under a second.
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_emulator_command_serves_until_interrupted(stop: int) -> None:
    """`gemini-vision emulator` prints its URL, answers requests and stops on Ctrl-C or SIGTERM."""
    _serve_then_interrupt(
        ["emulator", "--port", "0", "--api-key", "k"],
        lambda line: line.rsplit(" ", 1)[-1].strip(),
        stop,
    )


def test_emulator_json_prints_one_line_then_serves() -> None:
    """With --json the emulator's first line is a JSON document: its base URL and key."""

    def base_url_of(line: str) -> str:
        first = json.loads(line)
        assert first["api_key"] == "k"
        return str(first["base_url"])

    _serve_then_interrupt(["--json", "emulator", "--api-key", "k"], base_url_of)
