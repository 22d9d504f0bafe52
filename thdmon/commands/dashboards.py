"""`thdmon dashboards build`: write the Grafana dashboards and provisioning files (thin wiring)."""

from __future__ import annotations

from pathlib import Path

import click

from dashboards.build import files, write
from dashboards.provisioning import DEFAULT_DASHBOARDS_PATH, DEFAULT_PROMETHEUS_URL


@click.group(name="dashboards")
def cli() -> None:
    """Grafana dashboards generated from the metric catalogue (never edited by hand)."""


@cli.command("build")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="directory to write dashboards/*.json and provisioning/ into")
@click.option("--prometheus-url", default=DEFAULT_PROMETHEUS_URL, show_default=True,
              help="URL of the Prometheus the datasource provisioning file points Grafana to")
@click.option("--dashboards-path", default=DEFAULT_DASHBOARDS_PATH, show_default=True,
              help="where Grafana will read the JSON files (the dashboard provider's path)")
def build(out_dir: Path, prometheus_url: str, dashboards_path: str) -> None:
    """Write every dashboard and the provisioning files, deterministically (stable uids, sorted keys)."""
    for path in write(out_dir, files(prometheus_url, dashboards_path)):
        click.echo(str(path))
