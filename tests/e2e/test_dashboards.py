"""Every panel of every dashboard shows data on the simulated département.

lab (a park, a collège, their PoP's cores, two Wi-Fi controllers, a Cisco AP of another park for the
noise floor) -> `thdmon serve` (5 s / 10 s polls),
a park Wi-Fi day -> `thdmon logs serve`, both scraped every second by a real Prometheus. Then, as
Grafana would: each dashboard's variables are expanded through the label-values API and each query of
each panel runs through the HTTP API; every one must return data. So that the panels about trouble
have something to show: the collège and an AP of the park are made silent (a site down, a site
degraded, errors, backoff), serve is sent SIGHUP (a reload), records left in the spool yesterday are
fed and sealed (connlog publishes its last seal at its next health check, within a minute), a stray
RADIUS datagram is dropped. A PNG preview of each dashboard is rendered from the same panel
definitions and data (`var/test-artefacts/dashboards/`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
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

from connlog.spool import DiskSpool
from dashboards import build, promql
from inventory.model import Inventory, Role
from lab.sample import generate
from lab.snmp import datagen
from lab.subset import sample_inventory, sample_subset, start_serve, stop
from lab.supervisor import Lab
from tests.conftest import ROOT, require
from tests.e2e import grafana
from tests.e2e.conftest import SMALL_LAB, serve_env
from tests.integration.connlog_store import scenario
from tests.peers import free_tcp_port, start_prometheus, until

# The chain takes ~1 min to start, the slowest panels (last seal, rates over a minute) a few more.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

PARK = "parc-de-la-fosse-maussoin"  # 8 devices: distribution, a Cisco access switch (PoE, optics), 6 APs
CONTROLLER = "dc-bobigny-wlc1"  # AIRESPACE: clients per SSID
# A real SmartZone's recording (../shared/snmprec): the only controller in the lab that counts its APs.
RECORDED_CONTROLLER = "rec-ruckus-smartzone"
SILENT_AP = f"{PARK}-ap06"  # an AP of the park made silent: the park degraded, an AP down, a reason shown
SCRAPE = 1.0  # Prometheus' scrape interval here (Grafana's datasource `timeInterval`)
STEP = 5.0  # range-query step, as Grafana would pick for a short range
SPAN = 300.0  # range of the range queries
DEADLINE = 300.0  # for every query of every dashboard to show data, from the start of the chain
ARTEFACTS = ROOT / "var" / "test-artefacts" / "dashboards"
# Metrics the catalogue declares and a panel shows, that nothing in the lab produces yet, each with why.
# A query on them is reported, not failed; once one returns data the test fails until its entry goes.
AWAITED: dict[str, str] = {}


def chosen(inv: Inventory) -> tuple[list[str], list[str]]:
    """(devices to poll, those that will be made silent: the collège's and one AP of the park)."""
    park = inv.sites[PARK]
    colleges = sorted((s for s in inv.sites.values() if s.kind.value == "college" and s.uplink == park.uplink),
                      key=lambda s: (sum(d.site == s.id for d in inv.devices.values()), s.id))
    college = sorted(h for h, d in inv.devices.items() if d.site == colleges[0].id)
    cores = sorted(h for h, d in inv.devices.items() if d.site == park.uplink and d.role == Role.core)
    park_devices = sorted(h for h, d in inv.devices.items() if d.site == PARK)
    return park_devices + college + cores + [CONTROLLER, RECORDED_CONTROLLER, cisco_park_ap(inv)], college + [SILENT_AP]


def cisco_park_ap(inv: Inventory) -> str:
    """An AP of another park that answers AIRESPACE itself (the lab's Cisco APs do): PARK's APs are UniFi,
    whose MIB has no noise floor, so the Wi-Fi noise panel needs an AP of a family that reports one."""
    return min(h for h, d in inv.devices.items() if d.role == Role.wifi_ap and inv.sites[d.site].kind.value == "park"
               and "lab-recording" not in d.tags and datagen.WIFI_FAMILY.get(datagen.model_of(d)) == "airespace")


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


def _spool_yesterday(work: Path) -> None:
    """Records received yesterday still in the spool (as after a night with the database down): the
    service feeds them, and yesterday, a closed day, can be sealed. Records arriving today cannot."""
    midnight = dt.datetime.combine(dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1), dt.time(),
                                   tzinfo=dt.UTC).timestamp()
    with DiskSpool(work / "state" / "connlog-spool") as spool:
        spool.append_many(record for _seq, record in scenario.generate(days=1, visits_per_day=5, start=midnight)[0])


def _play_wifi_day(work: Path, radius: int, syslog: int) -> None:
    subprocess.run([sys.executable, "-m", "lab.wifi", "--inventory", str(generate.DATA_DIR), "--site", PARK,
                    "--clients", "40", "--radius", f"127.0.0.1:{radius}", "--syslog", f"127.0.0.1:{syslog}"],
                   check=True, cwd=work, env=serve_env(work), timeout=120)
    # A datagram from an address that is no NAS: dropped, and counted as such.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"\x04\x01\x00\x14" + bytes(16), ("127.0.0.1", radius))


