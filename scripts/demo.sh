#!/usr/bin/env bash
# Set up everything, then build the bundled Vite example in a container.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/pitstop build examples/vite-npm "$@"
