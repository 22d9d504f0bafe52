"""Commands of `thdmon logs` on the store side: seal, verify, verify-export, purge, search, export,
journal, public-key (see thdmon/commands/logs.py). Thin wiring over connlog; times typed by people
without an offset are Europe/Paris, output shows Europe/Paris, everything inside is UTC."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from connlog import export as export_mod
from connlog import journal as journal_mod
from connlog import keys, retention, seal
from connlog.answer_sheet import paris_iso, utc_iso
from connlog.search import DEFAULT_TOLERANCE, Criteria, Result, search
from connlog.store import Store
from thdmon.settings import Settings
from thdmon.terminal import printable, text

PARIS = ZoneInfo("Europe/Paris")
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp()
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC).timestamp()


def parse_time(text: str) -> float:
    """Epoch seconds, or ISO 8601; without an offset the time is Europe/Paris (what requisitions state).
    Only finite instants between 2000 and 2100 (`nan`, `1e400` or a typo's year 20260 are refused)."""
    try:
        epoch = float(text)
    except ValueError:
        try:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise click.BadParameter(f"{printable(text)!r} is neither epoch seconds nor ISO 8601 "
                                     "(2026-11-24T14:03:00)") from None
        epoch = (when if when.tzinfo else when.replace(tzinfo=PARIS)).timestamp()
    if not (math.isfinite(epoch) and EARLIEST <= epoch < LATEST):
        raise click.BadParameter(f"{printable(text)!r} is not an instant between 2000 and 2100")
    return epoch


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a day (YYYY-MM-DD, UTC)") from None


def paris(epoch: float | None) -> str:
    """Europe/Paris with UTC beside it, both ISO 8601: what a requisition answer must state unambiguously."""
    if epoch is None:
        return ""
    return f"{paris_iso(epoch)} {dt.datetime.fromtimestamp(epoch, PARIS):%Z} ({utc_iso(epoch)})"


def _json_safe(value: Any) -> Any:
    """Valid JSON whatever is stored: a non-finite float (written by an older version) becomes a string."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def _table(*headers: str, title: str | None = None) -> Table:
    """A table whose cells fold rather than cut: a requisition answer never shows a value truncated."""
    table = Table(title=title)
    for header in headers:
        table.add_column(header, overflow="fold")
    return table


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _store(ctx: click.Context) -> Store:
    store = Store.open(_settings(ctx).connlog_db_url)
    ctx.call_on_close(store.close)
    return store


def _private_key(ctx: click.Context) -> Any:
    s = _settings(ctx)
    return keys.load_or_create(keys.key_path(s.connlog.signing_key, s.state_dir))


def _public_key(ctx: click.Context, path: Path | None) -> Any:
    return keys.load_public(path) if path is not None else _private_key(ctx).public_key()


def _emit(as_json: bool, data: Any, human: Callable[[Console], None]) -> None:
    if as_json:
        click.echo(json.dumps(_json_safe(data), indent=1, sort_keys=True, default=str, allow_nan=False))
    else:
        # Requisition answers are wide: never fold them to 80 columns when piped to a file.
        human(Console() if sys.stdout.isatty() else Console(width=220))


json_option = click.option("--json", "as_json", is_flag=True, help="machine-readable output")


def criteria_options(f: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--public-ip", help="public (NAT) address"),
        click.option("--port", type=click.IntRange(0, 65535), help="public port (with --public-ip)"),
        click.option("--private-ip", help="private address"),
        click.option("--at", "at", help="instant (ISO 8601, Europe/Paris if no offset, or epoch)"),
        click.option("--mac", help="terminal MAC address"),
        click.option("--user", "user_name", help="user name given to the captive portal"),
        click.option("--site", help="site code"),
        click.option("--ap", help="access point (name or BSSID)"),
        click.option("--since", help="start of the time range (inclusive)"),
        click.option("--until", help="end of the time range (exclusive)"),
        click.option("--lookback-days", type=click.IntRange(1, 400), default=7, show_default=True,
                     help="how far before --at an allocation, lease or session may start"),
        click.option("--tolerance", type=click.FloatRange(0, 3600), default=DEFAULT_TOLERANCE, show_default=True,
                     help="seconds either side of --at (clocks of firewall, NAS and requester differ)"),
        click.option("--limit", type=click.IntRange(1), default=10_000, show_default=True),
        click.option("--operator", required=True, help="who asks (name of the agent), written to the journal"),
        click.option("--requisition", required=True,
                     help="requisition reference (every search touches personal data), written to the journal"),
    ]):
        f = option(f)
    return f


def _criteria(kw: dict[str, Any]) -> Criteria:
    times = {k: parse_time(kw[k]) if kw.get(k) else None for k in ("at", "since", "until")}
    return Criteria(public_ip=kw["public_ip"], port=kw["port"], private_ip=kw["private_ip"], mac=kw["mac"],
                    user_name=kw["user_name"], site=kw["site"], ap=kw["ap"], lookback_days=kw["lookback_days"],
                    tolerance=kw["tolerance"], limit=kw["limit"], **times)


@click.command(name="seal")
@click.option("--day", type=str, default=None, help="seal up to this closed UTC day (default: yesterday)")
@json_option
@click.pass_context
def seal_cmd(ctx: click.Context, day: str | None, as_json: bool) -> None:
    """Seal closed days: Merkle root of each day's records and journal, signed (Ed25519). Idempotent."""
    done = seal.seal(_store(ctx), _private_key(ctx), through=parse_day(day) if day else None)

    def human(console: Console) -> None:
        if not done:
            console.print("nothing to seal: every closed day is already sealed")
            return
        table = _table("stream", "day (UTC)", "records", "Merkle root")  # values from thdmon itself
        for s in done:
            table.add_row(s.stream, s.day.isoformat(), str(s.count), s.root)
        console.print(table)

    _emit(as_json, [dataclasses.asdict(s) for s in done], human)


@click.command(name="verify")
@click.option("--day", type=str, default=None, help="check only this UTC day")
@click.option("--key", "key_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="public key (PEM); default: the sealing key's own")
@json_option
@click.pass_context
def verify_cmd(ctx: click.Context, day: str | None, key_file: Path | None, as_json: bool) -> None:
    """Check seals, signatures and every record's chain; name each fault. Exit 1 on any fault."""
    report = seal.verify(_store(ctx), _public_key(ctx, key_file), day=parse_day(day) if day else None)

    def human(console: Console) -> None:
        console.print(f"{report.days_checked} day(s), {report.rows_checked} row(s), "
                      f"{report.seals_checked} seal(s) checked")
        for problem in report.problems:
            console.print(Text("FAULT ", style="red") + text(problem), highlight=False)
        if report.ok:
            console.print("[green]OK[/green]: intact")

    _emit(as_json, {"ok": report.ok, "days": report.days_checked, "rows": report.rows_checked,
                    "seals": report.seals_checked, "problems": [p.to_dict() for p in report.problems]}, human)
    if not report.ok:
        ctx.exit(1)


@click.command(name="verify-export")
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.option("--key", "key_file", type=click.Path(path_type=Path, dir_okay=False, exists=True), required=True,
              help="the public key (PEM) to trust")
@json_option
@click.pass_context
def verify_export_cmd(ctx: click.Context, path: Path, key_file: Path, as_json: bool) -> None:
    """Check an export (directory or its manifest.json) with the public key alone: no database."""
    problems, manifest = export_mod.verify_export(path, keys.load_public(key_file))

    def human(console: Console) -> None:
        for problem in problems:
            console.print(Text("FAULT ", style="red") + text(problem), highlight=False)
        if not problems:
            console.print(Text("OK", style="green") + text(f": {manifest['record_count']} record(s) of requisition "
                                                           f"{manifest['requisition']} proven against the signed "
                                                           "day roots"), highlight=False)

    _emit(as_json, {"ok": not problems, "problems": problems, "record_count": manifest.get("record_count")}, human)
    if problems:
        ctx.exit(1)


@click.command(name="purge")
@click.option("--now", "now_text", default=None, help="pretend it is this instant (ISO 8601 or epoch)")
@click.option("--dry-run", is_flag=True, help="count what would be erased, erase nothing")
@click.option("--operator", help="who runs it (default: the OS user)")
@json_option
@click.pass_context
def purge_cmd(ctx: click.Context, now_text: str | None, dry_run: bool, operator: str | None, as_json: bool) -> None:
    """Erase data past its legal retention (technical 1 year, identity 5 years), sealing first."""
    s = _settings(ctx).connlog
    report = retention.purge(_store(ctx), _private_key(ctx), technical_days=s.technical_retention_days,
                             identity_days=s.identity_retention_days,
                             now=parse_time(now_text) if now_text else None, dry_run=dry_run, operator=operator)

    def human(console: Console) -> None:
        verb = "would erase" if dry_run else "erased"
        console.print(f"{verb} {report.technical_rows} technical record(s) of days before "
                      f"{report.technical_before} (UTC), {report.identity_rows} identity row(s) of days before "
                      f"{report.identity_before}; {report.dropped_partitions} partition(s) dropped")
        if report.anchor_seq is not None:
            console.print(f"chain anchor: seq {report.anchor_seq} {report.anchor_hash}")

    _emit(as_json, report.to_dict(), human)


def _show_result(result: Result, console: Console) -> None:
    c = result.criteria
    if c.at is not None:
        console.print(text(f"instant asked: {paris(c.at)}, tolerance ±{c.tolerance:g} s"), highlight=False)
    if result.attributions:
        table = _table("instant", "public", "private", "MAC", "user", "site", "AP", "SSID", "via", "valid",
                       "NAT session", "match", title="attribution")
        for a in result.attributions:
            public = f"{a.public_ip}:{a.public_port}" if a.public_ip else ""
            private = a.private_ip + (f":{a.private_port}" if a.private_port else "")
            table.add_row(*(text(v) for v in (
                paris(a.at), public, private, a.client_mac or "", a.user_name or "", a.site or "", a.ap or "",
                a.ssid or "", a.via, f"{paris(a.valid_from)} → {paris(a.valid_until) or '…'}",
                f"{paris(a.nat_from)} → {paris(a.nat_until) or '…'}" if a.nat_from is not None else "",
                "exact" if a.exact else f"within ±{c.tolerance:g} s")))
        console.print(table)
    table = _table("seq", "kind", "event", "status", "source", "site", "MAC", "user", "private", "public",
                  "AP/SSID", "chain", title=f"{len(result.records)} record(s)")
    for s in result.records:
        r = s.record
        ports = f":{r.public_port_start}-{r.public_port_end}" if r.public_port_start is not None else ""
        fault = result.faults.get(s.seq)
        table.add_row(*(text(v) for v in (
            s.seq, r.kind.value, paris(r.event_time), r.status or "", r.source, r.site or "", r.client_mac or "",
            r.user_name or "", (r.private_ip or "") + (f":{r.private_port}" if r.private_port else ""),
            (r.public_ip or "") + ports, "/".join(x for x in (r.ap, r.ssid) if x))),
            text("FAILS" if fault else "ok", style="bold red" if fault else ""))
    console.print(table)
    for seq, fault in sorted(result.faults.items()):
        console.print(Text("FORGED? ", style="bold red") + text(f"seq {seq}: {fault}; the values shown are not "
                                                               "those that were chained"), highlight=False)
    if result.identities:
        console.print(text(f"{len(result.identities)} identity row(s) whose technical records were purged: "
                           + ", ".join(f"seq {s} ({d})" for s, d, _ in result.identities[:20])), highlight=False)
    if not result.count:
        console.print("no match")


def _result_json(result: Result) -> dict[str, Any]:
    return {"criteria": result.criteria.to_dict(),
            "attributions": [dataclasses.asdict(a) for a in result.attributions],
            "records": [{"seq": s.seq, "day": s.day.isoformat(), "chain_hash": s.chain_hash.hex(),
                         "chain_ok": s.seq not in result.faults, **json.loads(s.record.to_json())}
                        for s in result.records],
            "chain_faults": {str(seq): what for seq, what in result.faults.items()},
            "purged_identity_rows": [{"seq": s, "day": d.isoformat(), "user_name": u}
                                     for s, d, u in result.identities]}


@click.command(name="search")
@criteria_options
@json_option
@click.pass_context
def search_cmd(ctx: click.Context, as_json: bool, **kw: Any) -> None:
    """Who had this address/port at this instant; what a MAC, user, site or AP did. Journaled.

    Records that fail their chain check are shown marked (FORGED?), with their seq."""
    result = search(_store(ctx), _criteria(kw), operator=kw["operator"], requisition=kw["requisition"])
    _emit(as_json, _result_json(result), lambda console: _show_result(result, console))


@click.command(name="export")
@criteria_options
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), required=True,
              help="a new or empty directory (or a previous export of the same requisition, replaced)")
