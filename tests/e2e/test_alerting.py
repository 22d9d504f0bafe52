"""On-call alerting end to end: lab -> `thdmon serve` -> Prometheus (generated rules) -> Alertmanager
(generated configuration) -> a webhook receiver in this test. Every peer is real and on 127.0.0.1.

The lab serves a collège and two departmental sites behind the PoP of Clichy-Montfermeil, the PoP's
cores and its data centre's. A site is cut off the way the lab can: every device made SNMP-silent and
ICMP-unreachable (nftables). The steps share one chain and run in order:
the collège goes down -> exactly one SiteDown notification, its devices' alerts inhibited; it comes back
-> the alert resolves; the PoP goes down (and with it everything behind) -> one SiteDown for the PoP and
none for the sites behind it (SiteUnreachable instead); a data-centre core's optical Rx falls under its
transceivers' low alarm (`thdmon lab fail --mode optical-low`) -> OpticalRxLow by e-mail, then resolved;
a device in maintenance (silence-sync) -> silenced. `thdmon status --once --json` is checked against
Prometheus along the way. Alertmanager routes with the shipped policy's routes and time windows, both
receivers being webhooks to this test.

The collector is scraped by the shipped contract's two jobs (exporters/prometheus.yml: the liveness part
and the bulk part of its page). Default: 5 s polls, both parts scraped every second (minutes).
`THDMON_E2E_REALISTIC=1` runs the production cadence (60 s SNMP, 30 s ICMP, the liveness part scraped every
15 s and the bulk part every 60 s as the shipped contract says, rules evaluated every 15 s) to measure the
time from a failure to the page.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from alerts import build
from alerts.policy import DEFAULT_POLICY, load_policy
from inventory import load_inventory
from inventory.model import Inventory
from lab.inventory_files import chosen_devices
from lab.subset import sample_inventory, sample_subset, start_serve, stop
from lab.supervisor import Lab
from tests.conftest import ROOT, require
from tests.peers import free_tcp_port, prometheus_query, serve_webhook, start_alertmanager, start_prometheus, until

pytestmark = pytest.mark.slow

REALISTIC = os.environ.get("THDMON_E2E_REALISTIC") == "1"
POP = "pop-clichy-montfermeil"
COLLEGE = "col-vaujours-jules-ferry"
BEHIND = ("cs-coubron", "pmi-coubron", COLLEGE)
IN_MAINTENANCE = "cs-coubron-acc1"
OPTICAL = "dc-bobigny-core1"  # Cisco: CISCO-ENTITY-SENSOR-MIB gives each transceiver's own thresholds
# fast, slow, ICMP intervals; rule evaluation (and the other jobs' scrapes); the collector's scrapes (None:
# the shipped contract's, 15 s liveness and 60 s bulk)
CADENCE: tuple[str, str, str, str, str | None] = (
    ("60", "300", "30", "15s", None) if REALISTIC else ("5", "10", "5", "1s", "1s"))
WAIT = 240.0 if REALISTIC else 90.0


@dataclass
class Hook:
    """The webhook receiver: every Alertmanager notification, with the time it arrived.

    Both receivers of the shipped policy post here (`body["receiver"]` tells them apart). Every alert
    reaches `email` exactly once (the catch-all; pages continue to it), so counts are taken there by
    default; `page` depends on the time windows and the hour the test runs at.
    """

    received: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def notified(self, alertname: str, site: str, status: str = "firing",
                 receiver: str = "email") -> list[tuple[float, dict[str, Any]]]:
        """(arrival time, alert) of each alert `alertname` for `site` with `status` sent to `receiver`."""
        with self.lock:
            return [(t, a) for t, body in self.received if body["receiver"] == receiver for a in body["alerts"]
                    if a["labels"].get("alertname") == alertname and a["labels"].get("site") == site
                    and a["status"] == status]

    def alerts(self, alertname: str, site: str, status: str = "firing", receiver: str = "email") -> list[float]:
        """Arrival times of the notifications holding `alertname` for `site` with `status`."""
        return sorted({t for t, _ in self.notified(alertname, site, status, receiver)})

    def names_for(self, site: str) -> set[str]:
        with self.lock:
            return {a["labels"]["alertname"] for _, body in self.received for a in body["alerts"]
                    if body["receiver"] == "email" and a["labels"].get("site") == site and a["status"] == "firing"}


def _serve_hook(hook: Hook) -> ThreadingHTTPServer:
    def received(body: dict[str, Any]) -> None:
        with hook.lock:
            hook.received.append((time.time(), body))

    return serve_webhook(received)


@dataclass
class Chain:
    lab: Lab
    inv: Inventory
    inventory_dir: Path
    serve_port: int
    prom_port: int
    am_port: int
    hook: Hook
    work: Path

    def query(self, expr: str) -> list[dict[str, Any]]:
        return prometheus_query(self.prom_port, expr)

    def sites_in(self, state: str) -> set[str]:
        return {r["metric"]["site"] for r in self.query(f'thdmon_site_state{{state="{state}"}} == 1')}

    def cut_off(self, site: str) -> list[str]:
        hosts = [h for h, d in self.inv.devices.items() if d.site == site and h in self.lab_devices]
        for host in hosts:
            self.lab.fail(host, "silent")
            self.lab.fail(host, "unreachable")
        return hosts

    def heal(self, site: str) -> None:
        for host in (h for h, d in self.inv.devices.items() if d.site == site and h in self.lab_devices):
            self.lab.heal(host)

    @property
    def lab_devices(self) -> set[str]:
        return {d.hostname for d in self.lab.devices()}

    def thdmon(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "THDMON_STATE_DIR": str(self.work / "state"),
               "COLUMNS": "80"}
        return subprocess.run([sys.executable, "-m", "thdmon", "--inventory", str(self.inventory_dir), *args],
                              capture_output=True, text=True, env=env, cwd=self.work, timeout=60)

    def status(self) -> dict[str, Any]:
        done = self.thdmon("status", "--once", "--json", "--metrics-url",
                           f"http://127.0.0.1:{self.serve_port}/metrics")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def am_alerts(self, alertname: str, site: str) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.am_port}/api/v2/alerts", timeout=5) as r:
            return [a for a in json.load(r) if a["labels"].get("alertname") == alertname
                    and a["labels"].get("site") == site]


def _policy(work: Path, hook_port: int, monitoring_site: str) -> Path:
    """The shipped policy and its routes, each receiver a webhook to the test's; `for:` durations
    shortened in the fast mode only (the realistic one measures the shipped policy)."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy["monitoring_site"] = monitoring_site
    am = policy["alertmanager"]
    am["receivers"] = {name: {"webhook_url": f"http://127.0.0.1:{hook_port}/{name}"} for name in am["receivers"]}
    assert am["default_receiver"] == "email", "Hook counts notifications at the catch-all e-mail receiver"
    am["group_interval"] = "5s"  # resolved notifications go out at the next group interval
    if not REALISTIC:
        # A device alert must fire later than its site's SiteDown plus a group_wait, as in production
        # (2 min against 30 s), or it would be sent before the inhibition exists.
        policy["thresholds"]["site_down_for"] = "5s"
        policy["thresholds"]["device_down_for"] = "20s"
        # one evaluation more than a single slow poll (10 s here), as 5 min is one more at 300 s
        policy["thresholds"]["optical_for"] = "5s"
    path = work / "policy.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    for tool, package in (("prometheus", "prometheus"), ("prometheus-alertmanager", "prometheus-alertmanager"),
                          ("snmpget", "snmp"), ("nft", "nftables")):
        require(shutil.which(tool) is not None, f"{tool} not installed (apt-get install {package})")
    work = tmp_path_factory.mktemp("alerting")
    inv = sample_inventory()
    devices = sorted(set(chosen_devices(inv, "Coubron")) | {h for h, d in inv.devices.items() if d.site == COLLEGE})
    hook = Hook()
    hook_server = _serve_hook(hook)
    with sample_subset(work, inv, devices) as subset:
        inventory_dir = subset.inventory
        serve_inv = load_inventory(inventory_dir, check_secrets=False)
        datacentre = next(s.id for s in serve_inv.sites.values() if s.kind.value == "datacenter")
        policy = load_policy(_policy(work, hook_server.server_address[1], datacentre))
        _, files = build.render(serve_inv, policy)
        build.write(work, files)
        am, am_port = start_alertmanager(work, work / build.ALERTMANAGER_FILE)
        poll, slow, icmp, every, scrape = CADENCE
        serve_port = free_tcp_port()
        serve = start_serve(work, subset, serve_port, {
            "THDMON_COLLECTOR__FAST_INTERVAL": poll, "THDMON_COLLECTOR__SLOW_INTERVAL": slow,
            "THDMON_COLLECTOR__ICMP_INTERVAL": icmp, "THDMON_COLLECTOR__TIMEOUT": "2",
            "THDMON_COLLECTOR__RETRIES": "1", "THDMON_COLLECTOR__BACKOFF_BASE": "1",
            "THDMON_COLLECTOR__BACKOFF_CAP": "2",
            # the roll-up of SNMP and ICMP health is what pages; the lab's SSH runs on ports of its own
            "THDMON_COLLECTOR__PROTOCOLS": "snmp,icmp"}, args=["--reload-interval", "1"])
        prom, prom_port = start_prometheus(work, serve_port, interval=every, scrape=scrape, contract=True,
                                           rule_files=(work / build.RULES_FILE,), alertmanager_port=am_port)
        try:
            yield Chain(subset.lab, inv, inventory_dir, serve_port, prom_port, am_port, hook, work)
        finally:
            stop(prom, serve, am)
            hook_server.shutdown()


