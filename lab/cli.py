"""`thdmon lab`: the simulated département (snmpsim agents on 127.0.0.0/8) and its failures.

Registered as a plug-in command (entry point group `thdmon.commands` in pyproject.toml), so that the
production CLI never imports the lab. Lab errors become click errors here (exit 2, no traceback).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from lab import secrets as lab_secrets
from lab.errors import LabError
from lab.sample import DATA as SAMPLE_INVENTORY
from lab.snmp.layout import DEFAULT_PROCESSES
from lab.supervisor import FAILURE_MODES, Lab

SHARED_RECORDINGS = Path(__file__).resolve().parents[2].parent / "shared" / "snmprec"


def _lab(ctx: click.Context) -> Lab:
    return Lab(ctx.obj["settings"].state_dir / "lab")


def _emit(data: Any, as_json: bool, human: Any) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=1, default=str))
    else:
        human()


class LabCommandError(click.ClickException):
    exit_code = 2


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LabError as exc:
            raise LabCommandError(str(exc)) from None


def lab_inventory(settings: Any) -> tuple[Path, Path]:
    """The inventory the lab simulates and its secrets file: the configured ones, else the sample
    département with the lab's own secrets (provisioned 0600 in the state directory)."""
    inventory = settings.inventory if Path(settings.inventory).exists() else SAMPLE_INVENTORY
    secrets = settings.secrets_file or lab_secrets.provision(Path(settings.state_dir))
    return Path(inventory), Path(secrets)


@click.group(name="lab", cls=_Group)
def cli() -> None:
    """The simulated SNMP network of the département (for the demo and the tests)."""


@cli.command(name="env")
@click.pass_context
def env(ctx: click.Context) -> None:
    """Print `export` lines pointing thdmon at the lab's inventory and secrets (eval "$(thdmon lab env)")."""
    inventory, secrets = lab_inventory(ctx.obj["settings"])
    click.echo(f"export THDMON_INVENTORY={shlex.quote(str(inventory))}")
    click.echo(f"export THDMON_SECRETS={shlex.quote(str(secrets))}")


@cli.command()
@click.option("--processes", type=click.IntRange(1, 64), default=DEFAULT_PROCESSES, show_default=True,
              help="snmpsim processes sharing the devices")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="serve every device on this UDP port instead of its inventory snmp_port")
@click.option("--ssh-port", type=click.IntRange(1, 65535), default=None,
              help="serve every SSH device on this TCP port instead of its inventory ssh_port")
@click.option("--commune", "communes", multiple=True, help="simulate only the sites of this commune (repeat)")
@click.option("--recordings", type=click.Path(path_type=Path, file_okay=False), default=None,
              help=f"real-device recordings directory (default: {SHARED_RECORDINGS} if present)")
@click.option("--timeout", type=float, default=180.0, show_default=True, help="seconds to wait for readiness")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def start(ctx: click.Context, processes: int, port: int | None, ssh_port: int | None, communes: tuple[str, ...],
          recordings: Path | None, timeout: float, as_json: bool) -> None:
    """Start the lab (idempotent: a running lab with the same inventory is left as is)."""
    from inventory import load_inventory

    inventory, secrets = lab_inventory(ctx.obj["settings"])
    inv = load_inventory(inventory, secrets)
    only = None
    if communes:
        wanted = {c.casefold() for c in communes}
        only = {h for h, d in inv.devices.items() if inv.sites[d.site].commune.casefold() in wanted}
        if not only:
            raise LabError(f"no device in commune(s) {', '.join(communes)}")
    recordings_dir = recordings or (SHARED_RECORDINGS if SHARED_RECORDINGS.is_dir() else None)
    state = _lab(ctx).start(inv, inventory, processes, port, only, recordings_dir, timeout, ssh_port)

    def human() -> None:
        console = Console()
        verb = "already running" if state.get("already_running") else f"ready in {state.get('ready_seconds')} s"
        console.print(f"lab {verb}: {len(state['devices'])} devices in {len(state['processes'])} snmpsim "
                      f"processes, {len(state.get('ssh_devices') or {})} over SSH (runtime {_lab(ctx).runtime})")
        for note in state["notes"]:
            console.print(f"  note: {note}")

    _emit({k: v for k, v in state.items() if k not in ("devices", "ssh_devices")}
          | {"devices": len(state["devices"]), "ssh_devices": len(state.get("ssh_devices") or {})}, as_json, human)


