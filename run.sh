#!/usr/bin/env bash
# Quick start: set up a virtualenv, build the bundled sources, serve them on 127.0.0.1:8000.
# Usage: ./run.sh [sources.yaml]   (PORT=8000 by default)
set -euo pipefail
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e .
config="${1:-sources.yaml}"
.venv/bin/feedhub check -c "$config"
# A source that fails is reported (exit 1) but its last good items stay published: serve anyway.
.venv/bin/feedhub build -c "$config" || [ $? -eq 1 ]
exec .venv/bin/feedhub serve -c "$config" --port "${PORT:-8000}"
