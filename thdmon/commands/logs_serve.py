"""`thdmon logs serve`: the ingest process (RADIUS accounting, syslog NAT/DHCP -> spool -> database)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from connlog import keys
from connlog.errors import ConnlogError
from connlog.ingest.sources import Sources, from_inventory
from connlog.maintenance import Maintenance, MaintenanceConfig
from connlog.service import IngestService, ServiceConfig, describe, parse_address
from connlog.store import Store
from thdmon.settings import Settings


def _sources(settings: Settings) -> Sources:
    from inventory import InventoryError, load_inventory

    try:
        # No device yet is no NAS yet: the listeners start and drop (and count) what comes.
        inv = load_inventory(settings.inventory, settings.secrets_file, require_devices=False)
    except InventoryError as exc:
        raise ConnlogError(f"cannot load the inventory for the RADIUS NAS list: {exc}") from None
    return from_inventory(inv, inv.secret)


def _metrics_security(settings: Settings) -> dict[str, Any]:
    """/metrics beyond loopback: the same basic auth and TLS as `thdmon serve` ([collector] auth_user,
    auth_password_hash, tls_cert, tls_key): one rule, one configuration for every thdmon endpoint."""
    from thdmon.commands.serve import http_security

    security = http_security(settings)
    return {"metrics_auth": security.auth, "metrics_tls": security.tls}


def _sink_factory(url: str) -> Callable[[], Store]:
    """Opened by the feeder, so a database that is down at start-up is retried like a later outage."""

    def open_store() -> Store:
        return Store.open(url)

    return open_store


@click.command(name="serve")
@click.option("--radius", "radius", metavar="ADDR:PORT", help="RADIUS accounting UDP listen address "
              "(default: connlog.radius_listen); 'off' disables it")
@click.option("--syslog", "syslog", metavar="ADDR:PORT", help="syslog UDP+TCP listen address "
              "(default: connlog.syslog_listen); 'off' disables it")
@click.option("--metrics", "metrics", metavar="ADDR:PORT", help="ingest health /metrics "
              "(default: connlog.metrics_listen); 'off' disables it; beyond loopback it needs the basic auth of "
              "[collector] auth_user/auth_password_hash, like `thdmon serve`")
@click.option("--db", "db_url", metavar="URL", help="database URL (default: connlog.db_url, else SQLite in the "
              "state directory)")
@click.option("--spool", "spool_dir", type=click.Path(path_type=Path, file_okay=False),
              help="spool directory (default: connlog.spool_dir, else <state_dir>/connlog-spool)")
@click.option("--patterns", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="syslog patterns YAML (default: the shipped connlog/ingest/patterns.yaml)")
@click.option("--rfc3164-timezone", default="Europe/Paris", show_default=True,
              help="zone of BSD-syslog timestamps, which carry none")
@click.pass_context
def serve(ctx: click.Context, radius: str | None, syslog: str | None, metrics: str | None, db_url: str | None,
          spool_dir: Path | None, patterns: Path | None, rfc3164_timezone: str) -> None:
    """Receive RADIUS accounting and NAT/DHCP syslog, spool it durably, feed the database.

    Records are acknowledged to RADIUS clients only once fsync'd in the spool; the database may be down:
    the spool fills and drains when it is back. Stop with SIGTERM or Ctrl-C.
    """
    settings: Settings = ctx.obj["settings"]
    cl = settings.connlog

    def addr(value: str | None, default: str, what: str) -> tuple[str, int] | None:
        text = value or default
        return None if text == "off" else parse_address(text, what)

    config = ServiceConfig(
        spool_dir=spool_dir or Path(cl.spool_dir or settings.state_dir / "connlog-spool"),
        radius=addr(radius, cl.radius_listen, "--radius"),
        syslog=addr(syslog, cl.syslog_listen, "--syslog"),
        metrics=addr(metrics, cl.metrics_listen, "--metrics"),
        quarantine=settings.state_dir / "connlog-quarantine.log",
        patterns=patterns,
        rfc3164_timezone=rfc3164_timezone,
        **_metrics_security(settings),
    )
    sources = _sources(settings) if config.radius is not None or config.syslog is not None else Sources()
    logging.getLogger("connlog").setLevel(logging.DEBUG if ctx.obj.get("debug") else logging.WARNING)
    if not ctx.obj.get("debug"):  # one line a day: what was sealed and purged belongs in the service log
        logging.getLogger("connlog.maintenance").setLevel(logging.INFO)
    open_store = _sink_factory(db_url or settings.connlog_db_url)
    service = IngestService(config, sources, open_store)
    maintenance = Maintenance(
        MaintenanceConfig(key_path=keys.key_path(cl.signing_key, settings.state_dir),
                          technical_days=cl.technical_retention_days, identity_days=cl.identity_retention_days),
        open_store, service.metrics)
    click.echo(f"connlog ingest: {len(sources.nas)} RADIUS NAS, spool {config.spool_dir}", err=True)
    asyncio.run(service.serve_forever(started=lambda s: click.echo(f"connlog ingest: listening {describe(s)}",
                                                                   err=True),
                                      background=[maintenance.run]))


COMMANDS: list[click.Command] = [serve]
