"""`thdmon serve`: poll the inventory's devices forever and serve /metrics."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import click
import prometheus_client
from pydantic import SecretStr

from alerts.policy import load_policy
from collector import loop
from collector.errors import CollectorError
from collector.limits import DeviceBackoff
from collector.poller import PollerOptions, build_pollers
from collector.schedule import Defaults
from collector.service import PollingService, ServiceOptions, default_watch_paths
from collector.shard import parse_shard
from collector.snmp.poller import SnmpPoller
from collector.snmp.trapwatch import TrapWatch
from collector.ssh.first import FirstBackup
from collector.ssh.poller import SshPoller
from collector.uplinks import UplinkLoad
from exporters import exposition
from exporters.exposition import DeviceExposition
from exporters.http import BasicAuth, MetricsServer, Page, Tls, is_loopback, parse_listen
from exporters.prometheus import SelfMetrics
from exporters.sites import SiteMetrics, SiteView
from inventory.loader import load_inventory
from inventory.model import Device, Inventory
from inventory.secrets import load_secrets_file, resolve
from thdmon.settings import Settings

log = logging.getLogger("thdmon.serve")
SECRET_SCHEMES = ("env:", "file:")


@dataclass(frozen=True, slots=True)
class HttpSecurity:
    auth: BasicAuth | None
    tls: Tls | None


def _password_hash(value: str, settings: Settings) -> SecretStr:
    """A secret reference (env:NAME, file:NAME) resolved like the inventory's, or the hash itself."""
    if not value.startswith(SECRET_SCHEMES):
        return SecretStr(value)  # BasicAuth refuses anything that is not a bcrypt or sha256 hash
    secrets_file, problems = load_secrets_file(settings.secrets_file, None)
    if problems:
        raise CollectorError("; ".join(str(p) for p in problems))
    resolved = resolve(value, secrets_file, os.environ)
    if isinstance(resolved, str):
        raise CollectorError(f"collector.auth_password_hash / --auth-password-hash: {resolved}")
    return resolved


def http_security(settings: Settings, *, auth_user: str | None = None, auth_ref: str | None = None,
                  tls_cert: Path | None = None, tls_key: Path | None = None) -> HttpSecurity:
    """Basic auth and TLS of /metrics: `[collector]` settings, each overridden by its flag."""
    collector = settings.collector
    user = auth_user if auth_user is not None else collector.auth_user
    ref = auth_ref if auth_ref is not None else collector.auth_password_hash
    if bool(user) != bool(ref):
        raise CollectorError("collector.auth_user and collector.auth_password_hash (--auth-user, "
                             "--auth-password-hash) go together")
    auth = BasicAuth(user, _password_hash(ref, settings)) if user else None
    cert = tls_cert if tls_cert is not None else (Path(collector.tls_cert) if collector.tls_cert else None)
    key = tls_key if tls_key is not None else (Path(collector.tls_key) if collector.tls_key else None)
    if (cert is None) != (key is None):
        raise CollectorError("collector.tls_cert and collector.tls_key (--tls-cert, --tls-key) go together")
    for path in (cert, key):
        if path is not None and not path.is_file():
            raise CollectorError(f"TLS file {path} does not exist or is not a file")
    return HttpSecurity(auth, Tls(cert, key) if cert and key else None)


def check_listen(listen: str, security: HttpSecurity) -> None:
    """Beyond loopback /metrics maps the whole network: refuse to serve it without authentication."""
    host, _ = parse_listen(listen)
    if not is_loopback(host) and security.auth is None:
        raise CollectorError(
            f"refusing to listen on {listen}: beyond loopback /metrics requires HTTP basic authentication; set "
            "collector.auth_user and collector.auth_password_hash (thdmon.toml, THDMON_COLLECTOR__AUTH_USER, "
            "THDMON_COLLECTOR__AUTH_PASSWORD_HASH) or --auth-user/--auth-password-hash, or listen on 127.0.0.1")


def poller_options(settings: Settings, engine: str | None = None) -> PollerOptions:
    c = settings.collector
    return PollerOptions(engine=engine or c.engine, timeout=c.timeout, retries=c.retries, icmp_count=c.icmp_count,
                         state_dir=str(settings.state_dir), ssh_pool=c.ssh_pool,
                         ssh_connect_timeout=c.ssh_connect_timeout, ssh_auth_timeout=c.ssh_auth_timeout,
                         ssh_command_timeout=c.ssh_command_timeout, ssh_session_timeout=c.ssh_session_timeout,
                         ssh_max_output=c.ssh_max_output, config_batch=c.config_batch)


def trap_listen(text: str) -> tuple[str, int] | None:
    """'HOST:PORT' or 'off'."""
    if text.strip().lower() == "off":
        return None
    return parse_listen(text)


@click.command(name="serve")
@click.option("--listen", default=None, help="HOST:PORT of /metrics (default: collector.listen, 127.0.0.1:9810)")
@click.option("--shard", default=None, help="K/N: poll only the sites of shard K among N (default: 1/1)")
@click.option("--engine", type=click.Choice(["gufo", "pysnmp"]), default=None, help="SNMP engine")
@click.option("--traps", "traps", default=None, metavar="HOST:PORT|off",
              help="SNMP trap receiver (default: collector.trap_listen, 127.0.0.1:10162); a trap re-polls its device")
