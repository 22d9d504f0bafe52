"""The decoder trusts walk order for speed: these tests prove it never depends on it.

`Walked` groups varbinds by column assuming a walk's order and sorts only a column found out of order;
the labels and filter verdicts of a row are computed once and shared by every metric. Whatever the
order of the varbinds, the decoded samples must be the same, in the same order.
"""

from __future__ import annotations

import dataclasses
import random

import pytest

from collector.model import Sample
from collector.snmp.decode import DecodeResult, Walked, decode, new_sample
from collector.snmp.profile import modules
from tests.conftest import require
from tests.unit.snmp_profiles import snmprec
from tests.unit.snmp_profiles.snmprec import RecVarbind

IF = "1.3.6.1.2.1.2.2.1"
IFX = "1.3.6.1.2.1.31.1.1.1"


def _recordings() -> list[str]:
    require(snmprec.SNMPREC.is_dir(), f"{snmprec.SNMPREC} is absent: recordings unavailable")
    return sorted(snmprec.all_recordings())


def _oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.split("."))


def _as_tuple(result: DecodeResult) -> tuple[list[tuple[str, tuple[tuple[str, str], ...], str]], list, int]:
    # repr() of the value: -0.0 and 0.0 (or two NaNs) must not pass for each other
    return ([(s.metric, s.labels, repr(s.value)) for s in result.samples], sorted(result.counter32),
            result.skipped)


@pytest.mark.parametrize("order", ["shuffled", "reversed", "interleaved"])
def test_every_recording_decodes_the_same_in_any_order(order: str) -> None:
    mods = modules()
    for name in _recordings():
        varbinds = snmprec.read(snmprec.recording(name))
        if order == "shuffled":
            other = random.Random(name).sample(varbinds, len(varbinds))
        elif order == "reversed":
            other = varbinds[::-1]
        else:  # two halves dealt alternately: every column split into runs
            other = [vb for pair in zip(varbinds[::2], varbinds[1::2], strict=False) for vb in pair]
            other += varbinds[len(other):]
        walked, moved = Walked(varbinds), Walked(other)
        for module in mods.values():
            expected = _as_tuple(decode(module, walked, 1.0))
            assert _as_tuple(decode(module, moved, 1.0)) == expected, f"{name}/{module.name} ({order})"


# The brute force below is O(columns x varbinds): minutes on the 27,000-line ArubaOS capture, so the big
# recordings run in the slow suite only (CI runs it), the others by default.
_BIG = {"arubaos"}


@pytest.mark.parametrize("name", [n if n not in _BIG else pytest.param(n, marks=pytest.mark.slow)
                                  for n in sorted(snmprec.all_recordings())] or ["(none)"])
def test_columns_match_a_brute_force_sort_of_every_recording(name: str) -> None:
    # The slow, obvious definition: every OID under `column.`, sorted as integer tuples.
    require(snmprec.recording(name).is_file(), f"{snmprec.recording(name)} is absent: recordings unavailable")
    varbinds = snmprec.read(snmprec.recording(name))
    shuffled = Walked(random.Random(0).sample(varbinds, len(varbinds)))
    by_oid = {vb.oid: vb for vb in varbinds if vb.value is not None}
    columns = {vb.oid.rsplit(".", 1)[0] for vb in varbinds} | {c for m in modules().values()
                                                             for mm in m.metrics for c in mm.oid}
    for column in sorted(columns):
        brute = sorted(((k[len(column) + 1:], vb) for k, vb in by_oid.items() if k.startswith(column + ".")),
                       key=lambda row: _oid_key(row[0]))
        assert shuffled.column(column) == brute, f"{name}: {column}"


