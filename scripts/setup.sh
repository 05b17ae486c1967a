#!/usr/bin/env bash
# Everything pitstop needs on a fresh Debian 12 machine: a virtualenv with pitstop installed,
# a Docker engine that answers, and the build image. Idempotent; `--test` adds test tools.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[[ "${1:-}" == "--test" ]] && extras="[test]"

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: pitstop needs Python 3.11 or newer ($python is $("$python" --version 2>&1))" >&2
    exit 4
fi
if [[ ! -x .venv/bin/python ]]; then
    echo "setup: creating .venv"
    "$python" -m venv .venv
fi
stamp=".venv/.pitstop-installed${extras}"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    echo "setup: installing pitstop${extras} into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
    touch "$stamp"
fi

scripts/ensure-docker.sh
echo "setup: build image"
.venv/bin/pitstop image build
