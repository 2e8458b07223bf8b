#!/usr/bin/env bash
# Set up a virtual environment (once) and run forewarn with the given arguments.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$here/.venv/bin/forewarn" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/python" -m pip install -q --disable-pip-version-check -e "$here[html]" >&2
fi
exec "$here/.venv/bin/forewarn" "$@"
