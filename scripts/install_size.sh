#!/usr/bin/env bash
# What `make run` and `make test` download, pinned by requirements.lock: the runtime's wheels (models included),
# then what the test tools add. The Makefile quotes these figures before it installs; re-measure after a change
# of dependencies with: bash scripts/install_size.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
$PY -m pip download -q -d "$work/run" -c requirements.lock . >/dev/null
$PY -m pip download -q -d "$work/dev" -c requirements.lock '.[dev]' >/dev/null
$PY -m pip download -q --no-deps -d "$work/nodeps" -r requirements-nodeps.txt >/dev/null
mb() { du -sm "$1" | cut -f1; }
echo "make run downloads about $(($(mb "$work/run") + $(mb "$work/nodeps"))) MB"
echo "make test adds about $(($(mb "$work/dev") - $(mb "$work/run"))) MB"
