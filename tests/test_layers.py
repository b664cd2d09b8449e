"""The package's layers hold: the import-linter contracts in pyproject.toml, run as a test.

The contracts (``[tool.importlinter]``) say which layer may import which, that
the client and the batch pipeline are independent, and that no sibling modules
import each other in a cycle. grimp (import-linter's graph) sees every import
statement, at module level or inside a function; it cannot see an import by
name string, so the last test keeps those to the few places that need one.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import gemini_vision

pytest.importorskip("importlinter")

PACKAGE_DIR = Path(gemini_vision.__file__).parent
ROOT = PACKAGE_DIR.parent.parent
CONFIG = ROOT / "pyproject.toml"

# The modules that may import by name string, and why:
STRING_IMPORTS_ALLOWED = {
    # the lazy attribute loaders (``gemini_vision.masks``, ``api.build_generate_content``)
    "__init__.py",
    "api/__init__.py",
    # choosing the Rust extension or the NumPy twin at run time
    "_backend.py",
}
# cli's probes for optional extras (pycocotools, pyarrow...) may also look names up.
STRING_IMPORTS_ALLOWED_UNDER = ("cli/",)


def _lint(python_path: Path) -> subprocess.CompletedProcess[str]:
    # import-linter's own command, in a fresh interpreter so that grimp reads the
    # package found on python_path.
    code = "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"
    return subprocess.run(
        [sys.executable, "-c", code, str(CONFIG), "--no-cache"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(python_path), "PATH": "", "LANG": "C.UTF-8"},
        cwd=ROOT,
        timeout=300,
    )


def test_the_layering_contracts_are_kept() -> None:
    """Every contract in pyproject.toml holds for the package as it is."""
    result = _lint(PACKAGE_DIR.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout
    assert result.stdout.count("KEPT") >= 3


@pytest.mark.parametrize(
    ("module", "statement", "broken"),
    [
        # wire reaching up into images (the old importlib staircase, written plainly)
        ("wire/codec.py", "from gemini_vision import images", "layers"),
        # a function-level import counts as much as a module-level one
        ("masks/png.py", "def _up():\n    from gemini_vision.client import Client", "layers"),
        # the two front doors importing each other
        ("batch/rows.py", "import gemini_vision.client", "front doors"),
        # a cycle between two siblings of one package
        ("wire/timestamp.py", "def _back():\n    import gemini_vision.wire.tuned", "cycles"),
    ],
)
def test_an_upward_import_breaks_the_contracts(
    tmp_path: Path, module: str, statement: str, broken: str
) -> None:
    """The contracts are not vacuous: one added bad import in a copy of the package fails them."""
    copy = tmp_path / "gemini_vision"
    shutil.copytree(
        PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__")
    )
    target = copy / module
    target.write_text(target.read_text() + "\n\n" + statement + "\n")
    result = _lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    assert f"{broken}" in result.stdout.split("Broken contracts")[1]


def _string_imports(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("import_module", "__import__"):
            lines.append(node.lineno)
    return lines


def test_imports_by_name_string_only_where_allowed() -> None:
    """importlib.import_module / __import__ (invisible to the graph) only in the listed places."""
    found = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR).as_posix()
        if relative in STRING_IMPORTS_ALLOWED or relative.startswith(STRING_IMPORTS_ALLOWED_UNDER):
            continue
        lines = _string_imports(path)
        if lines:
            found[relative] = lines
    assert found == {}, f"imports by name string outside the allowed places: {found}"