@cli.command()
@click.pass_context
def stop(ctx: click.Context) -> None:
    """Stop every lab process (SIGTERM, then SIGKILL after 5 s)."""
    n = _lab(ctx).stop()
    click.echo(f"stopped {n} lab process(es)" if n else "the lab was not running")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Processes, devices served, endpoints, failures."""
    st = _lab(ctx).status()

    def human() -> None:
        console = Console()
        if not st["processes"]:
            console.print("the lab is not running")
            return
        table = Table(title=f"thdmon lab: {st['devices']} devices ({st['recordings']} recordings, "
                            f"{st['v3_devices']} SNMPv3) - {st['runtime']}")
        for col in ("proc", "pid", "alive", "answers", "endpoints", "v3", "recordings", "port"):
            table.add_column(col)
        for row in st["processes"]:
            answering = "-" if row["answering"] is None else "yes" if row["answering"] else "NO"
            table.add_row(str(row["process"]), str(row["pid"]), "yes" if row["alive"] else "NO", answering,
                          str(row["endpoints"]), str(row["v3"]), str(row["recordings"]),
                          ", ".join(map(str, row["ports"])))
        console.print(table)
        for hostname, failure in sorted(st["failures"].items()):
            console.print(f"  failure: {hostname}: {failure}")
        ssh = st.get("ssh")
        if ssh:
            console.print(f"  ssh: pid {ssh['pid']} {'alive' if ssh['alive'] else 'DEAD'}, {ssh['devices']} devices")
            for hostname, failure in sorted(ssh["failures"].items()):
                console.print(f"  ssh failure: {hostname}: {failure}")
        for note in st["notes"]:
            console.print(f"  note: {note}")

    _emit(st, as_json, human)
    if st["processes"] and not st["running"]:
        ctx.exit(1)


@cli.command()
@click.argument("device")
@click.option("--mode", type=click.Choice(FAILURE_MODES), required=True)
@click.option("--delay", type=click.FloatRange(0.1, 60), default=3.0, show_default=True,
              help="seconds before answering (slow)")
@click.option("--downtime", type=click.FloatRange(0, 3600), default=0.0, show_default=True,
              help="seconds without answers before the device is back (reboot)")
@click.pass_context
def fail(ctx: click.Context, device: str, mode: str, delay: float, downtime: float) -> None:
    """Make DEVICE fail: silent, slow, garbage (malformed BER) or reboot (down for --downtime, then back
    with uptime and counters reset); unreachable (ICMP dropped); optical-low (the Rx power of its transceivers
    under their low alarm, for OpticalRxLow). Over SSH: ssh-auth (every password
    refused), ssh-hostkey (another host key), ssh-down (closed before the banner), ssh-hang (silent after
    login), ssh-slow (256 bytes every --delay s), ssh-disconnect (cut in the middle of a command),
    ssh-pager (paging cannot be disabled), ssh-flood (endless output)."""
    entry = _lab(ctx).fail(device, mode, delay, downtime)
    click.echo(f"{device}: {mode}" + (f" ({delay:g} s)" if mode == "slow" else "") + f" -> {entry}")


@cli.command()
@click.argument("device")
@click.pass_context
def heal(ctx: click.Context, device: str) -> None:
    """Make DEVICE answer normally again."""
    _lab(ctx).heal(device)
    click.echo(f"{device}: healed")


@cli.command(name="config")
@click.argument("device")
@click.option("--replace", "replace", nargs=2, metavar="OLD NEW", required=True,
              help="replace the first OLD of DEVICE's running configuration by NEW")
@click.pass_context
def config_(ctx: click.Context, device: str, replace: tuple[str, str]) -> None:
    """Change an SSH device's running configuration, as an operator on the device would."""
    from lab.ssh import configs

    if device not in _lab(ctx).ssh_devices():
        raise LabError(f"{device!r} is not an SSH device of the running lab")
    configs.replace(_lab(ctx).runtime, device, *replace)
    click.echo(f"{device}: running configuration changed")
