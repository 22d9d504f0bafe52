"""The pipeline operations behind metric hygiene: times as Unix timestamps, CPUs named by position."""

from __future__ import annotations

from collector.snmp.decode import Walked, decode
from collector.snmp.profile import modules
from lab.snmp.snmprec import RecVarbind

IF_DESCR, IF_TYPE, IF_LAST_CHANGE = "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.3", "1.3.6.1.2.1.2.2.1.9"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
HR_LOAD = "1.3.6.1.2.1.25.3.3.1.2"


def vb(oid: str, tag: str, value: object) -> RecVarbind:
    return RecVarbind(oid, value, tag)


def test_if_last_change_is_a_unix_timestamp_at_the_polls_clock():
    rows = {1: 380_000, 2: 0, 3: 600_000}  # changed 1,200 s ago; never since the start; "after now": wrapped
    walked = Walked([vb(SYS_UPTIME, "67", 500_000)]  # up 5,000 s
                    + [vb(f"{IF_DESCR}.{i}", "4", f"eth{i}") for i in rows]
                    + [vb(f"{IF_TYPE}.{i}", "2", 6) for i in rows]
                    + [vb(f"{IF_LAST_CHANGE}.{i}", "67", ticks) for i, ticks in rows.items()])
    got = {dict(s.labels)["ifname"]: s.value for s in decode(modules()["if_mib"], walked, 1_800_000_000.0).samples
           if s.metric == "thdmon_interface_last_change_timestamp_seconds"}
    assert got == {"eth1": 1_800_000_000.0 - 1_200, "eth2": 1_800_000_000.0 - 5_000}


def test_cpus_that_the_mib_only_numbers_are_named_by_position_with_the_index_on_their_info():
    walked = Walked([vb(f"{HR_LOAD}.196608", "2", 9), vb(f"{HR_LOAD}.196609", "2", 10)])
    samples = decode(modules()["host_resources"], walked, 1.0).samples
    assert {(s.metric, s.labels, s.value) for s in samples if s.metric.startswith("thdmon_cpu")} == {
        ("thdmon_cpu_utilisation_ratio", (("cpu", "cpu0"),), 0.09),
        ("thdmon_cpu_utilisation_ratio", (("cpu", "cpu1"),), 0.1),
        ("thdmon_cpu_info", (("cpu", "cpu0"), ("cpu_index", "196608")), 1.0),
        ("thdmon_cpu_info", (("cpu", "cpu1"), ("cpu_index", "196609")), 1.0)}
