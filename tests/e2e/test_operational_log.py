"""Issue 17's "done when" for the log: `thdmon serve` on the lab past its capacity stays readable.

lab (snmpsim, one commune + its PoP and data-centre cores) -> `thdmon serve` (subprocess) with one poll
at a time, 5 s intervals and JSON logs, summarised every 5 s, one core answering slowly (each of its
polls holds the only slot until the watchdog): more polling than the collector can do. Asserted on
serve's own stderr: the start-up load check warns and suggests intervals; misfires happen but are
counted into one summary line per period (no line per misfire, none from APScheduler); a device made
silent is one WARNING naming site, protocol and reason; healed, one INFO with its outage length;
/metrics has its down-since timestamp meanwhile.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from lab.inventory_files import chosen_devices
from lab.subset import sample_inventory, sample_subset, start_serve, stop
from lab.supervisor import Lab
from tests.conftest import require
from tests.e2e.conftest import COMMUNE
from tests.peers import free_tcp_port, until

pytestmark = pytest.mark.slow

SILENT = "cs-coubron-acc1"
SLOW = "pop-clichy-montfermeil-core2"
PERIOD = 5.0  # collector.log_summary_interval of this serve


@dataclass
class Served:
    lab: Lab
    log: Path
    port: int

    def records(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out

    def lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()

    def events(self, name: str) -> list[dict[str, Any]]:
        return [r for r in self.records() if r.get("event") == name]

    def down_since(self, device: str) -> float | None:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
            text = r.read().decode()
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                if s.name == "thdmon_device_down_since_timestamp_seconds" and s.labels.get("device") == device:
                    return s.value
        return None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    require(shutil.which("snmpget") is not None, "net-snmp client tools (Debian package snmp) are missing")
    work = tmp_path_factory.mktemp("oplog")
    inv = sample_inventory()
    with sample_subset(work, inv, chosen_devices(inv, COMMUNE)) as subset:
        lab = subset.lab
        lab.fail(SLOW, "slow", delay=0.1)
        port = free_tcp_port()
        log = work / "serve.log"
        serve = start_serve(work, subset, port, {
            "THDMON_COLLECTOR__FAST_INTERVAL": "5", "THDMON_COLLECTOR__SLOW_INTERVAL": "5",
            "THDMON_COLLECTOR__CONCURRENCY": "1", "THDMON_COLLECTOR__PROTOCOLS": "snmp",
            "THDMON_COLLECTOR__TIMEOUT": "1", "THDMON_COLLECTOR__RETRIES": "0",
            "THDMON_COLLECTOR__BACKOFF_BASE": "1", "THDMON_COLLECTOR__BACKOFF_CAP": "2",
            "THDMON_COLLECTOR__LOG_SUMMARY_INTERVAL": str(PERIOD), "THDMON_LOG_FORMAT": "json"}, log=log)
        try:
            yield Served(lab, log, port)
        finally:
            stop(serve)


def test_past_capacity_the_log_is_a_start_up_warning_and_one_summary_per_period(served: Served):
    s = served
    over = until("start-up load warning", lambda: [r for r in s.events("polling_over_capacity")
                                                   if r.get("stage") == "start"])
    assert over[0]["level"] == "WARNING"
    assert "snmp fast >= " in over[0]["suggested"] and "collector.concurrency >= " in over[0]["suggested"]
    assert {(r["class"], r["stage"]) for r in s.events("polling_load")} >= {("fast", "start"), ("slow", "start")}
    started = time.monotonic()
    summaries = until("four summaries", lambda: (lambda got: got if len(got) >= 4 else None)(
        s.events("poll_summary")), timeout=8 * PERIOD)
    elapsed = time.monotonic() - started
    # the load is measured once, with the real poll times, after the first period
    measured = s.events("polling_load")
    assert any(r["stage"] == "measured" and r["varbinds_per_second"] != "unknown" for r in measured)
    # past capacity: polls were skipped, and said so in the summaries, not one line each
    assert sum(int(r["misfires"]) for r in summaries) > 0, summaries
    assert all(r["level"] == ("WARNING" if int(r["misfires"]) else "INFO") for r in summaries)
    lines = s.lines()
    assert not [line for line in lines if "was missed by" in line or "maximum number of running" in line]
    assert not s.events("misfire") and not s.events("backoff")
    # bounded: start-up lines, then per period one summary (+ state changes, none here) whatever the misfires
    periods = elapsed / PERIOD + 2
    start_up = ("inventory_loaded", "inventory_applied", "polling_load", "polling_over_capacity")
    changes = ("device_down", "device_up", "protocol_down", "protocol_up")
    steady = [r for r in s.records() if r.get("event") not in start_up + changes]
    assert len(steady) <= periods, [r.get("event") for r in steady]
    assert len([r for r in s.records() if r.get("event") in changes]) <= 2  # the slow core, down at most once
    assert any(r["stage"] == "measured" for r in s.events("polling_over_capacity"))
    assert all(line.startswith("{") or line.startswith("thdmon serve:") for line in lines), lines[:5]
    assert all(r["ts"].endswith("Z") for r in s.records())


def test_a_silent_device_is_one_warning_and_its_recovery_one_info_with_the_outage(served: Served):
    s = served
    until("the device polled up", lambda: s.events("poll_summary"))
    s.lab.fail(SILENT, "silent")
    try:
        down = until("device_down warning", lambda: [r for r in s.events("device_down") if r["device"] == SILENT],
                     timeout=30)
        assert down[0]["level"] == "WARNING"
        assert (down[0]["site"], down[0]["protocol"], down[0]["reason"]) == ("cs-coubron", "snmp", "timeout")
        since = until("down-since metric", lambda: s.down_since(SILENT))
        assert time.time() - 60 < since <= time.time()
        # a few failed polls later still one line: state changes, not failures, are logged
        failures = lambda: sum(int(r["polls_failed"]) for r in s.events("poll_summary"))  # noqa: E731
        first = failures()
        until("more failed polls", lambda: failures() >= first + 2, timeout=30)
        assert len([r for r in s.events("device_down") if r["device"] == SILENT]) == 1
    finally:
        s.lab.heal(SILENT)
    up = until("device_up info", lambda: [r for r in s.events("device_up") if r["device"] == SILENT], timeout=30)
    assert up[0]["level"] == "INFO" and up[0]["site"] == "cs-coubron"
    assert float(up[0]["down_seconds"]) >= 1 and up[0]["down_for"].endswith("s")
    until("down-since gone", lambda: s.down_since(SILENT) is None)
