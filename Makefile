# gemini-vision — `make help` lists the targets.
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(abspath $(VENV))/bin/python

.PHONY: help dev test test-rust test-numpy test-pillow12 test-wheel wheel lint fmt bench fuzz demo clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

dev: ## create .venv and build the extension in editable mode
	@bash -c 'source scripts/env.sh && ensure_venv test'

test: ## every check from nothing: lint, cargo test, pytest x2 backends, Pillow 12
	bash scripts/test.sh

test-rust: dev ## the Python suite with the Rust backend only
	GEMINI_VISION_BACKEND=rust GEMINI_VISION_REQUIRE_RUST=1 $(PY) -m pytest -q tests --doctest-modules python/gemini_vision

test-numpy: dev ## the Python suite with the NumPy fallback only
	GEMINI_VISION_BACKEND=numpy $(PY) -m pytest -q tests --doctest-modules python/gemini_vision

test-pillow12: dev ## the resize property tests under Pillow 12
	bash scripts/test-pillow12.sh

wheel: dev ## build the abi3 manylinux wheel into dist/ (maturin, release)
	$(PY) -m pip install --quiet "maturin>=1.9,<2"
	rm -rf dist
	$(VENV)/bin/maturin build --release --out dist

test-wheel: ## install the wheel into a fresh venv without Rust on PATH; smoke tests there
	bash scripts/test-wheel.sh

lint: dev ## every linter (scripts/lint.sh, also step 2 of make test)
	VENV=$(abspath $(VENV)) bash scripts/lint.sh

fmt: dev ## format Rust and Python in place
	cargo fmt
	$(VENV)/bin/ruff format python tests benches scripts fuzz

bench: ## the benchmarks: Rust vs NumPy vs the reference tools (the bench extra), with ratios
	@bash -c 'source scripts/env.sh && ensure_venv "test,bench"'
	$(PY) -m pytest benches --benchmark-only --benchmark-columns=min,median,mean,rounds --benchmark-sort=name

fuzz: dev ## a longer fuzz run of every target, Python (atheris) and Rust (FUZZ_RUNS inputs each, default 100000)
	for t in extract lane png png_struct sse wire; do $(PY) fuzz/run.py $$t -runs=$${FUZZ_RUNS:-100000} -max_len=4096 || exit 1; done
	cargo build --release --example fuzz_kernels
	for t in png records rle frames; do target/release/examples/fuzz_kernels $$t $${FUZZ_RUNS:-100000} || exit 1; done

demo: ## set up and run the offline demo
	bash scripts/demo.sh

clean: ## remove build products and environments
	rm -rf target dist .venv .venv-pillow12 .venv-wheel python/gemini_vision/*.so .pytest_cache .mypy_cache .ruff_cache
