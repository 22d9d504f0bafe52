"""Module files load and validate once; every bad file gets an error naming file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.snmp.profile import PROFILES_DIR, ProfileError, load_module, load_modules
from metrics import catalogue

GOOD = """\
name: {name}
description: test
walk:
  - 1.3.6.1.2.1.2.2.1
metrics:
  - metric: thdmon_interface_oper_up
    oid: 1.3.6.1.2.1.2.2.1.8
    labels:
      ifname: {{lookup: 1.3.6.1.2.1.2.2.1.2}}
    value:
      - enum: {{1: 1, default: 0}}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    return path


def test_shipped_modules_load_and_use_catalogue_metrics() -> None:
    mods = load_modules(PROFILES_DIR)
    required = {"system", "if_mib", "entity_sensor", "cisco_entity_sensor", "poe", "lldp", "host_resources"}
    assert required <= set(mods)
    for module in mods.values():
        for mm in module.metrics:
            assert set(mm.labels) == set(catalogue.get(mm.metric).labels)


def test_good_module(tmp_path: Path) -> None:
    module = load_module(_write(tmp_path, "t", GOOD.format(name="t")))
    assert module.metrics[0].value[0].enum == {"1": 1, "default": 0}


@pytest.mark.parametrize(("old", "new", "line", "words"), [
    ("thdmon_interface_oper_up", "thdmon_interface_up", 6, "not in the catalogue"),
    ("      ifname: {lookup: 1.3.6.1.2.1.2.2.1.2}\n", "      ifname: {lookup: 1.3.6.1.2.1.2.2.1.2}\n"
     "      ifalias: {text: x}\n", 8, "labels"),
    ("    oid: 1.3.6.1.2.1.2.2.1.8", "    oid: ifOperStatus", 7, "not a numeric OID"),
    ("    oid: 1.3.6.1.2.1.2.2.1.8", "    oid: 1.3.6.1.2.1.31.1.1.1.6", 7, "not under any OID of `walk`"),
    ("      - enum: {1: 1, default: 0}", "      - enum: {1: 1}\n        scale: 2", 11, "exactly one"),
    ("      ifname: {lookup: 1.3.6.1.2.1.2.2.1.2}", "      ifname: {lookup: 1.3.6.1.2.1.2.2.1.2, text: x}", 9,
     "exactly one"),
    ("description: test\n", "description: test\ncolour: blue\n", 3, "Extra inputs"),
    ("  - metric: thdmon_interface_oper_up", "  - metric: [unclosed", 7, "invalid YAML"),
])
def test_bad_module_names_file_and_line(tmp_path: Path, old: str, new: str, line: int, words: str) -> None:
    text = GOOD.format(name="bad")
    assert old in text
    path = _write(tmp_path, "bad", text.replace(old, new))
    with pytest.raises(ProfileError) as err:
        load_module(path)
    message = str(err.value)
    assert f"{path}:{line}" in message, message
    assert words in message


def test_name_must_match_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "other", GOOD.format(name="t"))
    with pytest.raises(ProfileError, match=r"other.yaml:1: name 't' must match"):
        load_module(path)


def test_per_collector_metric_is_refused(tmp_path: Path) -> None:
    text = GOOD.format(name="c").replace("thdmon_interface_oper_up", "thdmon_collector_devices")
    with pytest.raises(ProfileError, match="not a per-device metric"):
        load_module(_write(tmp_path, "c", text))


# A per-channel table joined to its radio table: the shape of wifi_airespace's noise (AP MAC . slot . channel).
JOINED = """\
name: {name}
description: test
walk:
  - 1.3.6.1.4.1.14179.2.2.2.1
  - 1.3.6.1.4.1.14179.2.2.15.1.21
metrics:
  - metric: thdmon_wifi_noise_dbm
    oid: 1.3.6.1.4.1.14179.2.2.15.1.21
    labels:
      ap: {{index: "1-6"}}
      radio: {{index: "7"}}
      band: {{text: all}}
    filters:
      - index: "8"
        equals: [{{index: "1-7"}}, {{lookup: 1.3.6.1.4.1.14179.2.2.2.1.4}}]
"""
EQUALS = '        equals: [{index: "1-7"}, {lookup: 1.3.6.1.4.1.14179.2.2.2.1.4}]'


def test_a_joined_filter_loads_with_its_pipeline(tmp_path: Path) -> None:
    flt = load_module(_write(tmp_path, "j", JOINED.format(name="j"))).metrics[0].filters[0]
    assert [s.index for s in flt.source] == ["8"]
    assert flt.equals is not None and [(s.index, s.lookup) for s in flt.equals] == [
        ("1-7", None), (None, "1.3.6.1.4.1.14179.2.2.2.1.4")]


@pytest.mark.parametrize(("new", "words"), [
    ("        equals: 36", "not the constant 36 (compare with constants with `in: [...]`)"),
    ("        equals: []", "an empty pipeline has nothing to compare with"),
    ('        equals: [{index: "1-7"}, {lookup: 1.3.6.1.4.1.14179.2.2.2.1.4, text: x}]', "exactly one"),
    ('        equals: [{index: "1-7"}, {lookup: ifDescr}]', "not a numeric OID"),
    ('        equals: [{index: "1-7"}, {lookup: 1.3.6.1.2.1.2.2.1.2}]', "lookup 1.3.6.1.2.1.2.2.1.2 is not under"),
    # the shorthand filter (`- index: "8"` + predicates): a key that is no predicate belongs to its step
    ('        equals_column: 1.3.6.1.4.1.14179.2.2.2.1.4', "source.0.equals_column: Extra inputs"),
])
def test_a_bad_join_predicate_names_file_line_and_field(tmp_path: Path, new: str, words: str) -> None:
    text = JOINED.format(name="bad")
    assert EQUALS in text
    path = _write(tmp_path, "bad", text.replace(EQUALS, new))
    with pytest.raises(ProfileError) as err:
        load_module(path)
    message = str(err.value)
    line = 14 if "Extra" in words else 15  # the `equals` line; the filter's for a key it does not know
    assert f"{path}:{line}: " in message, message
    assert words in message, message
    if "Extra" not in words and "not under" not in words:
        assert "metrics.0.filters.0.equals" in message, message
