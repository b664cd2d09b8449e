# Shared set-up for scripts/test.sh and scripts/demo.sh (sourced, not run).
# Creates the virtual environment .venv if it is missing and installs the
# package into it in editable mode, which builds the Rust extension (release).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-python3}
VENV=${VENV:-$ROOT/.venv}
export PIP_DISABLE_PIP_VERSION_CHECK=1

step() { printf '\n==> %s\n' "$*"; }

ensure_venv() { # ensure_venv EXTRAS
    if [[ ! -x "$VENV/bin/python" ]]; then
        step "creating $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    step "installing gemini-vision[$1] (builds the Rust extension)"
    "$VENV/bin/python" -m pip install --quiet -e ".[$1]"
    # cargo clippy and cargo test use the same interpreter as the extension.
    export PYO3_PYTHON="$VENV/bin/python"
}
