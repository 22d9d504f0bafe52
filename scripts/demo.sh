#!/usr/bin/env bash
# The demo: installs thdmon and shows the sample département (THD-SSD, ~1,500 devices).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/thdmon inventory check
.venv/bin/thdmon inventory show
