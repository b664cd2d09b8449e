#!/usr/bin/env bash
# Every check, from nothing: the README's test command and what CI runs.
#
#   1. set up .venv and build the extension
#   2. linters: ruff, mypy, cargo fmt, cargo clippy (-D warnings)
#   3. cargo test (the kernels, without Python)
#   4. the Python suite and the benchmarks-as-tests with the Rust backend
#      (fails if the extension did not load)
#   5. the same suite with GEMINI_VISION_BACKEND=numpy
#   6. the resize property tests against Pillow 12 in a second environment
#   7. the wheel: built with maturin, installed into a fresh environment with
#      no Rust toolchain on PATH, smoke tests run on it (scripts/test-wheel.sh)
#   8. the distributed-engine tests (Dask, Spark; marked slow) once, in a third
#      environment; steps 4 and 5 skip them
source "$(dirname "$0")/env.sh"
ensure_venv test
PY="$VENV/bin/python"

step "lint: ruff"
"$VENV/bin/ruff" check python tests benches scripts fuzz
"$VENV/bin/ruff" format --check python tests benches scripts fuzz
step "lint: mypy (strict) on the package, stubtest on the extension"
"$VENV/bin/mypy"
"$PY" -m mypy.stubtest gemini_vision._rust --allowlist scripts/stubtest-allowlist.txt
step "lint: cargo fmt, cargo clippy"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --all-targets --features python -- -D warnings

step "cargo test"
cargo test --quiet

step "pytest, Rust backend"
GEMINI_VISION_BACKEND=rust GEMINI_VISION_REQUIRE_RUST=1 \
    "$PY" -m pytest -q -p no:cacheprovider tests benches --benchmark-disable -m "not slow" \
    --doctest-modules python/gemini_vision

step "pytest, NumPy backend"
GEMINI_VISION_BACKEND=numpy \
    "$PY" -m pytest -q -p no:cacheprovider tests benches --benchmark-disable -m "not slow" \
    --doctest-modules python/gemini_vision

bash scripts/test-pillow12.sh
bash scripts/test-wheel.sh
bash scripts/test-distributed.sh
