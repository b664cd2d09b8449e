"""Every ``--json`` output is one JSON document of a declared shape; the command line
fits pipelines (closed stdout, exit codes, global flags anywhere)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from gemini_vision.cli import main
from tests.batch_records import make_records
from tests.loopback_server import LoopbackServer, Reply

jsonschema = pytest.importorskip("jsonschema")

INT = {"type": "integer"}
STR = {"type": "string"}
NUM_OR_NULL = {"type": ["number", "null"]}
STR_OR_NULL = {"type": ["string", "null"]}


def obj(required: dict[str, Any], **more: Any) -> dict[str, Any]:
    """An object schema with these required properties (others allowed)."""
    return {"type": "object", "required": list(required), "properties": required, **more}


DIAGNOSTIC = obj(
    {"index": {"type": ["integer", "null"]}, "action": STR, "code": STR, "message": STR}
)
ITEM = obj({"index": INT, "kind": {"enum": ["box", "segment", "point", "box_3d"]}, "label": STR})
RENDER = obj(
    {
        "image": obj({"width": INT, "height": INT}),
        "source": STR,
        "truncated": {"type": "boolean"},
        "finish_reason": STR_OR_NULL,
        "items": {"type": "array", "items": ITEM},
        "diagnostics": {"type": "array", "items": DIAGNOSTIC},
        "tokens": obj({"model": STR, "default": INT, "documented": INT}),
        "folder": STR,
        "files": {"type": "array", "items": STR, "minItems": 3},
    }
)
SCHEMAS: dict[str, dict[str, Any]] = {
    "version": obj({"version": STR}),
    "info": obj(
        {
            "version": STR,
            "python": STR,
            "cores": {"type": ["integer", "null"]},
            "backend": obj(
                {"name": {"enum": ["rust", "numpy"]}, "rust_extension": {"type": "boolean"}}
            ),
            "simd": obj(
                {
                    "in_use": {
                        "type": "array",
                        "items": {"enum": ["sse2", "avx2", "ssse3", "pclmulqdq"]},
                    },
                    "numpy": {"type": "array", "items": STR},
                    "rust": {"type": ["array", "null"]},
                }
            ),
            "pillow": obj({"version": STR, "raqm": STR_OR_NULL, "fribidi": STR_OR_NULL}),
            "labels": obj({"shaping": STR, "fonts": {"type": "array", "items": STR}}),
            "extras": {"type": "object", "additionalProperties": STR_OR_NULL},
        }
    ),
    "demo": {
        "allOf": [
            RENDER,
            obj(
                {
                    "sample": obj({"synthetic": {"const": True}}),
                    "sample_mask": obj({"width": INT, "height": INT, "area": INT}),
                }
            ),
        ]
    },
    "render": RENDER,
    "tokens": obj(
        {
            "model": STR,
            "images": {
                "type": "array",
                "items": {
                    "oneOf": [
                        obj({"path": STR, "error": STR}, additionalProperties=False),
                        obj(
                            {
                                "path": STR,
                                "type": STR,
                                "stored": STR,
                                "display": STR,
                                "orientation": INT,
                                "tokens": {
                                    "type": "object",
                                    "additionalProperties": {"type": ["integer", "null"]},
                                },
                            }
                        ),
                    ]
                },
            },
            "total": {"type": "object", "additionalProperties": {"type": ["integer", "null"]}},
        }
    ),
    "batch": obj({"records": INT, "rows": INT, "output": STR, "coco": STR_OR_NULL}),
    "bench": obj(
        {
            "version": STR,
            "backend": STR,
            "quick": {"type": "boolean"},
            "cases": {
                "type": "array",
                "minItems": 1,
                "items": obj(
                    {
                        "name": STR,
                        "per": STR,
                        "rust_s": NUM_OR_NULL,
                        "numpy_s": NUM_OR_NULL,
                        "reference_s": NUM_OR_NULL,
                        "ratio": NUM_OR_NULL,
                    }
                ),
            },
        }
    ),
}


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str], schema: str) -> Any:
    """Run ``argv``; stdout must be exactly one JSON document valid against ``schema``."""
    code = main(argv)
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.endswith("\n") and out.count("\n") == 1, "one document on one line"
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMAS[schema])
    return doc


@pytest.fixture
def scene(tmp_path: Path) -> tuple[Path, Path]:
    Image.new("RGB", (64, 48), "white").save(tmp_path / "scene.png")
    answer = json.dumps(
        [
            {"box_2d": [0, 0, 500, 500], "label": "a"},
            {"box_2d": [0, 0, 500, 500], "label": "a"},
            {"point": [500, 500], "label": "p"},
        ]
    )
    (tmp_path / "answer.txt").write_text(answer)
    return tmp_path / "scene.png", tmp_path / "answer.txt"


def test_version_info_demo_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_json(capsys, ["--version", "--json"], "version")
    info = run_json(capsys, ["info", "--json"], "info")
    assert info["labels"]["shaping"]
    demo = run_json(capsys, ["--json", "demo", "-o", str(tmp_path / "d")], "demo")
    assert [item["label"] for item in demo["items"]] == ["sun", "house", "ёлка", "כדור"]


def test_render_json_reports_duplicates_and_files(
    scene: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image, answer = scene
    doc = run_json(
        capsys,
        ["render", str(image), "-r", str(answer), "-o", str(tmp_path / "o"), "--json"],
        "render",
    )
    assert [d["code"] for d in doc["diagnostics"]] == ["duplicate"]
    assert len(doc["items"]) == 3
    doc = run_json(
        capsys,
        [
            "render",
            str(image),
            "-r",
            str(answer),
            "-o",
            str(tmp_path / "o"),
            "--json",
            "--drop-duplicates",
        ],
        "render",
    )
    assert len(doc["items"]) == 2 and doc["diagnostics"][0]["action"] == "rejected"
    # The old spelling --image still works.
    run_json(
        capsys,
        ["render", "--image", str(image), "-r", str(answer), "-o", str(tmp_path / "o"), "--json"],
        "render",
    )


def test_tokens_batch_bench_json(
    scene: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    image, _ = scene
    doc = run_json(capsys, ["tokens", str(image), "--json"], "tokens")
    assert doc["images"][0]["display"] == "64x48"
    pq.write_table(pa.Table.from_pylist(list(make_records(20))), tmp_path / "in.parquet")
    doc = run_json(
        capsys,
        [
            "batch",
            str(tmp_path / "in.parquet"),
            str(tmp_path / "o.parquet"),
            "-q",
            "--json",
            "--coco",
            str(tmp_path / "o.json"),
        ],
        "batch",
    )
    assert doc["records"] == 20
    doc = run_json(capsys, ["bench", "--quick", "--only", "threshold", "--json"], "bench")
    assert [case["name"] for case in doc["cases"]] == ["threshold 1024x1024"]


def test_detect_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    Image.new("RGB", (64, 48)).save(tmp_path / "i.png")
    items = '[{"box_2d": [100, 200, 500, 600], "label": "cat"}]'
    answer = {"candidates": [{"content": {"role": "model", "parts": [{"text": items}]}}]}
    with LoopbackServer() as server:
        server.queue(Reply(200, json.dumps(answer).encode(), {"Content-Type": "application/json"}))
        doc = run_json(
            capsys,
            [
                "detect",
                str(tmp_path / "i.png"),
                "--base-url",
                server.url(""),
                "-o",
                str(tmp_path / "o"),
                "--json",
            ],
            "render",
        )
    assert any(path.endswith("response.json") for path in doc["files"])


def test_bench_shows_progress_and_refuses_an_unknown_case(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One stderr line per case as it finishes; --only that matches nothing is a usage error."""
    assert main(["bench", "-q", "--only", "resize"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[1].strip() for line in err] == [
        "resize 64x64 -> 500x400",
        "resize+threshold 256x256 -> 192x108",
    ]
    assert main(["bench", "--only", "nosuch"]) == 2
    assert "matches no case" in capsys.readouterr().err


def test_exit_codes_and_global_flags(
    scene: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """0 done, 1 failed while running, 2 usage, 3 input; --debug and --json before or
    after the command."""
    from gemini_vision import spatial
    from gemini_vision.errors import LocalError

    image, answer = scene
    out = str(tmp_path / "x")
    for wrong in (["render", str(image), "--no-such-option"], ["render", str(image), str(image)]):
        with pytest.raises(SystemExit) as usage:
            main(wrong)
        assert usage.value.code == 2
    assert main(["render", str(tmp_path / "missing.png"), "-r", str(answer), "-o", out]) == 3
    assert main(["render", "-r", str(answer), "-o", out]) == 2  # no IMAGE
    capsys.readouterr()
    with pytest.raises(LocalError):  # --debug after the command: the exception itself
        main(["render", str(tmp_path / "missing.png"), "-r", str(answer), "-o", out, "--debug"])

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("out of disk")

    monkeypatch.setattr(spatial, "render", broken)
    assert main(["render", str(image), "-r", str(answer), "-o", out]) == 1
    assert capsys.readouterr().err == "gemini-vision: error: out of disk\n"
    assert main(["--json", "info"]) == 0 and json.loads(capsys.readouterr().out)
    assert main(["info", "--json"]) == 0 and json.loads(capsys.readouterr().out)


def test_closed_stdout_exits_quietly(tmp_path: Path) -> None:
    """``gemini-vision tokens ... | head -1``: the reader goes away long before the output
    (over 300 kB, more than a pipe holds) is written; no error message, exit 0."""
    Image.new("RGB", (64, 48)).save(tmp_path / "i.png")
    process = subprocess.Popen(
        [sys.executable, "-m", "gemini_vision", "tokens", *[str(tmp_path / "i.png")] * 3000],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith(b"image")
    process.stdout.close()  # as head -1 does after its line
    err = process.stderr.read().decode()
    process.stderr.close()
    assert process.wait(timeout=120) == 0
    assert err == ""


def test_demo_help_says_the_sample_is_synthetic(capsys: pytest.CaptureFixture[str]) -> None:
    """The README says the sample is synthetic; so does --help (no "recorded" answer)."""
    for argv in (["--help"], ["demo", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        text = capsys.readouterr().out
        assert "synthetic" in text and "recorded" not in text


def test_info_text_names_backend_simd_and_shaping(capsys: pytest.CaptureFixture[str]) -> None:
    """The text form says which backend, SIMD paths and label shaping are in use."""
    import gemini_vision
    from gemini_vision import _numpy_kernels
    from gemini_vision.spatial import draw

    assert main(["info"]) == 0
    printed = capsys.readouterr().out.splitlines()
    pairs = [re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in printed]
    lines = {pair[0]: pair[1] for pair in pairs if len(pair) == 2}
    assert lines["backend"].startswith(gemini_vision.backend)
    assert lines["label shaping"] == draw.shaping_path()
    if gemini_vision.backend == "numpy":
        expected = _numpy_kernels.simd_features()
    else:
        from gemini_vision import _rust

        expected = _rust.simd_features()
    assert [part.split(" (")[0] for part in lines["SIMD in use"].split("), ")] == (
        expected or ["none"]
    )


def test_upload_and_tune_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """upload and tune print the File and the TunedModel, one line each with --json."""
    from gemini_vision.testing import Emulator

    SCHEMAS["upload"] = obj({"name": STR, "state": {"const": "ACTIVE"}, "sizeBytes": STR})
    SCHEMAS["tune"] = obj({"name": STR, "baseModel": STR, "state": STR})
    (tmp_path / "clip.bin").write_bytes(b"x" * 2000)
    examples = tmp_path / "examples.jsonl"
    examples.write_text("\n".join(json.dumps({"text_input": "a", "output": "b"}) for _ in range(3)))
    with Emulator(file_processing_polls=1, tuning_polls=1) as emulator:
        monkeypatch.setenv("GEMINI_API_KEY", emulator.api_key or "")
        url = emulator.base_url
        run_json(
            capsys, ["--json", "upload", str(tmp_path / "clip.bin"), "--base-url", url], "upload"
        )
        run_json(
            capsys,
            [
                "tune",
                str(examples),
                "--base-model",
                "models/gemini-1.5-flash-001",
                "--base-url",
                url,
                "--json",
            ],
            "tune",
        )
