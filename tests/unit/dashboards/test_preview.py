"""The static preview draws every panel type of every dashboard from Prometheus-shaped results."""

from __future__ import annotations

import time
from pathlib import Path

from dashboards import build
from dashboards.preview import fmt, render


def _results(panel: dict) -> list[dict]:
    now = time.time()
    labels = {"site": "parc-du-sausset", "device": "parc-du-sausset-acc1", "ifname": "1/1/1", "state": "up",
              "lat": "48.95", "lon": "2.51", "ap": "ap01"}
    if panel["targets"][0].get("instant"):
        return [{"metric": labels, "value": [now, "1"]}]
    return [{"metric": labels, "values": [[now - 60 + t, str(t)] for t in range(0, 60, 5)]}]


def test_every_dashboard_renders_to_a_png(tmp_path: Path):
    for uid, dashboard in build.dashboards().items():
        data = {(i, j): _results(panel) for i, panel in enumerate(dashboard["panels"])
                for j in range(len(panel.get("targets", [])))}
        out = render(dashboard, data, tmp_path / f"{uid}.png")
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_units_read_as_grafana_shows_them():
    assert fmt("bps", 2.5e9) == "2.5 Gb/s"
    assert fmt("dBm", -7.25) == "-7.2 dBm"
    assert fmt("percentunit", 0.42) == "42%"
    assert fmt("watt", 1234) == "1.23 kW"
    assert fmt("s", 7200) == "2 h"
