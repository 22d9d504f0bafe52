"""The lab's parks mix three Wi-Fi families: one AP of each, served by the simulated département, polled
by `poll_device` as `thdmon serve` polls it (the sample inventory, gufo). The UniFi and Aruba Instant APs
have no `profile:`: the built-in profiles and the probes must find their Wi-Fi MIB by sysObjectID."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from pydantic import SecretStr

from collector.snmp.gufo_engine import GufoEngine
from collector.snmp.poll import poll_device
from collector.snmp.profile import modules
from collector.snmp.target import Target
from inventory.model import Inventory
from lab.sample import generate
from lab.sample.lab_secrets import LAB_SECRETS
from lab.snmp.snmpd import free_udp_port
from lab.supervisor import lab_running
from tests.conftest import load_sample, require

# park -> (profile chosen, why starts with, Wi-Fi module that must give samples)
PARKS = {
    "parc-georges-valbon": ("generic-wifi-ap", "inventory", "wifi_airespace"),            # Cisco C9120
    "parc-jean-moulin-les-guilands": ("linux-host", "sysObjectID", "wifi_unifi"),        # UniFi U6-Pro (probe)
    "parc-du-sausset": ("aruba-instant", "sysObjectID", "wifi_aruba_instant"),            # Aruba AP-505
}


def _first_ap(inv: Inventory, park: str) -> str:
    return min(h for h, d in inv.devices.items() if d.site == park and d.role == "wifi_ap")


def test_each_park_family_gives_its_wifi(tmp_path: Path) -> None:
    require(shutil.which("snmpget") is not None, "net-snmp client tools (Debian package snmp) are missing")
    inv = load_sample()
    aps = {park: _first_ap(inv, park) for park in PARKS}
    port = free_udp_port()
    with lab_running(tmp_path / "lab", inv, generate.DATA_DIR, processes=1, port=port,
                     only=set(aps.values()), timeout=120) as (_, state):
        async def poll_all() -> dict[str, object]:
            engine = GufoEngine()
            try:
                out = {}
                for park, hostname in aps.items():
                    device = inv.devices[hostname]
                    target = Target(name=hostname, address=state["devices"][hostname]["address"], port=port,
                                    community=SecretStr(LAB_SECRETS["lab_snmp_community"]), timeout=3, retries=1)
                    out[park] = await poll_device(engine, target, profile=device.profile, profiles=inv.profiles,
                                                  modules=modules())
                return out
            finally:
                await engine.close()
        results = asyncio.run(poll_all())
    for park, (profile, why, wifi_module) in PARKS.items():
        result = results[park]
        assert result.state.up, (park, result.state.detail)
        selection = result.info["selection"]
        assert selection["profile"] == profile and selection["why"].startswith(why), (park, selection)
        rows = {m["name"]: m for m in selection["modules"]}
        assert rows[wifi_module]["samples"] > 0, (park, rows)
        clients = [s for s in result.samples if s.metric == "thdmon_wifi_clients"]
        assert {dict(s.labels)["band"] for s in clients} == {"2.4GHz", "5GHz"}, park
        assert all(s.value >= 0 for s in clients)
        assert any(s.metric == "thdmon_wifi_channel_utilisation_ratio" for s in result.samples), park
        noise = {dict(s.labels)["band"]: s.value for s in result.samples if s.metric == "thdmon_wifi_noise_dbm"}
        if wifi_module == "wifi_unifi":
            assert noise == {}, park  # UBNT-UniFi-MIB has no noise floor
        else:
            # One per radio, at the lab's floor: AIRESPACE's other scanned channels sit at -80 dBm or above.
            assert set(noise) == {"2.4GHz", "5GHz"} and all(-98 <= v <= -85 for v in noise.values()), (park, noise)
        assert not selection["empty"], (park, selection["empty"])


@pytest.mark.parametrize("park", sorted(PARKS))
def test_sample_parks_have_their_family(park: str) -> None:
    inv = load_sample()
    models = {t for d in inv.devices.values() if d.site == park and d.role == "wifi_ap" for t in d.tags
              if t.startswith("model:")}
    assert len(models) == 1