def _expected_sites(chain: Chain) -> set[str]:
    return {d.site for h, d in chain.inv.devices.items() if h in chain.lab_devices}


def _status_agrees_with_prometheus(chain: Chain) -> dict[str, Any]:
    """`thdmon status --json` (from serve) names the same sites in each state as Prometheus."""
    def agreeing() -> dict[str, Any] | None:
        report = chain.status()
        by_state = {state: {s["site"] for s in report["sites"] if s["state"] == state}
                    for state in ("down", "unreachable", "degraded")}
        prom = {state: chain.sites_in(state) for state in by_state}
        return report if by_state == prom else None

    return until("thdmon status agreeing with Prometheus", agreeing, timeout=30)


def test_every_site_up_and_status_agrees(chain: Chain):
    sites = _expected_sites(chain)
    # (a loaded machine may lose one SNMP poll now and then: the site is degraded for a poll interval)
    until("every site up, in Prometheus and in thdmon status", lambda: chain.sites_in("up") == sites
          and chain.status()["counts"]["up"] == len(sites), timeout=WAIT)
    assert chain.sites_in("up") == sites
    assert chain.status()["counts"]["up"] == len(sites)
    assert chain.hook.alerts("SiteDown", COLLEGE) == []  # nothing paged while every site is up


def _page_latency(chain: Chain, previous_pages: int) -> float:
    """Cut the collège off; seconds until its SiteDown reaches the webhook."""
    t0 = time.time()
    assert len(chain.cut_off(COLLEGE)) == 2
    pages = until("SiteDown notification for the collège", lambda: (lambda p: p if len(p) > previous_pages else None)(
        chain.hook.alerts("SiteDown", COLLEGE)), timeout=WAIT)
    return pages[-1] - t0


