"""The core is sans-I/O: it imports with every I/O module blocked, and never sleeps."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import gemini_vision

PACKAGE_DIR = Path(gemini_vision.__file__).parent
# Below the transport line everything is core; these are the I/O layers
# (``distributed``: the Dask and Spark harnesses, which run clusters and write files).
IO_LAYERS = ("transports", "client", "cli", "testing", "__main__", "distributed")
BLOCKED = ("socket", "http.client", "urllib.request", "asyncio", "httpx", "ssl", "select")


def core_modules() -> list[str]:
    """Every module of the package except the I/O layers (and their submodules)."""
    names = ["gemini_vision"]
    for info in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="gemini_vision."):
        relative = info.name.split(".")[1:]
        # cli_<area>.py modules are command-line layers like cli.py itself.
        if relative[0] in IO_LAYERS or relative[0].startswith("cli_") or relative[0] == "_rust":
            continue
        names.append(info.name)
    return sorted(names)


BLOCKER = textwrap.dedent(
    """
    import importlib.abc, sys
    BLOCKED = {blocked!r}

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name in BLOCKED or any(name.startswith(b + ".") for b in BLOCKED):
                raise ImportError(f"sans-I/O violation: {{name}} imported")
            return None

    for name in list(sys.modules):
        if name in BLOCKED or any(name.startswith(b + ".") for b in BLOCKED):
            del sys.modules[name]
    sys.meta_path.insert(0, Blocker())
    import importlib
    for module in {modules!r}:
        importlib.import_module(module)
    leaked = sorted(m for m in sys.modules if m in BLOCKED)
    assert not leaked, leaked
    print("imported", len({modules!r}))
    """
)


def test_core_modules_include_the_wire_and_api_layers() -> None:
    """The walk finds the modules the rule is about (so the next test is not vacuous)."""
    modules = core_modules()
    for expected in (
        "gemini_vision.wire.http",
        "gemini_vision.api.generate",
        "gemini_vision.api.sse",
    ):
        assert expected in modules
    assert not any(m.startswith("gemini_vision.transports") for m in modules)


def test_core_imports_with_io_modules_blocked() -> None:
    """Importing every core module with socket, http.client, asyncio, ... blocked succeeds."""
    modules = core_modules()
    code = BLOCKER.format(blocked=BLOCKED, modules=modules)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"imported {len(modules)}" in result.stdout


def test_blocker_catches_a_violation() -> None:
    """The blocker really blocks: importing one of the blocked modules fails."""
    code = BLOCKER.format(blocked=BLOCKED, modules=["gemini_vision", "http.client"])
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode != 0
    assert "sans-I/O violation: http.client" in result.stderr


def _sleeps_or_clocks(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "time" and node.attr in ("sleep", "time", "monotonic"):
                found.append(f"time.{node.attr} (line {node.lineno})")
            if node.value.id == "asyncio" and node.attr == "sleep":
                found.append(f"asyncio.sleep (line {node.lineno})")
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            names = {a.name for a in node.names}
            if names & {"sleep", "time", "monotonic"}:
                found.append(f"from time import {', '.join(sorted(names))} (line {node.lineno})")
    return found


def test_core_never_sleeps() -> None:
    """No core module calls time.sleep (or reads time.time/monotonic): waiting is the client's."""
    offenders = {}
    for module in core_modules():
        relative = module.split(".")[1:]
        path = PACKAGE_DIR.joinpath(*relative)
        source = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        if not source.exists():
            continue
        found = _sleeps_or_clocks(ast.parse(source.read_text(encoding="utf-8")))
        if found:
            offenders[module] = found
    assert offenders == {}


def test_sleep_scan_detects_a_sleep() -> None:
    """The AST scan recognises the forms it forbids."""
    assert _sleeps_or_clocks(ast.parse("import time\ntime.sleep(1)"))
    assert _sleeps_or_clocks(ast.parse("from time import sleep"))
    assert not _sleeps_or_clocks(ast.parse("sleep = 1"))


def test_api_names_load_their_module_on_first_use() -> None:
    """Importing the generate module does not import the retry or SSE modules."""
    code = (
        "import sys, gemini_vision.api.generate as g\n"
        "assert 'gemini_vision.api.retry' not in sys.modules, 'retry loaded'\n"
        "assert 'gemini_vision.api.sse' not in sys.modules, 'sse loaded'\n"
        "from gemini_vision.api import RetryPolicy, __all__\n"
        "import gemini_vision.api as api\n"
        "assert all(getattr(api, n) is not None for n in __all__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
