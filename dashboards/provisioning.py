"""Grafana provisioning files: the Prometheus datasource the panels name, and a dashboard provider."""

from __future__ import annotations

from typing import Any

from dashboards.panels import DATASOURCE

DEFAULT_PROMETHEUS_URL = "http://127.0.0.1:9090"
DEFAULT_DASHBOARDS_PATH = "/var/lib/grafana/dashboards/thdmon"
FOLDER = "THD-SSD"


def datasource(prometheus_url: str = DEFAULT_PROMETHEUS_URL, scrape_interval: str = "60s") -> dict[str, Any]:
    """The datasource every panel refers to by uid. `timeInterval` is the scrape interval, so that
    Grafana's `$__rate_interval` always spans at least four scrapes."""
    return {"apiVersion": 1, "datasources": [{
        "name": "thdmon Prometheus", "type": DATASOURCE["type"], "uid": DATASOURCE["uid"], "access": "proxy",
        "url": prometheus_url, "isDefault": False, "editable": False,
        "jsonData": {"timeInterval": scrape_interval, "httpMethod": "POST"}}]}


def provider(dashboards_path: str = DEFAULT_DASHBOARDS_PATH) -> dict[str, Any]:
    """Grafana loads every JSON file of `dashboards_path`; edits in the UI are refused (they would be lost)."""
    return {"apiVersion": 1, "providers": [{
        "name": "thdmon", "folder": FOLDER, "type": "file", "disableDeletion": True, "allowUiUpdates": False,
        "updateIntervalSeconds": 60, "options": {"path": dashboards_path}}]}
