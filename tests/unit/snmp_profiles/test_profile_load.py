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
