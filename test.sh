#!/usr/bin/env bash
# Set up a virtualenv with the test tools and run every check: ruff, mypy, pytest.
# Extra arguments go to pytest (e.g. ./test.sh -k config).
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e '.[test]'
./scripts/system-deps.sh
# axe-core for the browser tests' accessibility checks (tests/e2e/axe), pinned by its lockfile.
if command -v npm >/dev/null; then
  (cd tests/e2e/axe && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
.venv/bin/ruff check src tests bench scripts wsgi.py
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
