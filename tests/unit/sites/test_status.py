"""`thdmon status`'s report and view, from the exposition the roll-up writes (the same text serve serves)."""

from __future__ import annotations

import io

from prometheus_client import CollectorRegistry, generate_latest
from rich.console import Console

from alerts.readback import page_url, parse_exposition
from alerts.status import NAMES, build_report
from collector.sites import DeviceHealth, rollup
from exporters.sites import SiteMetrics, SiteSnapshot
from inventory.model import Inventory
from tests.unit.sites.test_rollup import all_up, down
from thdmon.commands.status import render

NOW = 1_765_000_000.0


def _device_lines(inv: Inventory, health: dict[str, DeviceHealth]) -> str:
    lines = []
    for host, h in health.items():
        d = inv.devices[host]
        site = inv.sites[d.site]
        ident = (f'site="{site.id}",site_kind="{site.kind.value}",commune="{site.commune}",'
                 f'device="{host}",role="{d.role.value}"')
        lines.append(f"thdmon_device_up{{{ident}}} {int(h.up)}")
        for p in ("snmp", "icmp"):
            lines.append(f'thdmon_device_protocol_up{{{ident},protocol="{p}"}} {int(p not in h.protocols_down)}')
            if p in h.protocols_down:
                lines.append(f'thdmon_device_down_reason{{{ident},protocol="{p}",reason="{h.reason or "timeout"}"}} 1')
    return "\n".join(lines) + "\n"


def _exposition(inv: Inventory, health: dict[str, DeviceHealth]) -> str:
    registry = CollectorRegistry()
    registry.register(SiteMetrics(lambda: SiteSnapshot(inv, rollup(inv, health))))
    return _device_lines(inv, health) + generate_latest(registry).decode()


def _scenario(inv: Inventory) -> dict[str, DeviceHealth]:
    return {**all_up(inv), "pop-core1": down(NOW - 600), "pop-core2": down(NOW - 300),
            "clg-acc1": down(NOW - 290), "clg-acc2": down(NOW - 290), "clg-ap1": down(NOW - 280),
            "lyc-acc1": DeviceHealth(up=True, protocols_down=("snmp",), since=NOW - 7200, reason="auth_failure")}


def test_report_lists_down_then_unreachable_then_degraded_with_causes(inv: Inventory):
    report = build_report(parse_exposition(_exposition(inv, _scenario(inv)), NAMES), "test", NOW)
    assert [(s.site, s.state) for s in report.sites] == [
        ("pop", "down"), ("clg", "unreachable"), ("lyc", "degraded")]
    assert report.counts == {"down": 1, "unreachable": 1, "degraded": 1, "up": 2}
    pop, clg, lyc = report.sites
    assert pop.cause == "all 2 devices down (timeout)" and pop.since == NOW - 300
    assert clg.cause == "upstream site pop is down" and clg.uplink == "pop"
    assert lyc.cause == "lyc-acc1: snmp down"
    assert report.as_dict()["sites"][0]["devices_down"] == ["pop-core1", "pop-core2"]


def test_view_fits_80_columns_and_keeps_foreign_text_inert(inv: Inventory):
    health = _scenario(inv)
    text = _exposition(inv, health).replace('site="lyc"', 'site="lyc[/red]\x1b[2J"')
    report = build_report(parse_exposition(text, NAMES), "http://127.0.0.1:9810/metrics", NOW)
    out = io.StringIO()
    Console(file=out, width=80, color_system=None).print(render(report))
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    body = out.getvalue()
    assert "down (1)" in body and "unreachable (1)" in body and "degraded (1)" in body
    assert "pop · Bobigny" in body and "upstream site pop is down" in body
    assert "\x1b" not in body and "lyc[/red]\\x1b[2J" in body


def test_every_site_up(inv: Inventory):
    report = build_report(parse_exposition(_exposition(inv, all_up(inv)), NAMES), "test", NOW)
    out = io.StringIO()
    Console(file=out, width=80, color_system=None).print(render(report))
    assert report.sites == [] and "every site is up" in out.getvalue()


def test_status_reads_the_liveness_part_of_a_serve():
    """Everything the on-call view reads is on the small page (~1 % of a collector's series)."""
    assert page_url("http://127.0.0.1:9810/metrics", NAMES) == "http://127.0.0.1:9810/metrics?part=liveness"
    assert page_url("https://c1:9810/metrics?x=1", NAMES) == "https://c1:9810/metrics?x=1&part=liveness"
    assert page_url("http://c1/metrics?part=bulk", NAMES) == "http://c1/metrics?part=bulk"  # as asked
    assert page_url("http://c1/metrics", ["thdmon_interface_oper_up"]) == "http://c1/metrics"  # not all on it
