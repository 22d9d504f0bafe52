"""Metric hygiene over a real poll of the lab: one device of every (profile, role) of the sample, the
real-device recordings of ../shared included, polled once by `thdmon collect --once --json`.

The rules (metrics/catalogue.py, "Hygiene") over what the devices really answered: descriptive labels
(ifalias, ...) only on `*_info` series; no empty label value outside them; CPU and sensor labels are names,
not SNMP indexes, each name with its index on thdmon_cpu_info / thdmon_sensor_info.
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

from collector.snmp.profile import modules
from lab.subset import sample_inventory, sample_subset
from metrics import catalogue
from tests.conftest import ROOT, SHARED
from tests.unit.test_metric_hygiene import NAMED_ROWS, is_constant

pytestmark = pytest.mark.slow

NAMED = ("cpu", "sensor")  # labels that must read as names


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("hygiene")
    inv = sample_inventory()
    recordings = SHARED / "snmprec" if (SHARED / "snmprec").is_dir() else None
    one_each: dict[tuple[str | None, str], str] = {}
    for hostname, device in sorted(inv.devices.items()):
        if device.snmp and not hostname.startswith("rec-"):
            one_each.setdefault((device.profile, device.role.value), hostname)
    devices = sorted(one_each.values())
    if recordings is None:
        print(f"\nmetric hygiene: {SHARED / 'snmprec'} absent, real-device recordings not polled")
    with sample_subset(work, inv, devices, recordings_dir=recordings) as subset:
        env = {**os.environ, "THDMON_STATE_DIR": str(work / "state"), "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-m", "thdmon", "--inventory", str(subset.inventory), "--secrets",
                              str(subset.secrets), "collect", "--once", "--protocol", "snmp", "--json"],
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
                    for label, value in s["labels"].items() if value == ""})
    assert not empty, empty


def test_cpu_and_sensor_labels_are_names_not_indexes(polled: dict[str, Any]):
    numeric = sorted({(name, s["metric"], label, s["labels"][label]) for name, s in _samples(polled)
                      for label in NAMED if re.fullmatch(r"[\d.]+", s["labels"].get(label, "x"))})
    assert not numeric, numeric


def test_descriptive_labels_only_on_info_series(polled: dict[str, Any]):
    offenders = sorted({(name, s["metric"], label) for name, s in _samples(polled)
                        if catalogue.get(s["metric"]).type != "info"
                        for label in s["labels"] if label in catalogue.DESCRIPTIVE_LABELS})
    assert not offenders, offenders
    # ...and the alias is there to join on: the lab's uplink ports say `uplink <peer> <port>`
    aliases = [s["labels"]["ifalias"] for _, s in _samples(polled) if s["metric"] == "thdmon_interface_info"]
    assert any(a.startswith("uplink ") for a in aliases), sorted(set(aliases))[:20]


def test_every_cpu_and_sensor_name_has_its_index_on_the_info_series(polled: dict[str, Any]):
    # Names a module gives as a constant (a scalar's "total", "internal") have no row, hence no info series.
    constants = {step.text for module in modules().values() for metric in module.metrics
                 for label in NAMED_ROWS if (steps := metric.labels.get(label)) is not None and is_constant(steps)
                 for step in steps}
    named: set[tuple[str, str, str]] = set()
    indexed: set[tuple[str, str, str]] = set()
    for name, s in _samples(polled):
        for label, info in NAMED_ROWS.items():
            value = s["labels"].get(label)
            if value is None:
                continue
            if s["metric"] == info:
                assert s["labels"][f"{label}_index"], (name, s)
                indexed.add((name, label, value))
            elif value not in constants:
                named.add((name, label, value))
    assert named, "no CPU or sensor read from a table in the lab"
    assert not named - indexed, sorted(named - indexed)
