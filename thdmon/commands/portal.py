"""`thdmon portal`: the auditor portal (serve) and its local accounts (add-user, passwd, disable, list)."""

from __future__ import annotations

import sys

import click

from portal.accounts import ROLES, Accounts
from portal.db import open_engine
from portal.errors import PortalError
from thdmon.settings import Settings


def _accounts(ctx: click.Context) -> Accounts:
    settings: Settings = ctx.obj["settings"]
    return Accounts(open_engine(settings.portal_db_url))


def _password(from_stdin: bool) -> str:
    # Never on the command line (visible in ps and the shell history): a prompt, or one line of stdin.
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


password_stdin = click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")


@click.group(name="portal")
def cli() -> None:
    """Auditor portal: the connection logs in a browser, for auditors and the legal officer."""


@cli.command(name="serve")
@click.option("--listen", help="ADDR:PORT (default: portal.listen, 127.0.0.1:9820)")
@click.option("--tls-cert", help="certificate (PEM) to serve HTTPS")
@click.option("--tls-key", help="its private key (PEM)")
@click.option("--behind-proxy", is_flag=True, default=None, help="a TLS reverse proxy on loopback is in front")
@click.option("--metrics", "metrics_listen", help="ADDR:PORT of the portal's /metrics, or off")
@click.pass_context
def serve_cmd(ctx: click.Context, listen: str | None, tls_cert: str | None, tls_key: str | None,
              behind_proxy: bool | None, metrics_listen: str | None) -> None:
    """Serve the portal (loopback by default; beyond it, TLS here or behind a TLS reverse proxy)."""
    from connlog import keys
    from portal.server import PortalConfig, ServeOptions, serve

    settings: Settings = ctx.obj["settings"]
    p = settings.portal
    cert, key = tls_cert if tls_cert is not None else p.tls_cert, tls_key if tls_key is not None else p.tls_key
    if bool(cert) != bool(key):
        raise PortalError("--tls-cert and --tls-key go together")
    cfg = PortalConfig(connlog_db_url=settings.connlog_db_url, portal_db_url=settings.portal_db_url,
                       signing_key=keys.key_path(settings.connlog.signing_key, settings.state_dir),
                       inventory=settings.inventory, secrets_file=settings.secrets_file, tuning=p)
    serve(cfg, ServeOptions(listen=listen or p.listen, tls_cert=cert, tls_key=key,
                                 behind_proxy=p.behind_proxy if behind_proxy is None else behind_proxy,
                                 metrics_listen=metrics_listen or p.metrics_listen))


@cli.command(name="add-user")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="auditor: search, export; admin: accounts, journal")
@password_stdin
@click.pass_context
def add_user_cmd(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Create a local account (argon2id password hash)."""
    account = _accounts(ctx).add(name, role, _password(password_stdin))
    click.echo(f"account {account.name} created, role {account.role}")


@cli.command(name="passwd")
@click.argument("name")
@password_stdin
@click.pass_context
def passwd_cmd(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a local account's password; its open sessions end."""
    _accounts(ctx).set_password(name, _password(password_stdin))
    click.echo(f"password of {name} changed; its sessions are closed")


@cli.command(name="disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="re-enable the account instead")
@click.pass_context
def disable_cmd(ctx: click.Context, name: str, enable: bool) -> None:
    """Disable an account (its sessions end at once), or re-enable it."""
    _accounts(ctx).set_disabled(name, not enable)
    click.echo(f"account {name} {'enabled' if enable else 'disabled'}")


@cli.command(name="list")
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """The accounts: name, role, source, state."""
    for a in _accounts(ctx).all():
        click.echo(f"{a.name}\t{a.role}\t{a.source}\t{'disabled' if a.disabled else 'active'}")