def test_column_order_with_multi_arc_and_mixed_indexes() -> None:
    rows = ["5", "5.1", "10", "4.200.3", "4.30", "1"]
    walked = Walked([RecVarbind(f"1.2.3.{r}", int(r.split(".")[0]), "int") for r in rows]
                    + [RecVarbind("1.2.30.1", 9, "int"), RecVarbind("1.2.3", 7, "int")])  # a sibling, a parent
    assert [i for i, _ in walked.column("1.2.3")] == ["1", "4.30", "4.200.3", "5", "5.1", "10"]
    assert [i for i, _ in walked.column("1.2.3.4")] == ["30", "200.3"]
    assert walked.column("1.2.30") == [("1", walked.get("1.2.30.1"))]
    assert walked.column("1.2.4") == []


def test_a_repeated_oid_keeps_its_last_value_and_a_leading_dot_is_ignored() -> None:
    walked = Walked([RecVarbind(".1.2.3.1", 1, "int"), RecVarbind("1.2.3.2", 2, "int"),
                     RecVarbind("1.2.3.1", 3, "int"), RecVarbind("1.2.3.3", None, "nosuchinstance")])
    assert [(i, vb.value) for i, vb in walked.column("1.2.3")] == [("1", 3), ("2", 2)]


def _if_walk(rows: dict[int, dict[str, object]]) -> list[RecVarbind]:
    """A hand-made IF-MIB walk, column by column as an agent returns it."""
    columns = {"type": f"{IF}.3", "descr": f"{IF}.2", "speed": f"{IF}.5", "in32": f"{IF}.10",
               "name": f"{IFX}.1", "in64": f"{IFX}.6", "high_speed": f"{IFX}.15"}
    out = []
    for key, column in sorted(columns.items(), key=lambda kv: _oid_key(kv[1])):
        for index, values in sorted(rows.items()):
            if key in values:
                value = values[key]
                out.append(RecVarbind(f"{column}.{index}", value.encode() if isinstance(value, str) else value,
                                      "octets" if isinstance(value, str) else "int"))
    return out


def test_fallback_rows_duplicates_and_shared_labels() -> None:
    walk = _if_walk({
        1: {"type": 6, "descr": "GigabitEthernet1/1", "name": "Gi1/1", "speed": 1_000_000_000, "high_speed": 1000,
            "in64": 2**40, "in32": 7},
        2: {"type": 6, "descr": "GigabitEthernet1/2", "name": "Gi1/2", "speed": 100_000_000, "in32": 12},
        3: {"type": 1, "descr": "Null0", "name": "Nu0", "speed": 0, "in32": 0},  # filtered out, not skipped
    })
    result = decode(modules()["if_mib"], walk, 5.0)
    by = {(s.metric, dict(s.labels)["ifname"]): s.value for s in result.samples}
    assert by[("thdmon_interface_receive_bytes_total", "Gi1/1")] == 2**40  # ifHCInOctets
    assert by[("thdmon_interface_receive_bytes_total", "Gi1/2")] == 12  # ifInOctets: the fallback row
    assert result.counter32 == {("thdmon_interface_receive_bytes_total", (("ifname", "Gi1/2"),))}
    # ifHighSpeed first; ifSpeed only where it is missing; the duplicate of Gi1/1 is counted as skipped
    assert by[("thdmon_interface_speed_bits_per_second", "Gi1/1")] == 1e9
    assert by[("thdmon_interface_speed_bits_per_second", "Gi1/2")] == 1e8
    assert result.skipped == 1
    assert not any(name == "Nu0" for _, name in by)
    assert [s.metric for s in result.samples].count("thdmon_interface_info") == 2
    # one label tuple per interface, shared by its samples
    gi2 = [s.labels for s in result.samples if s.metric != "thdmon_interface_info" and s.labels[0][1] == "Gi1/2"]
    assert len(gi2) == 2 and gi2[0] is gi2[1]


def test_samples_built_through_the_slots_equal_the_constructors() -> None:
    labels = (("ifname", "Gi1/1"),)
    fast, slow = new_sample("thdmon_interface_oper_up", labels, 1.0, 5.0), Sample("thdmon_interface_oper_up",
                                                                                   labels, 1.0, 5.0)
    assert type(fast) is Sample
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.value = 2.0  # type: ignore[misc]
