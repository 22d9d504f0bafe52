"""Every panel of every dashboard shows data on the simulated département.

lab (a park, a collège, their PoP's cores, a Wi-Fi controller) -> `thdmon serve` (5 s / 10 s polls), a
park Wi-Fi day -> `thdmon logs serve`, both scraped every second by a real Prometheus. Then, as Grafana
would: each dashboard's variables are expanded through the label-values API and each query of each
panel runs through the HTTP API; every one must return data. The collège is made silent (a site down,
errors, backoff), serve is sent SIGHUP (a reload), the day is sealed, and a stray RADIUS datagram is
dropped, so the panels about trouble have something to show. A PNG preview of each dashboard is
rendered from the same panel definitions and data (`var/test-artefacts/dashboards/`).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dashboards import build
from inventory import load_inventory
from inventory.model import Inventory, Role
from inventory.sample import generate
from lab.snmp.snmpd import free_udp_port
from lab.supervisor import Lab, lab_running
from tests.conftest import ROOT, require
from tests.e2e import grafana
from tests.e2e.conftest import serve_env, start_serve, write_serve_inventory
from tests.peers import free_tcp_port, start_prometheus, until

pytestmark = pytest.mark.slow

PARK = "parc-de-la-fosse-maussoin"  # 8 devices: distribution, a Cisco access switch (PoE, optics), 6 APs
CONTROLLER = "dc-bobigny-wlc1"
SCRAPE = 1.0  # Prometheus' scrape interval here (Grafana's datasource `timeInterval`)
STEP = 5.0  # range-query step, as Grafana would pick for a short range
SPAN = 300.0  # range of the range queries
DEADLINE = 240.0  # for every query of every dashboard to show data, from the start of the chain
ARTEFACTS = ROOT / "var" / "test-artefacts" / "dashboards"


def chosen(inv: Inventory) -> tuple[list[str], list[str]]:
    """(devices to poll, the collège's devices that will be made silent)."""
    park = inv.sites[PARK]
    colleges = sorted((s for s in inv.sites.values() if s.kind.value == "college" and s.uplink == park.uplink),
                      key=lambda s: (sum(d.site == s.id for d in inv.devices.values()), s.id))
    college = sorted(h for h, d in inv.devices.items() if d.site == colleges[0].id)
    cores = sorted(h for h, d in inv.devices.items() if d.site == park.uplink and d.role == Role.core)
    park_devices = sorted(h for h, d in inv.devices.items() if d.site == PARK)
    return park_devices + college + cores + [CONTROLLER], college


@dataclass
class Chain:
    lab: Lab
    inv: Inventory
    prom_port: int
    started: float


def _listening(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.2).close()
        return True
    except OSError:
        return False


def _play_wifi_day(work: Path, radius: int, syslog: int) -> None:
    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    subprocess.run([sys.executable, "-m", "lab.wifi", "--inventory", str(generate.DATA_DIR), "--site", PARK,
                    "--date", yesterday, "--clients", "40", "--radius", f"127.0.0.1:{radius}",
                    "--syslog", f"127.0.0.1:{syslog}"], check=True, cwd=work, env=serve_env(work), timeout=120)
    # A datagram from an address that is no NAS: dropped, and counted as such.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"\x04\x01\x00\x14" + bytes(16), ("127.0.0.1", radius))


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    require(subprocess.run(["which", "prometheus"], capture_output=True).returncode == 0,
            "prometheus not installed (apt-get install prometheus)")
    work = tmp_path_factory.mktemp("dashboards")
    inv = load_inventory(generate.DATA_DIR, check_secrets=False)
    devices, college = chosen(inv)
    started = time.monotonic()
    lab_port = free_udp_port()
    with lab_running(work / "lab", inv, generate.DATA_DIR, processes=1, port=lab_port, only=set(devices),
                     timeout=120) as (lab, _state):
        secrets = write_serve_inventory(work / "inventory", inv, devices, lab_port)
        serve_port, logs_port, radius, syslog = (free_tcp_port() for _ in range(4))
        serve = start_serve(work, secrets, serve_port, work / "serve.log")
        with (work / "logs.log").open("wb") as out:
            logs = subprocess.Popen(
                [sys.executable, "-m", "thdmon", "--inventory", str(generate.DATA_DIR), "--secrets", str(secrets),
                 "logs", "serve", "--radius", f"127.0.0.1:{radius}", "--syslog", f"127.0.0.1:{syslog}",
                 "--metrics", f"127.0.0.1:{logs_port}"], stdout=out, stderr=subprocess.STDOUT,
                env=serve_env(work), cwd=work)
        prom, prom_port = start_prometheus(work, serve_port, {"thdmon-connlog": logs_port})
        try:
            until("logs serve listening", lambda: _listening("127.0.0.1", syslog) or logs.poll() is not None, 60)
            assert logs.poll() is None, (work / "logs.log").read_text()
            _play_wifi_day(work, radius, syslog)
            subprocess.run([sys.executable, "-m", "thdmon", "--inventory", str(generate.DATA_DIR), "--secrets",
                            str(secrets), "logs", "seal"], check=True, cwd=work, env=serve_env(work), timeout=120)
            for device in college:
                lab.fail(device, "silent")
            serve.send_signal(signal.SIGHUP)
            yield Chain(lab, inv, prom_port, started)
        finally:
            for proc in (prom, logs, serve):
                proc.kill()
                proc.wait()


def _prefer(chain: Chain) -> grafana.Prefer:
    """The selection an engineer makes to look at the park: its site, its Cisco access switch, a fibre port."""
    def prefer(name: str, values: list[str]) -> str | None:
        if name == "site" and PARK in values:
            return PARK
        if name == "device":
            return next((v for v in values if v.startswith(f"{PARK}-acc")), None)
        if name == "ifname":
            optics = grafana.api(chain.prom_port, "query",
                                 query=f'thdmon_optical_rx_power_threshold_dbm{{device=~"{PARK}-acc.*"}}')["result"]
            fibre = sorted({r["metric"]["ifname"] for r in optics} & set(values))
            return fibre[0] if fibre else None
        return None

    return prefer


def test_every_panel_of_every_dashboard_shows_data_on_the_lab(chain: Chain):
    dashboards = build.dashboards()
    deadline = chain.started + DEADLINE
    selections: dict[str, grafana.Selection] = {}
    for uid, dashboard in dashboards.items():
        selections[uid] = until(f"{uid}: variables", lambda d=dashboard: _try_expand(chain, d),
                                timeout=max(5.0, deadline - time.monotonic()))
    pending = {(uid, i, j): (panel, target) for uid, d in dashboards.items()
               for i, panel in enumerate(d["panels"]) for j, target in enumerate(panel.get("targets", []))}
    results: dict[tuple[str, int, int], list[dict[str, Any]]] = {}
    total = len(pending)
    while True:
        for key, (_panel, target) in list(pending.items()):
            result = grafana.run_target(chain.prom_port, target, selections[key[0]], span=SPAN, step=STEP,
                                        scrape=SCRAPE)
            if result:
                results[key] = result
                del pending[key]
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(2)
    panels = sum(1 for d in dashboards.values() for p in d["panels"] if p["type"] != "row")
    print(f"\n{len(dashboards)} dashboards, {panels} panels, {total} queries checked; "
          f"{total - len(pending)} returned data")
    empty = [f"{uid} / {panel['title']} / {target['refId']}: {target['expr']}"
             for (uid, _i, _j), (panel, target) in sorted(pending.items())]
    print("\n".join(["without data:", *empty]) if empty else "every query returned data")
    _previews(dashboards, results)
    assert empty == [], "panels without data on the lab:\n" + "\n".join(empty)


def _try_expand(chain: Chain, dashboard: dict[str, Any]) -> grafana.Selection | None:
    try:
        return grafana.expand_variables(chain.prom_port, dashboard, _prefer(chain), window=SPAN)
    except AssertionError:
        return None


def _previews(dashboards: dict[str, dict[str, Any]], results: dict[tuple[str, int, int], Any]) -> None:
    from dashboards.preview import render

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for uid, dashboard in dashboards.items():
        data = {(i, j): r for (u, i, j), r in results.items() if u == uid}
        path = render(dashboard, data, ARTEFACTS / f"{uid}.png")
        print(f"preview: {path}")
    if os.environ.get("THDMON_UPDATE_README_PREVIEW"):
        (ROOT / "docs" / "images").mkdir(parents=True, exist_ok=True)
        (ROOT / "docs" / "images" / "dashboard-overview.png").write_bytes(
            (ARTEFACTS / "thdmon-overview.png").read_bytes())
