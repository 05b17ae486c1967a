#!/usr/bin/env bash
# Set up everything (test tools included), check style, then run the whole test suite.
# Extra arguments go to pytest, e.g. `scripts/test.sh -m "not docker"`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/pytest "$@"
