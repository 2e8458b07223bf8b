#!/usr/bin/env bash
# Run the whole test suite; sets up .venv from requirements-test.lock when it changed.
set -euo pipefail
cd "$(dirname "$0")"
tools/venv requirements-test.lock
exec .venv/bin/python -m pytest "$@"
