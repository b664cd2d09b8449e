#!/usr/bin/env bash
# The wheel, installed where there is no Rust (issue 15): build the abi3
# manylinux wheel with maturin (`make wheel`), install it into a fresh virtual
# environment whose PATH has no cargo or rustc, and run the smoke tests there
# against the installed package (not the source tree), Rust backend required.
source "$(dirname "$0")/env.sh"
WV="$ROOT/.venv-wheel"

step "building the wheel (maturin, release, abi3)"
"$VENV/bin/python" -m pip install --quiet "maturin>=1.9,<2"
rm -rf "$ROOT/dist"
"$VENV/bin/maturin" build --quiet --release --out "$ROOT/dist"
WHEEL=$(ls "$ROOT"/dist/gemini_vision-*-abi3-manylinux*.whl)

step "installing $(basename "$WHEEL") into a fresh $WV, no Rust toolchain on PATH"
rm -rf "$WV"
"$PYTHON" -m venv "$WV"
# Only the environment's own bin and the system's: no ~/.cargo/bin.
NO_RUST_PATH="$WV/bin:/usr/bin:/bin"
env PATH="$NO_RUST_PATH" CARGO_HOME=/nonexistent RUSTUP_HOME=/nonexistent \
    "$WV/bin/python" -m pip install --quiet --only-binary=:all: "$WHEEL" pytest hypothesis
if env PATH="$NO_RUST_PATH" bash -c 'command -v cargo || command -v rustc' >/dev/null; then
    echo "a Rust toolchain is on the wheel test's PATH" >&2
    exit 1
fi

step "smoke tests on the installed wheel"
# python/ is not on sys.path: the package comes from the wheel (test_installed checks).
cd "$ROOT"
env PATH="$NO_RUST_PATH" GEMINI_VISION_BACKEND=rust GEMINI_VISION_REQUIRE_RUST=1 \
    GEMINI_VISION_EXPECT_INSTALLED="$WV" \
    "$WV/bin/python" -m pytest -q -p no:cacheprovider \
    tests/test_installed.py tests/kernels/test_backend_parity.py \
    tests/masks/test_pipeline.py tests/spatial/test_masks.py tests/client/test_import_cost.py