@click.option("--disputed", is_flag=True,
              help="export records that fail their chain check, marked as disputed (refused otherwise)")
@json_option
@click.pass_context
def export_cmd(ctx: click.Context, out_dir: Path, disputed: bool, as_json: bool, **kw: Any) -> None:
    """Export matching records as signed CSV + manifest + inclusion proofs for a requisition. Journaled."""
    requisition = kw["requisition"]
    manifest = export_mod.export(_store(ctx), _criteria(kw), requisition=requisition, out_dir=out_dir,
                                 key=_private_key(ctx), operator=kw["operator"], disputed=disputed)

    def human(console: Console) -> None:
        console.print(text(f"{manifest['record_count']} record(s) exported to {out_dir} for requisition "
                           f"{requisition}"), highlight=False)
        interim = sorted(d for d, how in manifest["proven_by"].items() if how == "checkpoint")
        if interim:
            console.print(text(f"day(s) not sealed yet ({', '.join(interim)}, UTC): proven by a signed interim "
                               "checkpoint, which the day's seal will supersede"), highlight=False)
        for seq, what in sorted(manifest.get("disputed", {}).items()):
            console.print(Text("DISPUTED ", style="bold red") + text(f"seq {seq}: {what}"), highlight=False)

    _emit(as_json, manifest, human)


