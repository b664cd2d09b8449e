#!/usr/bin/env bash
# The README's demo command: set up .venv, build, run `gemini-vision demo`.
source "$(dirname "$0")/env.sh"
ensure_venv test
step "gemini-vision demo"
"$VENV/bin/gemini-vision" demo "$@"
