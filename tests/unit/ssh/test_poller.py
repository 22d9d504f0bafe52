"""The SSH poller without a network: which devices it wants, and a platform it does not support reported
as such (nothing stored, the failure counted)."""

from __future__ import annotations

import asyncio

from collector.model import DownReason
from collector.poller import POLLERS, PollerOptions, build_pollers
from collector.schedule import Defaults, interval_of
from inventory.model import Device, Inventory, Profile, SnmpV2cCredential, SshCredential


def inventory() -> Inventory:
    devices = {h: Device(hostname=h, address=f"127.0.0.{k}", site="s", role="access_switch", profile=p, ssh=c)
               for k, (h, p, c) in enumerate([("wlc", "wlc", "ssh"), ("snmp-only", "wlc", None),
                                              ("bad-cred", "wlc", "v2c")], 1)}
    return Inventory(root="/x", sites={}, devices=devices,
                     credentials={"ssh": SshCredential(type="ssh", username="u", key_file="/nonexistent"),
                                  "v2c": SnmpV2cCredential(type="snmp_v2c", community="env:X")},
                     profiles={"wlc": Profile(ssh_platform="cisco_wlc", intervals={"config": 3600})})


def test_wants_devices_with_an_ssh_credential_and_reports_unsupported_platforms(tmp_path):
    inv = inventory()
    [poller] = build_pollers(("ssh",), inv, PollerOptions(state_dir=str(tmp_path)))
    assert POLLERS["ssh"] == "collector.ssh.poller:SshPoller" and poller.classes == ("config", "facts")
    assert [h for h, d in inv.devices.items() if poller.wants(d)] == ["wlc"]

    async def poll():
        try:
            return await poller.poll(inv.devices["wlc"], "config")
        finally:
            await poller.close()

    result = asyncio.run(poll())
    assert not result.state.up and result.state.reason == DownReason.unsupported
    assert "cisco_wlc" in result.state.detail
    assert [(s.metric, s.labels, s.value) for s in result.samples] == [
        ("thdmon_config_backup_failures_total", (("reason", "unsupported"),), 1.0)]
    assert not (tmp_path / "config-history").exists()  # nothing stored, no repository


def test_intervals_daily_backup_hourly_facts_profile_overrides():
    inv, defaults = inventory(), Defaults()
    assert (defaults.config, defaults.facts) == (86400.0, 3600.0)
    assert interval_of(inv.devices["wlc"], "config", inv.profiles, defaults) == 3600
    assert interval_of(inv.devices["wlc"], "facts", inv.profiles, defaults) == 3600.0
