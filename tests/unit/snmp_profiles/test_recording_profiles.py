"""Every recording, added with no `profile:`, lands on its product line's profile and gives its values.

The table below is the one of docs/snmp-profiles.md (family -> profile -> recording). `poll_device` runs
against each recording through `RecordingEngine` (no network): the profile, the expected modules that
answered nothing (reported by thdmon_device_module_empty) and the probes kept are asserted per recording.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pydantic import SecretStr

from collector.model import PollResult
from collector.snmp.poll import PROBE_TTL, DeviceMemory, poll_device
from collector.snmp.profile import modules
from collector.snmp.target import Target
from inventory import load_inventory
from lab.snmp.recording import RecordingEngine
from tests.conftest import ROOT, require
from tests.unit.snmp_profiles import snmprec

# recording -> (profile, expected modules that are empty in the recording, probes kept)
PROFILES: dict[str, tuple[str, set[str], set[str]]] = {
    "aos6_aos6": ("alcatel-aos6", set(), set()),
    "aruba-instant": ("aruba-instant", set(), set()),
    "arubaos-cx_10.16": ("aruba-cx", set(), {"aruba_cx_optics"}),
    "ciscowlc_cbw240ac": ("cisco-wlc", set(), set()),
    "fortigate_fwf60d": ("fortigate", set(), {"wifi_fortinet"}),
    "ios_ie32008t2s-ios17-12": ("cisco-iosxe", set(), {"lldp"}),
    # this capture has neither IF-MIB nor CISCO-PROCESS: exactly what module_empty is for
    "iosxe_c9200l": ("cisco-iosxe", {"if_mib", "cisco_cpu_memory"}, {"poe", "cisco_stack"}),
    "junos_ex": ("juniper-junos", {"if_mib"}, set()),           # the 2019 capture has no IF-MIB
    "linux_xcp-ng": ("linux-host", set(), set()),
    "procurve_2520": ("hp-procurve", set(), set()),
    "ruckuswireless-sz": ("ruckus-smartzone", set(), {"host_resources"}),
    "unifi_nanohd": ("linux-host", set(), {"wifi_unifi"}),     # net-snmp's sysObjectID, UniFi by probing
    "arubaos": ("arubaos-controller", set(), set()),
    "ios_2960x": ("cisco-ios", set(), {"poe", "etherlike", "cisco_stack"}),
    "iosxe_ct5760": ("cisco-wlc", set(), {"cisco_entity_sensor", "cisco_cpu_memory"}),
    "vrp_5720-32x-ei": ("huawei-vrp", set(), {"etherlike", "qbridge"}),
    "ruckuswireless": ("ruckus-zonedirector", {"if_mib"}, set()),           # ZD1200 capture: no IF-MIB
    "ruckuswireless-unleashed": ("ruckus-zonedirector", {"if_mib"}, set()),
}


def _target(name: str) -> Target:
    return Target(name=name, address="127.0.0.1", community=SecretStr("public"))


def _poll(name: str, profiles: dict | None = None, memory: DeviceMemory | None = None,
          now: float = 1000.0, engine: RecordingEngine | None = None) -> tuple[PollResult, RecordingEngine]:
    engine = engine or RecordingEngine({name: snmprec.recording(name)})
    result = asyncio.run(poll_device(engine, _target(name), profile=None,
                                     profiles=profiles or {}, modules=modules(), memory=memory,
                                     clock=lambda: now))
    return result, engine


def test_every_recording_has_its_row() -> None:
    require(snmprec.SNMPREC.is_dir(), f"{snmprec.SNMPREC} is absent: recordings unavailable")
    assert set(snmprec.all_recordings()) == set(PROFILES)


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_recording_gets_its_profile_and_reports_empty_modules(name: str) -> None:
    require(snmprec.recording(name).is_file(), f"{snmprec.recording(name)} is absent")
    profile, empty, kept = PROFILES[name]
    result, _ = _poll(name)
    info = result.info["selection"]
    assert result.state.up
    assert (info["profile"], info["profile_source"]) == (profile, "built-in")
    assert info["why"].startswith(f"sysObjectID {info['sys_object_id']} matches prefix")
    assert set(info["empty"]) == empty
    assert {m["name"] for m in info["modules"] if m.get("kept")} == kept
    flags = {dict(s.labels)["module"]: s.value for s in result.samples if s.metric == "thdmon_device_module_empty"}
    assert {m for m, v in flags.items() if v == 1} == empty - {"system"}
    assert set(flags) == {m["name"] for m in info["modules"] if "empty" in m} - {"system"}


def test_sample_inventory_profiles_do_not_change_the_choice() -> None:
    # The demo inventory overrides several built-in profiles (its own module lists, and it names
    # generic-wifi-controller for 9.6.1.37): every recording still lands on its product line's profile.
    require(snmprec.SNMPREC.is_dir(), f"{snmprec.SNMPREC} is absent: recordings unavailable")
    sample = next(p for p in (ROOT / "lab" / "sample" / "data", ROOT / "inventory" / "sample" / "data")
                  if p.is_dir())
    inv = load_inventory(Path(sample), check_secrets=False)
    for name in ("arubaos", "ruckuswireless", "vrp_5720-32x-ei", "ios_2960x", "unifi_nanohd"):
        result, _ = _poll(name, dict(inv.profiles))
        assert result.info["selection"]["profile"] == PROFILES[name][0], name


def test_probes_that_did_not_answer_are_not_walked_again_until_their_ttl() -> None:
    require(snmprec.recording("vrp_5720-32x-ei").is_file(), "vrp_5720-32x-ei recording is absent")
    memory = DeviceMemory()
    _, first = _poll("vrp_5720-32x-ei", memory=memory, now=1000.0)
    assert "1.0.8802.1.1.2.1.4.1.1" in first.walks or any(w.startswith("1.0.8802") for w in first.walks)
    assert set(memory.absent) == {"lldp"}
    result, second = _poll("vrp_5720-32x-ei", memory=memory, now=1060.0)
    assert not any(w.startswith("1.0.8802") for w in second.walks)
    assert result.info["selection"]["not_walked"] == ["lldp"]
    _, later = _poll("vrp_5720-32x-ei", memory=memory, now=1000.0 + PROBE_TTL)
    assert any(w.startswith("1.0.8802") for w in later.walks)


def test_unknown_vendor_keeps_the_standard_mibs_that_answer() -> None:
    # The Huawei capture with an enterprise number nobody knows: every standard MIB is probed and the
    # ones it has are kept (IF-MIB, EtherLike, Q-BRIDGE); the vendor label is "other" for 99999.
    require(snmprec.recording("vrp_5720-32x-ei").is_file(), "vrp_5720-32x-ei recording is absent")
    engine = RecordingEngine({"vrp_5720-32x-ei": snmprec.recording("vrp_5720-32x-ei")})
    engine.set("vrp_5720-32x-ei", "1.3.6.1.2.1.1.2.0", "1.3.6.1.4.1.99999.7")
    result, _ = _poll("vrp_5720-32x-ei", engine=engine)
    info = result.info["selection"]
    assert info["profile"] is None and info["why"].startswith("no profile matches sysObjectID 1.3.6.1.4.1.99999.7")
    assert {m["name"] for m in info["modules"] if m.get("kept")} == {"if_mib", "etherlike", "qbridge"}
    assert not any(s.metric == "thdmon_device_module_empty" for s in result.samples)  # probes are not reported
    ifaces = {dict(s.labels)["ifname"] for s in result.samples if s.metric == "thdmon_interface_info"}
    assert "GigabitEthernet0/0/1" in ifaces
    vendor = next(dict(s.labels)["vendor"] for s in result.samples if s.metric == "thdmon_device_info")
    assert vendor == "other"


def test_module_empty_and_wifi_reach_metrics(tmp_path: Path) -> None:
    # What Prometheus scrapes from `thdmon serve` after a poll of the ZoneDirector: its Wi-Fi values and
    # the IF-MIB it does not give, through the real store and exposition.
    from collector.store import Store
    from exporters.exposition import TEXT, DeviceExposition

    result, _ = _poll("ruckuswireless")
    store = Store(clock=lambda: 1000.0)
    store.update("wlc-zd", result)
    text = DeviceExposition(store, {"wlc-zd": (("device", "wlc-zd"),)}).text(TEXT)
    assert 'thdmon_device_module_empty{device="wlc-zd",module="if_mib"} 1.0' in text
    assert 'thdmon_device_module_empty{device="wlc-zd",module="wifi_ruckus_zd"} 0.0' in text
    assert 'thdmon_wifi_controller_aps{device="wlc-zd"} 36.0' in text


def test_collect_lines_for_empty_modules_and_unknown_vendors() -> None:
    from thdmon.selection import empty_lines, unmatched_lines

    zd, _ = _poll("ruckuswireless")
    engine = RecordingEngine({"vrp_5720-32x-ei": snmprec.recording("vrp_5720-32x-ei")})
    engine.set("vrp_5720-32x-ei", "1.3.6.1.2.1.1.2.0", "1.3.6.1.4.1.99999.7")
    unknown, _ = _poll("vrp_5720-32x-ei", engine=engine)
    selections = {"wlc-zd": zd.info["selection"], "sw-x": unknown.info["selection"]}
    assert empty_lines(selections) == ["wlc-zd: profile ruckus-zonedirector expects if_mib, which answered nothing"]
    assert unmatched_lines(selections) == [
        "sw-x: no profile matches sysObjectID 1.3.6.1.4.1.99999.7; standard MIBs kept: if_mib, etherlike, qbridge"]
