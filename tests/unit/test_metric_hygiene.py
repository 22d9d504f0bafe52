"""Metric hygiene over the catalogue (metrics/catalogue.py, "Hygiene"); tests/e2e/test_metric_hygiene.py
checks the same vocabulary on a real poll of the lab."""

from __future__ import annotations

import re

from metrics import catalogue

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
    cpu_info = catalogue.get("thdmon_cpu_info")
    assert cpu_info.labels == ("cpu", "cpu_index")  # joins the CPU metrics on `cpu`, keeps the index
    interface_info = catalogue.get("thdmon_interface_info")
    assert {"ifname", "ifalias", "ifindex"} <= set(interface_info.labels)
