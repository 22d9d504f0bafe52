"""`thdmon config`: the configuration history the SSH collector keeps (thin wiring over collector.ssh).

Dates are read as people write them: `2026-12-05` or `2026-12-05T14:30`, Europe/Paris unless they carry
an offset; they are shown in Paris time with UTC beside.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import click

from collector.ssh.history import History
from collector.ssh.hostkeys import KnownHosts
from collector.ssh.poller import ssh_paths
from thdmon import settings as settings_mod

PARIS = ZoneInfo("Europe/Paris")


def _settings(ctx: click.Context) -> settings_mod.Settings:
    obj = ctx.find_root().obj or {}
    return obj.get("settings") or settings_mod.load()


def _history(ctx: click.Context) -> History:
    root, _ = ssh_paths(_settings(ctx).state_dir)
    if not (root / ".git").is_dir():
        raise click.ClickException(f"no configuration history in {root} yet (thdmon serve or "
                                   "thdmon collect --once --protocol ssh makes it)")
    return History(root)


def _instant(_ctx: click.Context, _param: click.Parameter, text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM, Europe/Paris)") from None
    if len(text) == 10:  # a day: its end, so that "at 2026-12-05" is that day's last configuration
        when += dt.timedelta(days=1, microseconds=-1)
    return when.replace(tzinfo=PARIS) if when.tzinfo is None else when


def _shown(epoch: float) -> str:
    when = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return f"{when.astimezone(PARIS):%Y-%m-%d %H:%M:%S} Paris ({when:%H:%M} UTC)"


@click.group(name="config")
def cli() -> None:
    """The configuration history of the devices backed up over SSH (a git repository in the state directory)."""


@cli.command()
@click.argument("device")
@click.option("--since", callback=_instant, help="compare with the configuration at this date (default: the "
                                                 "device's previous version)")
@click.pass_context
def diff(ctx: click.Context, device: str, since: dt.datetime | None) -> None:
    """What changed in DEVICE's configuration (unified diff)."""
    click.echo(_history(ctx).diff(device, since), nl=False)


@cli.command()
@click.argument("device")
@click.option("--at", "at", callback=_instant, help="the configuration as it was at this date (default: latest)")
@click.pass_context
def show(ctx: click.Context, device: str, at: dt.datetime | None) -> None:
    """DEVICE's stored configuration (secrets masked)."""
    click.echo(_history(ctx).show(device, at), nl=False)


@cli.command(name="log")
@click.argument("device", required=False)
@click.option("-n", "limit", type=click.IntRange(1, 10000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def log_(ctx: click.Context, device: str | None, limit: int, as_json: bool) -> None:
    """The history's commits (of DEVICE's configuration only, if given), newest first."""
    revisions = _history(ctx).log(device, limit)
    if as_json:
        click.echo(json.dumps([{"commit": r.commit, "time": r.when, "subject": r.subject} for r in revisions],
                              indent=1))
        return
    for r in revisions:
        click.echo(f"{r.commit[:10]}  {_shown(r.when)}  {r.subject}")


@cli.command()
@click.argument("device")
@click.pass_context
def trust(ctx: click.Context, device: str) -> None:
    """Forget DEVICE's pinned SSH host key: its next session pins the key it presents. Do it only once the
    key change is explained (a replaced device, a regenerated key), never to silence the alert."""
    _, known_hosts = ssh_paths(_settings(ctx).state_dir)
    known = KnownHosts(known_hosts)
    was = known.pinned(device)
    if not known.forget(device):
        raise click.ClickException(f"no host key pinned for {device}")
    click.echo(f"{device}: forgot {', '.join(was)}; the next session pins the key the device presents")
