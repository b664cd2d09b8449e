"""Both backends expose the same kernels with the same signatures (SPEC M9)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from types import ModuleType

import pytest

from gemini_vision import _numpy_kernels
from gemini_vision._numpy_kernels import _stub_check


def _public_functions(module: ModuleType) -> set[str]:
    return {
        name
        for name in dir(module)
        if not name.startswith("_")
        and callable(getattr(module, name))
        and not inspect.isclass(getattr(module, name))
    }


def _parameters(fn: object) -> list[tuple[str, object]]:
    return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]  # type: ignore[arg-type]


def test_same_kernel_names(rust_kernels: ModuleType, numpy_kernels: ModuleType) -> None:
    """Every Rust kernel has a NumPy twin and the fallback exports nothing extra."""
    assert _public_functions(rust_kernels) == set(numpy_kernels.__all__)


@pytest.mark.parametrize("name", sorted(_numpy_kernels.__all__))
def test_same_parameters_and_defaults(
    name: str, rust_kernels: ModuleType, numpy_kernels: ModuleType
) -> None:
    """A call that works on one backend binds the same way on the other."""
    assert _parameters(getattr(rust_kernels, name)) == _parameters(getattr(numpy_kernels, name))


def test_the_stub_check_binds_every_kernel() -> None:
    """``_numpy_kernels/_stub_check.py`` (read by mypy) pairs every function of the stub
    with its NumPy twin, so no kernel escapes the signature check."""
    stub = Path(_numpy_kernels.__file__).parent.parent / "_rust.pyi"
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    in_stub = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
    assert list(_stub_check.KERNELS) == in_stub
    assert set(in_stub) == set(_numpy_kernels.__all__)
    checked = Path(_stub_check.__file__).read_text(encoding="utf-8")
    for name in in_stub:
        for line in (
            f"stub_{name} = stub.{name}",
            f"stub_{name} = twin.{name}",
            f"twin_{name} = twin.{name}",
            f"twin_{name} = stub.{name}",
        ):
            assert line in checked, line
