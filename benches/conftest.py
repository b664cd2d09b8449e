"""Benchmarks share the test fixtures (backends, hypothesis profile)."""

from tests.conftest import kernels, numpy_kernels, rust_kernels  # noqa: F401
