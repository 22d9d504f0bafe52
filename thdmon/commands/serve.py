"""`thdmon serve`: poll the inventory's devices forever and serve /metrics."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from pathlib import Path

import click
import prometheus_client

from collector.errors import CollectorError
from collector.schedule import Defaults
from collector.service import PollingService, ServiceOptions, SnmpPoller, default_watch_paths
from collector.shard import parse_shard
from exporters import exposition
from exporters.exposition import DeviceExposition
from exporters.http import BasicAuth, MetricsServer, Tls
from exporters.prometheus import SelfMetrics
from inventory.loader import load_inventory
from inventory.model import Device, Inventory
from inventory.secrets import load_secrets_file, resolve
from thdmon.settings import Settings

log = logging.getLogger("thdmon.serve")


def _auth(user: str | None, ref: str | None, settings: Settings) -> BasicAuth | None:
    if user is None and ref is None:
        return None
    if user is None or ref is None:
        raise CollectorError("--auth-user and --auth-password-hash go together")
    secrets_file, problems = load_secrets_file(settings.secrets_file, None)
    if problems:
        raise CollectorError("; ".join(str(p) for p in problems))
    value = resolve(ref, secrets_file, os.environ)
    if isinstance(value, str):
        raise CollectorError(f"--auth-password-hash: {value}")
    return BasicAuth(user, value)


@click.command(name="serve")
@click.option("--listen", default=None, help="HOST:PORT of /metrics (default: collector.listen, 127.0.0.1:9810)")
@click.option("--shard", default=None, help="K/N: poll only the sites of shard K among N (default: 1/1)")
@click.option("--engine", type=click.Choice(["gufo", "pysnmp"]), default=None, help="SNMP engine")
@click.option("--auth-user", default=None, help="basic-auth user required on /metrics")
@click.option("--auth-password-hash", "auth_ref", default=None, metavar="env:NAME|file:NAME",
              help="secret reference to the password's bcrypt ($2b$...) or sha256:<hex> hash")
@click.option("--tls-cert", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None)
@click.option("--tls-key", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None)
@click.option("--reload-interval", type=click.FloatRange(min=0.2), default=5.0, show_default=True,
              help="seconds between checks of the inventory files for changes (SIGHUP reloads at once)")
@click.pass_context
def cli(ctx: click.Context, listen: str | None, shard: str | None, engine: str | None, auth_user: str | None,
        auth_ref: str | None, tls_cert: Path | None, tls_key: Path | None, reload_interval: float) -> None:
    """Poll the devices on their intervals and serve /metrics and /healthz until SIGTERM."""
    settings: Settings = ctx.obj["settings"]
    if not ctx.obj.get("debug"):
        logging.getLogger().setLevel(logging.INFO)  # a service logs its events; one line per job run is noise:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    collector = settings.collector
    if (tls_cert is None) != (tls_key is None):
        raise CollectorError("--tls-cert and --tls-key go together")
    tls = Tls(tls_cert, tls_key) if tls_cert and tls_key else None
    auth = _auth(auth_user, auth_ref, settings)
    prometheus_client.disable_created_metrics()  # `_created` series of self-metrics: noise for Prometheus

    def load() -> Inventory:
        return load_inventory(settings.inventory, settings.secrets_file, state_dir=settings.state_dir)

    metrics = SelfMetrics()
    holder: dict[str, PollingService] = {}
    poller = SnmpPoller(lambda: holder["service"].inventory, engine=engine or collector.engine,
                        timeout=collector.timeout, retries=collector.retries)
    options = ServiceOptions(
        shard=parse_shard(shard or collector.shard),
        defaults=Defaults(fast=collector.fast_interval, slow=collector.slow_interval),
        classes=("fast",),  # collector.snmp.poll reads every module at once: one class until it splits them
        concurrency=collector.concurrency, reload_interval=reload_interval,
        watch_paths=default_watch_paths(settings.inventory, settings.secrets_file))
    service = holder["service"] = PollingService(load, poller, options, observer=metrics, reload_observer=metrics)
    devices = DeviceExposition(service.store)

    def on_inventory(inventory: Inventory, enabled: Mapping[str, Device]) -> None:
        devices.set_identities(exposition.device_identities(inventory, enabled.values()))

    options.on_inventory.append(on_inventory)
    metrics.watch_devices(service.store, lambda: service.scheduler.devices.keys())
    server = MetricsServer(listen or collector.listen,
                           lambda accept: exposition.render(devices, metrics.registry, accept),
                           service.health, auth=auth, tls=tls)
    host, port = server.address
    scheme = "https" if tls else "http"

    async def main() -> None:
        service.apply(load())  # a broken inventory at start is an error, not a silent empty service
        server.start()
        click.echo(f"thdmon serve: {scheme}://{host}:{port}/metrics, shard {options.shard}, "
                   f"{len(service.scheduler.devices)} devices", err=True)
        try:
            await service.run(asyncio.Event())
        finally:
            server.stop()

    asyncio.run(main())
