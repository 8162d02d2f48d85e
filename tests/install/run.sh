#!/usr/bin/env bash
# A new user's first minute: build the sdist and, from it, the wheel; install the wheel into a fresh
# venv with only google-genai, pytest and pytest-xdist (pinned by constraints.txt, as CI pins
# everything); run a user's test file (tests/install/project) outside the repository, serially and
# with -n 2. Usage: tests/install/run.sh [python]   (default: python3)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PYTHON="${1:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$ROOT"
# The sdist, then the wheel built from it (so the sdist is known to be complete); PIP_CONSTRAINT pins the
# build backend in build's isolated environment.
PIP_CONSTRAINT="$ROOT/constraints.txt" "$ROOT/.venv/bin/python" -m build --outdir "$WORK/dist" . >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log"; exit 1; }
wheel=$(ls "$WORK"/dist/*.whl)
sdist=$(ls "$WORK"/dist/*.tar.gz)
echo "built $(basename "$sdist") and $(basename "$wheel")"

"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --constraint "$ROOT/constraints.txt" \
    "$wheel" google-genai pytest pytest-xdist
"$WORK/venv/bin/python" -m pip check
echo "installed: $("$WORK/venv/bin/python" -m pip freeze | tr '\n' ' ')"

cp -r "$ROOT/tests/install/project" "$WORK/project"
cd "$WORK/project"
unset GEMINI_EMULATOR_URL GOOGLE_GEMINI_BASE_URL GOOGLE_API_KEY GEMINI_API_KEY PYTHONPATH
echo "== a user's tests, serially"
"$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider
echo "== a user's tests, with -n 2"
"$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider -n 2
