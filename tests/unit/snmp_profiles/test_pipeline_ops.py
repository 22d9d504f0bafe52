"""Label steps and value transforms on hand-made varbinds, for the cases no recording exercises."""

from __future__ import annotations

from collector.snmp.decode import Walked, run_pipeline, to_text
from collector.snmp.profile import Step
from tests.unit.snmp_profiles.snmprec import RecVarbind

WALKED = Walked([
    RecVarbind("1.2.3.1.5", b"eth5", "octet_string"),
    RecVarbind("1.2.3.2.5", "1.3.6.1.2.1.2.2.1.1.7", "object_identifier"),
    RecVarbind("1.2.3.3.7", b"uplink", "octet_string"),
    RecVarbind("1.2.3.4.5", None, "nosuchinstance"),
])


def _run(steps: list[dict], index: str) -> str | None:
    return run_pipeline([Step.model_validate(s) for s in steps], index, WALKED)


def test_index_rendering() -> None:
    assert _run([{"as": "mac"}], "112.58.14.201.194.70") == "70:3a:0e:c9:c2:46"
    assert _run([{"as": "mac"}], "1.2.3") is None  # not six arcs
    assert _run([{"as": "string"}], "4.101.116.104.48") == "eth0"  # length-prefixed
    assert _run([{"as": "string"}], "101.116.104.48") == "eth0"  # implied
    assert _run([{"index": "2-3"}], "9.8.7.6") == "8.7"
    assert _run([{"index": "3-"}], "9.8.7.6") == "7.6"
    assert _run([{"index": "-1"}], "9.8.7.6") == "6"
    assert _run([{"index": "5"}], "9.8.7.6") is None


def test_lookup_last_arcs_and_reverse() -> None:
    # an OID-valued column pointing at an ifIndex, then that row of another column
    assert _run([{"lookup": "1.2.3.2"}, {"last_arcs": 1}, {"lookup": "1.2.3.3"}], "5") == "uplink"
    assert _run([{"text": "eth9"}, {"reverse": "1.2.3.1"}], "0") is None  # no such row
    assert _run([{"text": "eth5"}, {"reverse": "1.2.3.1"}], "0") == "5"
    assert _run([{"lookup": "1.2.3.4"}], "5") is None  # an absent value is a miss
    assert _run([{"lookup": "1.2.3.4", "default": "?"}], "5") == "?"


def test_map_regex_join_first_of() -> None:
    assert _run([{"lookup": "1.2.3.1"}, {"regex": r"(\d+)$"}, {"map": {"5": "five"}}], "5") == "five"
    assert _run([{"join": [[{"lookup": "1.2.3.1"}], [{"text": "x"}]], "sep": "/"}], "5") == "eth5/x"
    assert _run([{"first_of": [[{"lookup": "1.2.3.9"}], [{"index": ""}]]}], "5") == "5"


def test_text_rendering() -> None:
    assert to_text(b"Cisco   IE3200\r\n 17") == "Cisco IE3200 17"
    assert to_text(b"\x00\x1b\x21\xa0\x00\x01") == "00:1b:21:a0:00:01"
    assert to_text(b"Coll\xc3\xa8ge\x00\x00") == "Collège"
    assert to_text(None) is None
