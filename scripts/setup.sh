#!/usr/bin/env bash
# Create .venv and install mnemo with everything it needs, offline but for the package registries.
# Idempotent: re-running only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip() { "$VENV/bin/python" -m pip "$@"; }
# 1. the CPU build of torch first, so nothing below pulls the CUDA one
pip install -q torch==2.13.0
# 2. the project and its dependencies, torch held by the constraints
pip install -q -c constraints.txt -e '.[dev]'
# 3. whisper without triton (see pyproject.toml)
pip install -q --no-deps -c constraints.txt 'openai-whisper>=20240930'
"$VENV/bin/python" -c "import mnemo.compat; import open_clip, whisper, faiss, av, cv2, ray" \
  || { echo "setup: the installed environment does not import; see the errors above" >&2; exit 1; }
touch "$VENV/.mnemo-setup"
echo "setup: ready ($VENV)"
