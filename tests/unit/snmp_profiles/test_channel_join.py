"""A per-channel table joined to its radio's current channel (filter predicate `equals`): the Wi-Fi noise
of AIRESPACE controllers, bsnAPIfDBNoisePower, indexed AP MAC . slot . channel with one row per channel
the radio scanned. Only the current channel's row (bsnAPIfPhyChannelNumber of the radio) is the radio's
noise floor; any other row would be a plausible but wrong value.

No recording of a real controller carries the noise table (../shared/snmprec: the CBW240AC and CT5760
have the radio table only), so the real CBW240AC recording is polled with noise rows added beside it, in
the test's temporary directory (recordings are read in place, never copied into the repository), as
RRM reports them: every channel of the band, each with its own value.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from collector.snmp.decode import decode
from collector.snmp.poll import DeviceMemory, PollResult, poll_device
from collector.snmp.profile import Module, modules
from collector.snmp.target import Target
from lab.snmp import datagen, topology, values
from lab.snmp.recording import RecordingEngine
from tests.conftest import load_sample, require
from tests.unit.snmp_profiles import snmprec

NOISE = "1.3.6.1.4.1.14179.2.2.15.1.21"      # bsnAPIfDBNoisePower
CHANNEL = "1.3.6.1.4.1.14179.2.2.2.1.4"      # bsnAPIfPhyChannelNumber
APS = {"20.22.157.36.236.128": "ap1", "160.15.55.26.8.128": "ap2", "160.15.55.26.10.192": "ap3",
       "160.15.55.26.16.224": "ap4"}           # bsnAPName of the recording's four APs
SCANNED = {0: (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13), 1: (36, 40, 44, 48, 52, 56, 60, 64, 100, 116)}
BANDS = {0: "2.4GHz", 1: "5GHz"}
NAME = "wlc-cbw240ac"


@pytest.fixture
def engine(tmp_path: Path) -> RecordingEngine:
    source = snmprec.recording("ciscowlc_cbw240ac")
    require(source.is_file(), f"{source} is absent: recordings unavailable")
    rows = [f"{NOISE}.{mac}.{slot}.{channel}|2|{_value(ap, slot, channel)}\n"
            for ap, mac in enumerate(APS) for slot, channels in SCANNED.items() for channel in channels]
    path = tmp_path / f"{NAME}.snmprec"
    path.write_text(source.read_text(encoding="latin-1") + "".join(rows), encoding="latin-1")
    return RecordingEngine({NAME: path})


def _value(ap: int, slot: int, channel: int) -> int:
    """A dBm of its own for each channel a radio scanned (3 dB apart): a wrong row never gives the expected
    number. ap1 (0): 2.4 GHz channel 1 -60, 2 -63...; 5 GHz channel 36 -61, 40 -64, 44 -67..."""
    return -(60 + 3 * SCANNED[slot].index(channel) + slot) - ap


def _poll(engine: RecordingEngine) -> PollResult:
    target = Target(NAME, "192.0.2.1", community=SecretStr("recorded"))
    return asyncio.run(poll_device(engine, target, profile=None, profiles=load_sample().profiles,
                                   modules=modules(), memory=DeviceMemory()))  # type: ignore[arg-type]


def _noise_series(result: PollResult) -> dict[tuple[str, str, str], float]:
    return {(dict(s.labels)["ap"], dict(s.labels)["radio"], dict(s.labels)["band"]): s.value
            for s in result.samples if s.metric == "thdmon_wifi_noise_dbm"}


def test_the_noise_of_each_radio_is_its_current_channels_row(engine: RecordingEngine) -> None:
    result = _poll(engine)
    assert result.state.up
    # the recording's radios: slot 0 on channel 1, slot 1 on channel 36; one series per radio, not per row
    assert _noise_series(result) == {(name, str(slot), BANDS[slot]): _value(ap, slot, (1, 36)[slot])
                                     for ap, name in enumerate(APS.values()) for slot in (0, 1)}
    assert _noise_series(result)[("ap1", "1", "5GHz")] == -61  # channel 36's row, not 40's (-64) nor 44's


def test_the_noise_follows_a_channel_change_and_a_channel_not_scanned_gives_nothing(
        engine: RecordingEngine) -> None:
    mac = next(iter(APS))
    engine.set(NAME, f"{CHANNEL}.{mac}.1", 44)                 # RRM moved ap1's 5 GHz radio to 44
    engine.set(NAME, f"{CHANNEL}.160.15.55.26.8.128.0", 14)    # ap2's 2.4 GHz radio on a channel not scanned
    series = _noise_series(_poll(engine))
    assert series[("ap1", "1", "5GHz")] == _value(0, 1, 44) == -67
    assert ("ap2", "0", "2.4GHz") not in series                # no row to vouch for it: absent, not guessed
    assert series[("ap2", "1", "5GHz")] == _value(1, 1, 36)    # the AP's other radio is unaffected


def _lab_varbinds(records: list[datagen.Record], now: float) -> list[snmprec.RecVarbind]:
    """The lab's generated records as an agent answers them at `now` (moving values computed)."""
    out = []
    for oid, tag, value in records:
        base, _, variation = tag.partition(":")
        number: int | str = value
        if variation == "labvalue":
            number = values.compute(*values.parse(value), base, now, None)
        elif base == "2":
            number = int(value)
        out.append(snmprec.RecVarbind(".".join(map(str, oid)), number, "integer" if base == "2" else base))
    return out


