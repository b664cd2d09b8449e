#!/usr/bin/env bash
# The resize property tests against Pillow 12 (pass order of Pillow <= 12),
# in a small second environment. The extension is abi3, so the one built for
# .venv loads here too through PYTHONPATH=python.
source "$(dirname "$0")/env.sh"
V12="$ROOT/.venv-pillow12"
if [[ ! -x "$V12/bin/python" ]]; then
    step "creating $V12"
    "$PYTHON" -m venv "$V12"
fi
step "installing Pillow 12 and the test tools into $V12"
"$V12/bin/python" -m pip install --quiet "pillow>=12,<13" numpy hypothesis pytest
step "pytest -m pillow_compat under Pillow 12, both backends"
for backend in rust numpy; do
    PYTHONPATH="$ROOT/python" GEMINI_VISION_BACKEND=$backend \
        "$V12/bin/python" -m pytest -q -p no:cacheprovider -m pillow_compat tests \
        -p no:benchmark
done
