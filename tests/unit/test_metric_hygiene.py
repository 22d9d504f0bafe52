"""Metric hygiene over the catalogue (metrics/catalogue.py, "Hygiene") and the SNMP modules that map to it;
tests/e2e/test_metric_hygiene.py checks the same vocabulary on a real poll of the lab."""

from __future__ import annotations

import re

from collector.snmp.profile import Step, modules
from metrics import catalogue

# Labels that name an SNMP row for people (an entity name, cpu0), and the info series keeping that row's index.
NAMED_ROWS = {"cpu": "thdmon_cpu_info", "sensor": "thdmon_sensor_info"}

# Point-in-time words: such a metric must be a Unix timestamp.
_WHEN = re.compile(r"(^|_)(last|since|when|at)(_|$)")


def test_descriptive_labels_only_on_info_series():
    offenders = sorted((m.name, label) for m in catalogue.METRICS if m.type != "info"
                       for label in m.labels if label in catalogue.DESCRIPTIVE_LABELS)
    assert not offenders, offenders


def test_points_in_time_are_unix_timestamps():
    for m in catalogue.METRICS:
        if _WHEN.search(m.name.removeprefix("thdmon_").removesuffix("_timestamp_seconds")):
            assert m.name.endswith("_timestamp_seconds") and m.unit == "seconds" and m.type == "gauge", m.name
        if m.name.endswith("_timestamp_seconds"):
            assert "Unix time" in m.help or m.help.startswith(("When ", "End of ", "Arrival time")), m.name


def test_indexes_only_on_info_series_and_every_info_series_names_its_row():
    for m in catalogue.METRICS:
        indexes = [label for label in m.labels if label.endswith("index")]
        assert m.type == "info" or not indexes, (m.name, indexes)
    for label, info in NAMED_ROWS.items():  # joins the CPU or sensor metrics on the name, keeps the index
        assert catalogue.get(info).type == "info" and catalogue.get(info).labels == (label, f"{label}_index"), info
    interface_info = catalogue.get("thdmon_interface_info")
    assert {"ifname", "ifalias", "ifindex"} <= set(interface_info.labels)


def is_constant(steps: list[Step]) -> bool:
    return all(step.text is not None for step in steps)


def test_modules_naming_cpu_or_sensor_rows_keep_the_index_on_the_info_series():
    """A module whose readings name CPUs or sensors read from a table also emits the info series with the
    row's index; a constant name ("total" of a scalar) has no row to find."""
    missing, covered = [], set()
    for name, module in sorted(modules().items()):
        emitted = {m.metric for m in module.metrics}
        for metric in module.metrics:
            for label, info in NAMED_ROWS.items():
                steps = metric.labels.get(label)
                if steps is None or metric.metric == info or is_constant(steps):
                    continue
                covered.add(name)
                if info not in emitted:
                    missing.append((name, metric.metric, info))
    assert not missing, missing
    # not vacuous: the modules that name CPUs and sensors from tables are among those checked
    assert {"cisco_cpu_memory", "host_resources", "entity_sensor", "cisco_entity_sensor", "huawei_system",
            "aruba_cx_optics"} <= covered, sorted(covered)
