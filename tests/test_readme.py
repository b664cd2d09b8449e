"""Every Python block of the README runs as a script (or, if it needs what tests lack, compiles).

A block runs as its own script (``python block.py``, so ``__name__ == "__main__"``)
in an empty temporary folder. A block preceded by a marker line
``<!-- readme-test: needs WHAT ... -->`` says what it needs:

- ``network``, ``spark``, ``ray``: never run here (no key or network; a Spark
  session; Ray probes cloud-metadata addresses). The block is compiled, so a
  syntax error still fails; the code it shows is exercised by the suite
  (``tests/client``, ``tests/distributed/test_spark.py``, ``batch.process_arrow``).
- a module name (``dask``, ``google.genai``): run when the module imports, else
  skipped with that reason. The Dask block runs in the engines' environment
  (``scripts/test-distributed.sh`` runs this file too).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(
    r"(?:<!-- readme-test: needs (?P<needs>[\w.]+)[^>]*-->\n)?```python\n(?P<code>.*?)```", re.S
)
NEVER_RUN = {"network", "spark", "ray"}
MODULES = {"dask": ("dask.dataframe", "distributed")}


def blocks() -> list[tuple[int, str | None, str]]:
    text = README.read_text(encoding="utf-8")
    return [
        (text[: m.start("code")].count("\n") + 1, m.group("needs"), m.group("code"))
        for m in _BLOCK.finditer(text)
    ]


def test_the_readme_has_blocks_and_every_marker_is_known() -> None:
    found = blocks()
    assert len(found) >= 10
    for _, needs, _ in found:
        assert needs is None or needs in NEVER_RUN or needs in MODULES or "." in needs


@pytest.mark.parametrize(("line", "needs", "code"), blocks(), ids=lambda v: str(v)[:30])
def test_readme_block(line: int, needs: str | None, code: str, tmp_path: Path) -> None:
    compile(code, f"README.md:{line}", "exec")
    if needs in NEVER_RUN:
        pytest.skip(f"README.md:{line} needs {needs}: compiled only")
    for module in MODULES.get(needs or "", (needs,) if needs else ()):
        if importlib.util.find_spec(module.split(".")[0]) is None or (
            importlib.util.find_spec(module) is None
        ):
            pytest.skip(f"README.md:{line} needs {module}, which is not installed here")
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"README.md:{line}\n{result.stderr[-3000:]}"
