#!/bin/sh
# Mutation testing on demand, never in CI: scripts/mutation.sh [identity merge store store-dates publish web web-dates]
# Runs mutmut 3 at low priority (nice) on a staged copy in build/mutation/; see docs/testing.md.
# PYTHON names the interpreter of the environment with feedhub's test extra and mutmut
# (default: .venv/bin/python when there is one, else python3).
set -eu
cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then
    if [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
exec nice -n 10 "$PYTHON" scripts/mutation.py "$@"
