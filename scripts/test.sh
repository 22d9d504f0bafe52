#!/usr/bin/env bash
# The whole test suite, real peers included: installs what it needs, then runs pytest (slow suites too).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -q "$@"
