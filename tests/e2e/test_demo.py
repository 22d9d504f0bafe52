"""The README's first command, `bash scripts/demo.sh`, run as a newcomer would, and its output read: the
département checked, a park polled, the cut-off core switch shown down with its reasons (SNMP and ICMP)
while its twin is up, a configuration change found by the SSH backup, the requisition answered with the
generator's true MAC, and /metrics served.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, require

pytestmark = pytest.mark.slow


def test_the_demo_shows_what_the_readme_says(tmp_path: Path):
    require(shutil.which("nft") is not None, "nft not installed (apt-get install nftables)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("THDMON_")}
    env |= {"THDMON_STATE_DIR": str(tmp_path / "state"), "THDMON_DEMO_SECONDS": "20", "COLUMNS": "200"}
    proc = subprocess.run(["bash", "scripts/demo.sh"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert re.search(r"inventory .*OK|1,?517 devices|442 sites", out), out[:2000]
    down = out[out.index("== one pass over a park"):out.index("== connection logs")]
    # The cut-off core switch is down over both protocols, with the reason of each; its twin answers.
    rows = [line for line in down.splitlines() if "dc-pleyel-core1" in line]
    assert any("snmp" in r and "timeout" in r for r in rows), down
    assert any("icmp" in r and "unreachable" in r for r in rows), down
    assert not [line for line in down.splitlines() if "dc-pleyel-core2" in line and "timeout" in line]
    # SSH: a collège's switches backed up, the change made in the lab shown exactly by `thdmon config diff`.
    ssh = out[out.index("== configuration backup over SSH"):out.index("== connection logs")]
    assert "-    description acces\n+    description CDI salle 12" in ssh, ssh[-3000:]
    assert "col-pantin-jean-zay-acc1: configuration changed" in ssh, ssh[-3000:]
    truth = json.loads((tmp_path / "state" / "wifi-truth.json").read_text())[0]["sessions"][0]
    assert truth["client_mac"].lower() in out.lower()  # the requisition found the generator's true MAC
    series = re.search(r"series on /metrics: (\d+)", out)
    assert series is not None and int(series.group(1)) > 1000, out[-2000:]
