"""The simulated département end to end: the lab (snmpsim) serving one commune and its uplinks,
`thdmon serve` polling it (subprocess), and Debian's prometheus scraping serve every second.

Peers are real and started here on free ports; nothing is mocked. The serve inventory is a filtered
copy of the sample (only the chosen devices, the sites they need, `snmp_port` set to the lab's port)
with its lab secrets in a 0600 file of the test's own.
"""

from __future__ import annotations

import os
import shutil
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from inventory.model import Inventory
from lab.inventory_files import chosen_devices
from lab.subset import sample_inventory, sample_subset, start_serve, stop
from lab.supervisor import Lab
from tests.conftest import ROOT, require
from tests.peers import free_tcp_port, prometheus_query, start_prometheus, until

COMMUNE = "Coubron"  # two departmental sites, one access switch each: small enough to poll every 5 s


@dataclass
class Departement:
    """The running chain: lab -> serve -> prometheus."""

    lab: Lab
    inv: Inventory
    devices: list[str]
    serve_port: int
    prom_port: int
    serve_log: Path

    def metrics_text(self) -> str:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.serve_port}/metrics", timeout=5) as r:
                return r.read().decode()
        except OSError:
            return ""

    def samples(self, name: str, device: str) -> list[Any]:
        """Samples of one metric family member (`name` as exposed, e.g. `..._total`) for one device."""
        return [s for family in text_string_to_metric_families(self.metrics_text()) for s in family.samples
                if s.name == name and s.labels.get("device") == device]

    def query(self, expr: str) -> list[dict[str, Any]]:
        return prometheus_query(self.prom_port, expr)

    def value(self, expr: str) -> float | None:
        """The single value of an instant query, or None when it returns nothing."""
        result = self.query(expr)
        assert len(result) <= 1, f"{expr}: {len(result)} series"
        return float(result[0]["value"][1]) if result else None

    def eventually(self, what: str, expr: str, predicate: Any, timeout: float = 20.0) -> float:
        """Poll Prometheus until `predicate(value of expr)` holds; returns the value."""
        def probe() -> tuple[float] | None:
            value = self.value(expr)
            return (value,) if value is not None and predicate(value) else None

        return until(what, probe, timeout=timeout)[0]


# `thdmon serve` settings for a small lab: fast polls, quick retries
SMALL_LAB = {
    "THDMON_COLLECTOR__FAST_INTERVAL": "5", "THDMON_COLLECTOR__SLOW_INTERVAL": "10",
    "THDMON_COLLECTOR__ICMP_INTERVAL": "5",
    # one retry: a loaded machine must not make a healthy core look silent
    "THDMON_COLLECTOR__TIMEOUT": "1", "THDMON_COLLECTOR__RETRIES": "1",
    # a healed device is polled again within seconds, not after the 30 s default backoff
    "THDMON_COLLECTOR__BACKOFF_BASE": "1", "THDMON_COLLECTOR__BACKOFF_CAP": "2",
    # the protocols these tests are about (SSH, on by default, has its own: tests/integration/ssh)
    "THDMON_COLLECTOR__PROTOCOLS": "snmp,icmp"}


def serve_env(work: Path) -> dict[str, str]:
    """The environment of a thdmon command beside the small lab's serve (state in `work`)."""
    return {**os.environ, "THDMON_STATE_DIR": str(work / "state"), "PYTHONPATH": str(ROOT), **SMALL_LAB}


@pytest.fixture(scope="module")
def departement(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Departement]:
    require(shutil.which("prometheus") is not None, "prometheus not installed (apt-get install prometheus)")
    require(shutil.which("snmpget") is not None, "net-snmp client tools (Debian package snmp) are missing")
    work = tmp_path_factory.mktemp("departement")
    inv = sample_inventory()
    with sample_subset(work, inv, chosen_devices(inv, COMMUNE)) as subset:
        serve_port = free_tcp_port()
        serve_log = work / "serve.log"
        serve = start_serve(work, subset, serve_port, SMALL_LAB, log=serve_log)
        prom, prom_port = start_prometheus(work, serve_port)
        try:
            yield Departement(subset.lab, inv, subset.devices, serve_port, prom_port, serve_log)
        finally:
            stop(prom, serve)
