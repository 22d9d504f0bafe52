"""`thdmon portal serve`: build the portal from the settings and run it (uvicorn), TLS-capable.

Loopback by default, like every thdmon service. Beyond loopback the login form would carry passwords
over the network, so the portal refuses to start unless it serves TLS itself (`tls_cert`/`tls_key`)
or declares a TLS reverse proxy in front (`behind_proxy`, whose X-Forwarded-* headers are trusted
from loopback only). Session cookies are Secure in both cases.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette

from connlog import keys
from connlog.store import Store
from exporters.http import is_loopback, parse_listen
from portal.accounts import Accounts
from portal.app import create_app
from portal.context import PortalContext
from portal.db import open_engine
from portal.directory import Directory
from portal.errors import PortalError
from portal.metrics import PortalMetrics
from portal.sessions import Sessions
from portal.throttle import LoginThrottle

log = logging.getLogger(__name__)
TRUSTED_PROXIES = "127.0.0.1,::1"


class Tuning(Protocol):
    """The `[portal]` settings the application reads (thdmon.settings.PortalSettings)."""

    session_idle_minutes: int
    session_max_hours: int
    login_free_failures: int
    login_window_seconds: int
    login_max_delay_seconds: int
    login_failure_delay: float
    opendata_threshold: int
    ldap_url: str
    ldap_user_dn: str
    ldap_auditor_group: str
    ldap_admin_group: str


@dataclass(frozen=True)
class PortalConfig:
    """Where the portal finds its data, given by the CLI (thdmon) from the settings."""

    connlog_db_url: str
    portal_db_url: str
    signing_key: Path
    inventory: Path
    secrets_file: Path | None
    tuning: Tuning


@dataclass(frozen=True)
class ServeOptions:
    listen: str
    tls_cert: str = ""
    tls_key: str = ""
    behind_proxy: bool = False
    metrics_listen: str = "off"


def check_exposure(options: ServeOptions) -> None:
    host, _ = parse_listen(options.listen)
    if is_loopback(host) or options.tls_cert or options.behind_proxy:
        return
    raise PortalError(f"refusing to listen on {host} in clear text: passwords would cross the network; give "
                      "--tls-cert/--tls-key, or --behind-proxy for a TLS reverse proxy, or listen on 127.0.0.1")


def _inventory_facts(cfg: PortalConfig) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Parks (open data) and the NAS expected to send (health); empty if the inventory cannot be read."""
    from inventory import InventoryError, load_inventory

    try:
        inv = load_inventory(cfg.inventory, cfg.secrets_file, check_secrets=False)
    except InventoryError as exc:
        log.warning("event=portal_inventory_unavailable error=%s", str(exc).splitlines()[0][:200])
        return (), ()
    parks = tuple(sorted(s.id for s in inv.sites.values() if s.kind.value == "park"))
    nas = tuple(sorted(("radius", d.hostname) for d in inv.devices.values() if d.radius and d.site in parks))
    return parks, nas


def build_context(cfg: PortalConfig, *, secure_cookies: bool) -> PortalContext:
    p = cfg.tuning
    if not cfg.signing_key.exists():
        # Never create one here: exports signed by a key other than the seals' would not verify.
        raise PortalError(f"the sealing key {cfg.signing_key} does not exist: run the portal with the state "
                          "directory (or connlog.signing_key) of the store it serves, after `thdmon logs seal` "
                          "or `thdmon logs serve` created it")
    engine = open_engine(cfg.portal_db_url)
    parks, expected = _inventory_facts(cfg)
    directory = None
    if p.ldap_url:
        try:
            import ldap3  # noqa: F401
        except ImportError:
            raise PortalError("portal.ldap_url is set but ldap3 is not installed: pip install 'thdmon[ldap]'") from None
        if "{user}" not in p.ldap_user_dn:
            raise PortalError("portal.ldap_user_dn must contain {user}, e.g. uid={user},ou=people,dc=example,dc=fr")
        directory = Directory(p.ldap_url, p.ldap_user_dn, p.ldap_auditor_group, p.ldap_admin_group)
    return PortalContext(
        store=Store.open(cfg.connlog_db_url),
        accounts=Accounts(engine),
        sessions=Sessions(engine, idle=p.session_idle_minutes * 60, maximum=p.session_max_hours * 3600),
        throttle=LoginThrottle(free=p.login_free_failures, window=p.login_window_seconds,
                               max_delay=p.login_max_delay_seconds),
        metrics=PortalMetrics(),
        signing_key=keys.load_or_create(cfg.signing_key),
        secure_cookies=secure_cookies, failure_delay=p.login_failure_delay,
        opendata_threshold=p.opendata_threshold, parks=parks, expected_sources=expected, directory=directory)


def serve(cfg: PortalConfig, options: ServeOptions) -> None:
    import uvicorn

    check_exposure(options)
    for path in (options.tls_cert, options.tls_key):
        if path and not Path(path).is_file():
            raise PortalError(f"TLS file {path} does not exist")
    ctx = build_context(cfg, secure_cookies=bool(options.tls_cert) or options.behind_proxy)
    app: Starlette = create_app(ctx)
    metrics = _metrics_server(options.metrics_listen, ctx.metrics)
    host, port = parse_listen(options.listen)
    config = uvicorn.Config(app, host=host, port=port, ssl_certfile=options.tls_cert or None,
                            ssl_keyfile=options.tls_key or None, proxy_headers=options.behind_proxy,
                            forwarded_allow_ips=TRUSTED_PROXIES if options.behind_proxy else "",
                            server_header=False, date_header=False, access_log=False, log_config=None,
                            lifespan="off", timeout_keep_alive=5, limit_concurrency=200)
    scheme = "https" if options.tls_cert else "http"
    log.warning("event=portal_started url=%s://%s:%d metrics=%s", scheme, host, port, options.metrics_listen)
    print(f"portal: {scheme}://{options.listen}/ (Ctrl-C to stop)", flush=True)
    try:
        uvicorn.Server(config).run()
    finally:
        if metrics is not None:
            metrics.stop()
        ctx.store.close()
        ctx.accounts.engine.dispose()


def _metrics_server(listen: str, metrics: PortalMetrics) -> object | None:
    if listen == "off":
        return None
    from exporters.http import MetricsServer

    server = MetricsServer(listen, lambda accept: (generate_latest(metrics.registry), CONTENT_TYPE_LATEST),
                           lambda: (True, "ok"))
    server.start()
    return server
