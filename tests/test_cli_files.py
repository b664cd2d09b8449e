"""The ``emulator`` subcommand and the progress bar."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import urllib.request

from gemini_vision.cli_files import ProgressBar


def test_progress_bar_redraws_on_a_terminal() -> None:
    """The interactive bar redraws one line and ends it at 100 %."""
    stream = io.StringIO()
    bar = ProgressBar("up", 4, stream=stream, interactive=True, width=4)
    bar.update(2)
    bar.update(4)
    assert stream.getvalue() == "\rup [##--]  50% 2/4\rup [####] 100% 4/4\n"


def test_emulator_command_serves_until_interrupted() -> None:
    """`gemini-vision emulator` prints its URL, answers requests and stops on Ctrl-C."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gemini_vision", "emulator", "--port", "0", "--api-key", "k"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        base_url = first.rsplit(" ", 1)[-1].strip()
        assert base_url.startswith("http://127.0.0.1:")
        request = urllib.request.Request(
            f"{base_url}/v1beta/files", headers={"x-goog-api-key": "k"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read()) == {}
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