def test_a_college_cut_off_pages_once_and_its_devices_stay_quiet(chain: Chain):
    latencies = [_page_latency(chain, 0)]
    if REALISTIC:  # more samples of the latency: the poll phase at the failure varies it by up to 60 s
        for _ in range(int(os.environ.get("THDMON_E2E_SAMPLES", "1")) - 1):
            chain.heal(COLLEGE)
            until("SiteDown resolved", lambda: len(chain.hook.alerts("SiteDown", COLLEGE, "resolved"))
                  == len(latencies), timeout=WAIT)
            time.sleep(random.uniform(0, 60))  # a failure at any phase of the 60 s polls
            latencies.append(_page_latency(chain, len(latencies)))
    print(f"\nfailure -> SiteDown webhook: {', '.join(f'{x:.1f}' for x in latencies)} s (cadence {CADENCE})")
    (chain.work.parent / "latency.txt").write_text(" ".join(f"{x:.1f}" for x in latencies) + "\n")
    report = _status_agrees_with_prometheus(chain)
    [line] = [s for s in report["sites"] if s["site"] == COLLEGE]
    assert line["state"] == "down" and line["cause"].startswith("all 2 devices down")
    if not REALISTIC:
        # its devices' alerts do fire in Prometheus, and Alertmanager inhibits them
        until("DeviceDown firing for the collège's devices", lambda: len(chain.query(
            f'ALERTS{{alertname="DeviceDown", alertstate="firing", site="{COLLEGE}"}}')) == 2, timeout=WAIT)
        until("DeviceDown inhibited in Alertmanager", lambda: (lambda a: len(a) == 2 and all(
            x["status"]["inhibitedBy"] for x in a))(chain.am_alerts("DeviceDown", COLLEGE)), timeout=30)
        time.sleep(12)  # a group_wait more: anything not inhibited would have been sent by now
        assert len(chain.hook.alerts("SiteDown", COLLEGE)) == 1
    assert chain.hook.names_for(COLLEGE) == {"SiteDown"}