def _seal(work: Path, secrets: Path) -> bool:
    """`thdmon logs seal`, then whether a seal exists (the service's own daily job may have sealed
    yesterday first); False while yesterday's records are still on their way from the spool."""
    def logs(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "thdmon", "--inventory", str(generate.DATA_DIR), "--secrets",
                               str(secrets), "logs", *args], check=True, cwd=work, env=serve_env(work), timeout=120,
                              capture_output=True, text=True).stdout

    logs("seal")
    checked = re.search(r"(\d+) seal\(s\) checked", logs("verify"))
    return bool(checked and int(checked.group(1)) > 0)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[Chain]:
    require(shutil.which("prometheus") is not None, "prometheus not installed (apt-get install prometheus)")
    work = tmp_path_factory.mktemp("dashboards")
    inv = sample_inventory()
    devices, silent = chosen(inv)
    started = time.monotonic()
    with sample_subset(work, inv, devices, recordings_dir=shared_dir / "snmprec") as subset:
        lab, secrets = subset.lab, subset.secrets
        serve_port, logs_port, radius, syslog = (free_tcp_port() for _ in range(4))
        serve = start_serve(work, subset, serve_port, SMALL_LAB)
        _spool_yesterday(work)
        with (work / "logs.log").open("wb") as out:
            logs = subprocess.Popen(
                [sys.executable, "-m", "thdmon", "--inventory", str(generate.DATA_DIR), "--secrets", str(secrets),
                 "logs", "serve", "--radius", f"127.0.0.1:{radius}", "--syslog", f"127.0.0.1:{syslog}",
                 "--metrics", f"127.0.0.1:{logs_port}"], stdout=out, stderr=subprocess.STDOUT,
                env=serve_env(work), cwd=work)
        prom, prom_port = start_prometheus(work, serve_port, more_jobs={"thdmon-connlog": logs_port})
        try:
            until("logs serve listening", lambda: _listening("127.0.0.1", syslog) or logs.poll() is not None, 60)
            assert logs.poll() is None, (work / "logs.log").read_text()
            _play_wifi_day(work, radius, syslog)
            until("yesterday fed to the store and sealed", lambda: _seal(work, secrets), 60)
            for device in silent:
                lab.fail(device, "silent")
            serve.send_signal(signal.SIGHUP)
            yield Chain(lab, inv, prom_port, started)
        finally:
            stop(prom, logs, serve)


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
            # The optics come with the slow polls: until then, the variables are expanded again later.
            assert fibre, "no fibre port with optics seen yet"
            return fibre[0]
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
    all_targets = {key: target for key, (_panel, target) in pending.items()}
    total = len(pending)
    while True:
        for key, (_panel, target) in list(pending.items()):
            result = grafana.run_target(chain.prom_port, target, selections[key[0]], span=SPAN, step=STEP,
                                        scrape=SCRAPE)
            if result:
                del pending[key]
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(2)
    panels = sum(1 for d in dashboards.values() for p in d["panels"] if p["type"] != "row")
    print(f"\n{len(dashboards)} dashboards, {panels} panels, {total} queries checked; "
          f"{total - len(pending)} returned data")
    described = {key: f"{key[0]} / {panel['title']} / {target['refId']}: {target['expr']}"
                 for key, (panel, target) in sorted(pending.items())}
    awaited = {key: _awaited(target["expr"]) for key, (_panel, target) in pending.items()}
    empty = [text for key, text in described.items() if not awaited[key]]
    for key, text in described.items():
        if awaited[key]:
            print(f"awaited ({'; '.join(awaited[key])}): {text}")
    print("\n".join(["without data:", *empty]) if empty else
          f"every query returned data but {sum(map(bool, awaited.values()))} awaited")
    arrived = sorted(set(AWAITED) - {m for reasons in awaited.values() for m in _awaited_metrics(reasons)})
    # The previews show the whole run, not the first answer of each query.
    final = {key: grafana.run_target(chain.prom_port, target, selections[key[0]], span=SPAN, step=STEP,
                                     scrape=SCRAPE) for key, target in all_targets.items()}
    unlinked = _links_without_fields(dashboards, final)
    _previews(dashboards, final)
    assert empty == [], "panels without data on the lab:\n" + "\n".join(empty)
    assert arrived == [], f"{arrived} now return data: remove them from AWAITED"
    assert unlinked == [], "data links naming a column the query does not return:\n" + "\n".join(unlinked)


def _links_without_fields(dashboards: dict[str, dict[str, Any]],
                          results: dict[tuple[str, int, int], list[dict[str, Any]]]) -> list[str]:
    """Data links whose `${__data.fields.X}` is not a label of every series the panel's queries return."""
    problems = []
    for uid, dashboard in dashboards.items():
        for i, panel in enumerate(dashboard["panels"]):
            links = panel.get("fieldConfig", {}).get("defaults", {}).get("links", [])
            fields = {f for link in links for f in re.findall(r"__data\.fields\.(\w+)", link["url"])}
            for j, _target in enumerate(panel.get("targets", [])):
                for series in results.get((uid, i, j), []):
                    missing = fields - set(series["metric"])
                    if missing:
                        problems.append(f"{uid} / {panel['title']}: {sorted(missing)} not in {series['metric']}")
                        break
    return problems


def _awaited(expr: str) -> list[str]:
    """The AWAITED reasons of the metrics `expr` reads (empty: the query has no excuse)."""
    return [f"{m}: {AWAITED[m]}" for m in sorted(promql.names(expr).metrics) if m in AWAITED]


def _awaited_metrics(reasons: list[str]) -> list[str]:
    return [r.split(":", 1)[0] for r in reasons]


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
        # The data beside the picture: a reviewer (or `dashboards.preview.render`) can redraw it.
        (ARTEFACTS / f"{uid}.results.json").write_text(json.dumps(
            [{"panel": i, "target": j, "result": r} for (i, j), r in sorted(data.items())]))
        path = render(dashboard, data, ARTEFACTS / f"{uid}.png")
        print(f"preview: {path}")
    if os.environ.get("THDMON_UPDATE_README_PREVIEW"):
        (ROOT / "docs" / "images").mkdir(parents=True, exist_ok=True)
        (ROOT / "docs" / "images" / "dashboard-overview.png").write_bytes(
            (ARTEFACTS / "thdmon-overview.png").read_bytes())
