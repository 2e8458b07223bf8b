#!/usr/bin/env bash
# Run forewarn with the given arguments; the first run sets up .venv from requirements.lock.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/tools/venv" requirements.lock requirements-test.lock
exec "$here/.venv/bin/forewarn" "$@"
