"""Metric hygiene over a real poll of the lab: one device of every (profile, role) of the sample, the
real-device recordings of ../shared included, polled once by `thdmon collect --once --json`.

The rules (metrics/catalogue.py, "Hygiene") that only a poll can show: no empty label value outside the
`*_info` series; CPU and sensor labels are names, not SNMP indexes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from inventory import load_inventory
from lab.inventory_files import write_sample_subset
from lab.sample import generate
from lab.snmp.snmpd import free_udp_port
from lab.supervisor import lab_running
from metrics import catalogue
from tests.conftest import ROOT, SHARED
from tests.unit.test_metric_hygiene import PENDING_IFALIAS

pytestmark = pytest.mark.slow

NAMED = ("cpu", "sensor")  # labels that must read as names


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("hygiene")
    inv = load_inventory(generate.DATA_DIR, check_secrets=False)
    recordings = SHARED / "snmprec" if (SHARED / "snmprec").is_dir() else None
    one_each: dict[tuple[str | None, str], str] = {}
    for hostname, device in sorted(inv.devices.items()):
        if device.snmp and not hostname.startswith("rec-"):
            one_each.setdefault((device.profile, device.role.value), hostname)
    devices = sorted(one_each.values())
    if recordings is None:
        print(f"\nmetric hygiene: {SHARED / 'snmprec'} absent, real-device recordings not polled")
    port = free_udp_port()
    with lab_running(work / "lab", inv, generate.DATA_DIR, processes=1, port=port, only=set(devices),
                     recordings_dir=recordings, timeout=120):
        secrets = write_sample_subset(work / "inventory", devices, snmp_port=port).secrets
        env = {**os.environ, "THDMON_STATE_DIR": str(work / "state"), "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-m", "thdmon", "--inventory", str(work / "inventory"), "--secrets",
                              str(secrets), "collect", "--once", "--protocol", "snmp", "--json"],
                             capture_output=True, text=True, env=env, cwd=work, timeout=300)
    report = json.loads(out.stdout)
    yield report


def _samples(report: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, device in report["devices"].items():
        for protocol in device["protocols"].values():
            for sample in protocol["samples"]:
                yield name, sample


def test_every_chosen_device_answered(polled: dict[str, Any]):
    down = {n: d for n, d in polled["devices"].items() if not d["up"]}
    assert not down, down


def test_no_empty_label_value_outside_info_series(polled: dict[str, Any]):
    empty = sorted({(name, s["metric"], label) for name, s in _samples(polled)
                    if catalogue.get(s["metric"]).type != "info"
                    for label, value in s["labels"].items() if value == ""
                    and not (label == "ifalias" and s["metric"] in PENDING_IFALIAS)})
    assert not empty, empty


def test_cpu_and_sensor_labels_are_names_not_indexes(polled: dict[str, Any]):
    numeric = sorted({(name, s["metric"], label, s["labels"][label]) for name, s in _samples(polled)
                      for label in NAMED if re.fullmatch(r"[\d.]+", s["labels"].get(label, "x"))})
    assert not numeric, numeric