def _fast_only() -> None:
    if REALISTIC:
        pytest.skip("THDMON_E2E_REALISTIC=1 measures the page latency only (60 s polls make the rest minutes long)")


def test_the_college_back_resolves_the_page(chain: Chain):
    _fast_only()
    chain.heal(COLLEGE)
    until("SiteDown resolved", lambda: chain.hook.alerts("SiteDown", COLLEGE, "resolved"), timeout=WAIT)
    until("the collège up", lambda: COLLEGE in chain.sites_in("up"), timeout=30)
    assert len(chain.hook.alerts("SiteDown", COLLEGE)) == 1


def test_a_pop_down_pages_for_the_pop_only(chain: Chain):
    _fast_only()
    for site in (POP, *BEHIND):
        chain.cut_off(site)
    try:
        until("SiteDown notification for the PoP", lambda: chain.hook.alerts("SiteDown", POP), timeout=WAIT)
        until("the sites behind unreachable", lambda: chain.sites_in("unreachable") == set(BEHIND), timeout=WAIT)
        until("SiteUnreachable notifications (info)", lambda: all(
            chain.hook.alerts("SiteUnreachable", site) for site in BEHIND), timeout=WAIT)
        report = _status_agrees_with_prometheus(chain)
        causes = {s["site"]: s["cause"] for s in report["sites"]}
        # the terminal view, as the on-call person sees it in an 80-column terminal
        view = chain.thdmon("status", "--once", "--metrics-url", f"http://127.0.0.1:{chain.serve_port}/metrics")
        assert view.returncode == 0, view.stderr
        print("\n" + view.stdout)
        (chain.work.parent / "status.txt").write_text(view.stdout)
        assert max(len(line) for line in view.stdout.splitlines()) <= 80
        assert "down (1)" in view.stdout and f"unreachable ({len(BEHIND)})" in view.stdout
        assert all(causes[site] == f"upstream site {POP} is down" for site in BEHIND)
        for site in BEHIND:  # the collège's one SiteDown is the earlier step's: nothing new since the PoP fell
            assert len(chain.hook.alerts("SiteDown", site)) == (1 if site == COLLEGE else 0), site
        assert len(chain.hook.alerts("SiteDown", POP)) == 1
    finally:
        for site in (POP, *BEHIND):
            chain.heal(site)
    until("every site up again", lambda: chain.sites_in("up") == _expected_sites(chain), timeout=WAIT)


