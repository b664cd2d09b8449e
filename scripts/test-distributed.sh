#!/usr/bin/env bash
# The engine tests (SPEC D3), once, with the Rust backend: Dask on a two-process
# LocalCluster and Spark on local[2], both bound to 127.0.0.1, over 10,000 records.
#
# They run in a second environment, .venv-distributed, so the main one stays
# small: the extension is abi3, so the one built for .venv loads here through
# PYTHONPATH=python (Dask's and Spark's worker processes inherit it).
# Spark needs Java: installed with apt-get when missing and we are root,
# otherwise the Spark tests are skipped and pytest prints why.
source "$(dirname "$0")/env.sh"
VD="$ROOT/.venv-distributed"
if [[ ! -x "$VD/bin/python" ]]; then
    step "creating $VD"
    "$PYTHON" -m venv "$VD"
fi
step "installing Dask, Spark and the test tools into $VD"
# pandas < 3: pyspark 4 warns (FutureWarning) on import with pandas 3.
"$VD/bin/python" -m pip install --quiet numpy pillow "pyarrow>=15" "pandas>=2,<3" \
    "dask[dataframe]>=2024.1" "distributed>=2024.1" "pyspark>=3.5" \
    pytest hypothesis pycocotools
if ! command -v java >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        step "installing Java for Spark (apt-get)"
        apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null \
            || echo "could not install Java: the Spark tests will be skipped"
    else
        echo "no java on PATH and no way to install it: the Spark tests will be skipped"
    fi
fi
step "pytest tests/distributed, the README's blocks (its Dask one runs here) and the engine modules' examples (Rust backend, loopback)"
PYTHONPATH="$ROOT/python" GEMINI_VISION_BACKEND=rust GEMINI_VISION_REQUIRE_RUST=1 \
    "$VD/bin/python" -m pytest -q -p no:cacheprovider -rs -p no:logging \
    tests/distributed tests/test_readme.py --doctest-modules python/gemini_vision/distributed