def test_the_lab_controller_serves_every_scanned_channel_and_the_profile_picks_the_current_one() -> None:
    inv = load_sample()
    wlc, aps = next((h, aps) for h, aps in sorted(datagen.controller_aps(inv).items()) if aps)
    records = datagen.records(inv.devices[wlc], inv, topology.build(inv), aps[:3])
    noise_rows = [r for r in records if ".".join(map(str, r[0])).startswith(NOISE + ".")]
    assert len(noise_rows) == 3 * sum(len(c) for c in datagen.DCA_CHANNELS.values())  # 3 APs, every channel
    module: Module = modules()["wifi_airespace"]
    walked = _lab_varbinds(records, time.time())
    by_oid = {vb.oid: vb.value for vb in walked}
    series = {(dict(s.labels)["ap"], dict(s.labels)["radio"]): s.value
              for s in decode(module, walked, 0.0).samples if s.metric == "thdmon_wifi_noise_dbm"}
    assert sorted(series) == sorted((ap.hostname, slot) for ap in aps[:3] for slot in ("0", "1"))
    for (ap, slot), value in series.items():
        mac = ".".join(map(str, datagen.base_mac(inv.devices[ap])))
        current = by_oid[f"{CHANNEL}.{mac}.{slot}"]
        assert value == by_oid[f"{NOISE}.{mac}.{slot}.{current}"]
        assert -95 <= value <= -85  # the current channel's floor; every other row is 9 dB or more above


def test_not_equals_keeps_the_other_rows_and_numbers_compare_as_numbers() -> None:
    """`not_equals` (the neighbouring channels) and a current channel given as text "44.0" (a Gauge read
    as a string by some agent): equal as numbers to the index arc 44."""
    def module(predicate: str) -> Module:
        return Module.model_validate({
            "name": "t", "description": "t", "walk": ["1.3.6.1.4.1.14179.2.2"],
            "metrics": [{"metric": "thdmon_wifi_noise_dbm", "oid": NOISE,
                         "labels": {"ap": {"index": "1-6"}, "radio": {"index": "7"}, "band": {"index": "8"}},
                         "filters": [{"index": "8", predicate: [{"index": "1-7"}, {"lookup": CHANNEL}]}]}]})

    mac = "0.1.2.3.4.5"
    walked = [snmprec.RecVarbind(f"{CHANNEL}.{mac}.1", b"44.0", "octet_string"),
              *(snmprec.RecVarbind(f"{NOISE}.{mac}.1.{c}", -c, "integer") for c in (36, 40, 44, 48)),
              snmprec.RecVarbind(f"{NOISE}.{mac}.2.36", -99, "integer")]  # slot 2: no radio row, no verdict
    kept = {p: {dict(s.labels)["band"]: s.value for s in decode(module(p), walked, 0.0).samples}
            for p in ("equals", "not_equals")}
    assert kept == {"equals": {"44": -44}, "not_equals": {"36": -36, "40": -40, "48": -48}}