def test_an_optical_rx_under_its_threshold_warns_and_resolves(chain: Chain):
    """The lab puts a Cisco core's transceivers 3 dB under their own low alarm (-20 against -17 dBm, above
    the policy's -24 dBm default: only the device's threshold can fire) -> OpticalRxLow, a warning: it
    reaches the e-mail receiver and never pages; healed -> resolved."""
    _fast_only()
    device = OPTICAL
    site = chain.inv.devices[device].site
    rx = f'thdmon_optical_rx_power_dbm{{device="{device}"}}'
    sensors = until("the core's Rx power in Prometheus", lambda: {r["metric"]["sensor"] for r in chain.query(rx)},
                    timeout=WAIT)
    assert chain.query(f'ALERTS{{alertname=~"OpticalRx.*", device="{device}"}}') == []
    chain.lab.fail(device, "optical-low")
    try:
        firing = until("OpticalRxLow notified", lambda: chain.hook.notified("OpticalRxLow", site), timeout=WAIT)
        # each transceiver of the device fires (grouped by site: one or two notifications, not one per port)
        until("every Rx sensor of the core firing", lambda: {a["labels"]["sensor"] for _, a in chain.hook.notified(
            "OpticalRxLow", site)} == sensors, timeout=30)
        firing = chain.hook.notified("OpticalRxLow", site)
        for _, alert in firing:
            labels, notes = alert["labels"], alert["annotations"]
            assert labels["device"] == device and labels["severity"] == "warning"
            assert (labels["site"], labels["site_kind"], labels["commune"]) == (
                site, chain.inv.sites[site].kind.value, chain.inv.sites[site].commune)
            assert notes["summary"] == f"Optical Rx power low on {device} {labels['ifname']} ({site})"
            assert notes["summary_fr"].startswith("Puissance optique reçue faible sur " + device)
            assert notes["runbook_url"].endswith("/OpticalRxLow.md") and "receives -20.0 dBm" in notes["description"]
        # Prometheus saw it under the transceiver's own low alarm, not under the default
        levels = chain.query(f'{rx} - on(device, sensor) group_left thdmon_optical_rx_power_threshold_dbm'
                             f'{{device="{device}", threshold="low_alarm"}}')
        assert levels and all(float(r["value"][1]) == pytest.approx(-3.0) for r in levels)
        # routing: a warning goes to e-mail only, in any time window, and Alertmanager says the same
        assert chain.hook.notified("OpticalRxLow", site, receiver="page") == []
        in_am = chain.am_alerts("OpticalRxLow", site)
        assert in_am and all([r["name"] for r in a["receivers"]] == ["email"] for a in in_am)
        assert not chain.query(f'ALERTS{{alertname="OpticalRxHigh", device="{device}"}}')
    finally:
        chain.lab.heal(device)
    until("OpticalRxLow resolved", lambda: {a["labels"]["sensor"] for _, a in chain.hook.notified(
        "OpticalRxLow", site, "resolved")} == sensors, timeout=WAIT)
    assert chain.query(f'ALERTS{{alertname="OpticalRxLow", device="{device}"}}') == []


def test_a_device_in_maintenance_is_silenced(chain: Chain):
    _fast_only()
    devices_file = chain.inventory_dir / "devices.yaml"
    doc = yaml.safe_load(devices_file.read_text(encoding="utf-8"))
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date()
    for device in doc["devices"]:
        if device["hostname"] == IN_MAINTENANCE:
            device["maintenance"] = tomorrow.isoformat()
    devices_file.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    done = chain.thdmon("alerts", "silence-sync", "--alertmanager", f"http://127.0.0.1:{chain.am_port}", "--json")
    assert done.returncode == 0, done.stderr
    created = sorted((a["action"], sorted(a["matchers"].items())) for a in json.loads(done.stdout))
    assert created == [("create", [("device", IN_MAINTENANCE)]), ("create", [("site", "cs-coubron")])]
    site = chain.inv.devices[IN_MAINTENANCE].site
    chain.cut_off(site)
    try:
        until("SiteDown firing in Prometheus", lambda: chain.query(
            f'ALERTS{{alertname="SiteDown", alertstate="firing", site="{site}"}}'), timeout=WAIT)
        until("SiteDown silenced in Alertmanager", lambda: (lambda a: a and all(
            x["status"]["silencedBy"] for x in a))(chain.am_alerts("SiteDown", site)), timeout=30)
        time.sleep(12)  # a group_wait more
        assert chain.hook.alerts("SiteDown", site) == []
    finally:
        chain.heal(site)
