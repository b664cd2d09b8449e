#!/usr/bin/env bash
# Every check, from nothing: the README's test command and what CI runs.
#
#   1. set up .venv and build the extension
#   2. linters: scripts/lint.sh (the same as `make lint`)
#   3. cargo test (the kernels, without Python), then again with the portable
#      feature (every SIMD dispatcher takes its portable arm)
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

VENV="$VENV" bash "$ROOT/scripts/lint.sh"

step "cargo test"
cargo test --quiet
step "cargo test --features portable (the code non-x86 CPUs run)"
cargo test --quiet --features portable

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