@click.command(name="journal")
@click.option("--since", help="from (ISO 8601 or epoch)")
@click.option("--until", help="until (exclusive)")
@json_option
@click.pass_context
def journal_cmd(ctx: click.Context, since: str | None, until: str | None, as_json: bool) -> None:
    """The access journal: who searched, exported or purged what."""
    entries = journal_mod.entries(_store(ctx), since=parse_time(since) if since else None,
                                  until=parse_time(until) if until else None)

    def human(console: Console) -> None:
        table = _table("seq", "when", "operator", "action", "requisition", "results", "criteria")
        for e in entries:
            table.add_row(*(text(v) for v in (e.seq, paris(e.at), e.operator, e.action, e.requisition or "",
                                              e.result_count, json.dumps(_json_safe(e.criteria), sort_keys=True))))
        console.print(table)

    _emit(as_json, [dataclasses.asdict(e) for e in entries], human)


@click.command(name="public-key")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.pass_context
def public_key_cmd(ctx: click.Context, output: Path | None) -> None:
    """Print (or write) the sealing public key, PEM, for auditors; its fingerprint on stderr."""
    public = _private_key(ctx).public_key()
    pem = keys.public_pem(public)
    if output is None:
        click.echo(pem.decode(), nl=False)
    else:
        output.write_bytes(pem)
    click.echo(keys.fingerprint(public), err=True)


COMMANDS: list[click.Command] = [seal_cmd, verify_cmd, verify_export_cmd, purge_cmd, search_cmd, export_cmd,
                                 journal_cmd, public_key_cmd]
