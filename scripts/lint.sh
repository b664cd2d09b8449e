#!/usr/bin/env bash
# Every linter, defined once: `make lint` runs this, and so does step 2 of
# scripts/test.sh (what CI runs).
#
#   ruff check, ruff format --check      Python: the package, tests, benches, scripts, fuzz
#   mypy --strict                        the package, with _numpy_kernels/_stub_check.py
#                                        holding the NumPy twin to _rust.pyi
#   stubtest                             the compiled extension against _rust.pyi
#   cargo fmt --check
#   cargo clippy -D warnings             with the [lints] table of Cargo.toml, once per
#                                        feature set that is built: none (cargo test),
#                                        python (the extension), portable (SIMD off)
#
# Uses .venv (made by `make dev` or scripts/test.sh; made here if missing).
source "$(dirname "$0")/env.sh"
[[ -x "$VENV/bin/python" ]] || ensure_venv test
PY="$VENV/bin/python"
export PYO3_PYTHON="$PY"

step "lint: ruff"
"$VENV/bin/ruff" check python tests benches scripts fuzz
"$VENV/bin/ruff" format --check python tests benches scripts fuzz
step "lint: mypy (strict) on the package, stubtest on the extension"
"$VENV/bin/mypy"
"$PY" -m mypy.stubtest gemini_vision._rust --allowlist scripts/stubtest-allowlist.txt
step "lint: cargo fmt, cargo clippy (no features, python, portable)"
cargo fmt --check
cargo clippy --quiet --all-targets -- -D warnings
cargo clippy --quiet --all-targets --features python -- -D warnings
cargo clippy --quiet --all-targets --features portable -- -D warnings
