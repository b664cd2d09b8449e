"""Both backends expose the same kernels with the same signatures (SPEC M9)."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest

from gemini_vision import _numpy_kernels


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