@click.option("--auth-user", default=None, help="basic-auth user required on /metrics (collector.auth_user)")
@click.option("--auth-password-hash", "auth_ref", default=None, metavar="env:NAME|file:NAME",
              help="secret reference to the password's bcrypt ($2b$...) or sha256:<hex> hash")
@click.option("--tls-cert", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None)
@click.option("--tls-key", type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None)
@click.option("--reload-interval", type=click.FloatRange(min=0.2), default=5.0, show_default=True,
              help="seconds between checks of the inventory files for changes (SIGHUP reloads at once)")
@click.pass_context
def cli(ctx: click.Context, listen: str | None, shard: str | None, engine: str | None, traps: str | None,
        auth_user: str | None, auth_ref: str | None, tls_cert: Path | None, tls_key: Path | None,
        reload_interval: float) -> None:
    """Poll the devices on their intervals and serve /metrics and /healthz until SIGTERM."""
    settings: Settings = ctx.obj["settings"]
    if not ctx.obj.get("debug"):
        logging.getLogger().setLevel(logging.INFO)  # a service logs its events; one line per job run is noise:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    collector = settings.collector
    listen = listen or collector.listen
    security = http_security(settings, auth_user=auth_user, auth_ref=auth_ref, tls_cert=tls_cert, tls_key=tls_key)
    check_listen(listen, security)
    backoff = DeviceBackoff(base=collector.backoff_base, cap=collector.backoff_cap)  # bounds checked by settings
    prometheus_client.disable_created_metrics()  # `_created` series of self-metrics: noise for Prometheus

    def load() -> Inventory:
        return load_inventory(settings.inventory, settings.secrets_file)

    inventory = load()  # a broken inventory at start is an error, not a silent empty service
    metrics = SelfMetrics()
    # A protocol that cannot run here (ICMP without the privilege) fails now, saying what to grant.
    pollers = build_pollers(collector.protocols, inventory, poller_options(settings, engine))
    options = ServiceOptions(
        shard=parse_shard(shard or collector.shard),
        defaults=Defaults(fast=collector.fast_interval, slow=collector.slow_interval, icmp=collector.icmp_interval,
                          config=collector.config_interval, facts=collector.facts_interval),
        concurrency=collector.concurrency, reload_interval=reload_interval,
        watch_paths=default_watch_paths(settings.inventory, settings.secrets_file), backoff=backoff,
        summary_interval=collector.log_summary_interval)
    service = PollingService(load, pollers, options, observer=metrics, reload_observer=metrics)
    traps_at = trap_listen(traps or collector.trap_listen)
    snmp = next((p for p in pollers if isinstance(p, SnmpPoller)), None)
    if traps_at is not None and snmp is not None:
        watch = TrapWatch(traps_at, lambda hostname: service.scheduler.trigger(hostname, "snmp"), snmp.engine_id)
        service.companions.append(watch)
        metrics.watch_traps(watch.counts)
    ssh = next((p for p in pollers if isinstance(p, SshPoller)), None)
    if ssh is not None:  # devices never backed up are backed up now, not at their phase of the day
        service.companions.append(FirstBackup(ssh, service.scheduler.trigger))
    devices = DeviceExposition(service.store)

    def on_inventory(inventory: Inventory, enabled: Mapping[str, Device]) -> None:
        devices.set_identities(exposition.device_identities(inventory, enabled.values()))

    options.on_inventory.append(on_inventory)
    # thdmon_site_* rolled up from the store at each scrape; uplinks told and judged as the alert rules do
    policy = load_policy()
    sites = SiteView(service.store, uplinks=UplinkLoad(policy.uplink_alias_regex,
                                                       policy.thresholds.uplink_saturation_ratio))
    options.on_inventory.append(sites.set_inventory)
    metrics.registry.register(SiteMetrics(sites.snapshot))
    metrics.watch_devices(service.store, lambda: service.scheduler.devices.keys())
    metrics.watch_load(service.scheduler.limiter, service.store)
    def page(part: exposition.Part) -> Page:
        return Page(lambda accept: exposition.render(devices, metrics.registry, accept, part=part),
                    lambda accept: exposition.render(devices, metrics.registry, accept, gzipped=True, part=part))

    # the whole page, and its two parts for the two scrape jobs of exporters/prometheus.yml
    whole = page(None)
    server = MetricsServer(listen, whole.body, service.health, auth=security.auth, tls=security.tls,
                           gzip_body=whole.gzip_body, parts={part: page(part) for part in exposition.PARTS})
    metrics.watch_http(server.rejections.counts)
    host, port = server.address
    scheme = "https" if security.tls else "http"

    async def main() -> None:
        service.apply(inventory)
        loop.settle_heap()
        server.start()
        trapping = traps_at is not None and snmp is not None
        trap_note = "traps on {}:{}".format(*traps_at) if trapping else "traps off"
        click.echo(f"thdmon serve: {scheme}://{host}:{port}/metrics, shard {options.shard}, "
                   f"{len(service.scheduler.devices)} devices, {'+'.join(service.scheduler.protocols)}, "
                   f"{trap_note}", err=True)
        try:
            await service.run(asyncio.Event())
        finally:
            server.stop()

    loop.run(main())
