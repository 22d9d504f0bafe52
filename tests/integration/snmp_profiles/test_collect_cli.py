"""`thdmon collect` human output and errors, against a port where nothing listens (ICMP refused)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab import inventory_files
from lab.ports import free_udp_port
from thdmon.cli import main


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "inv"
    inventory_files.write_inventory(
        root, sites=[inventory_files.site("col-a", name="Collège A", commune="Bondy")],
        credentials={"v2": inventory_files.snmp_v2c("env:THDMON_TEST_COMMUNITY")},
        devices=[inventory_files.device("sw-a", "col-a", snmp_port=free_udp_port(), snmp="v2")])
    monkeypatch.setenv("THDMON_TEST_COMMUNITY", "s3cret-community")
    monkeypatch.setenv("THDMON_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("THDMON_COLLECTOR__TIMEOUT", "0.5")
    monkeypatch.setenv("THDMON_COLLECTOR__RETRIES", "0")
    return root


def test_summary_table_and_down_reason(inventory: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["--inventory", str(inventory), "collect", "--once", "--site", "col-a", "--protocol", "snmp"])
    out = capsys.readouterr().out
    assert rc == 1  # no device answered
    assert "Collection" in out and "Down" in out and "snmp" in out
    assert "sw-a" in out and ("refused" in out or "timeout" in out)
    assert "s3cret-community" not in out


def test_unknown_device_and_site_are_clear_errors(inventory: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--inventory", str(inventory), "collect", "--once", "--device", "nope"]) == 2
    assert "device 'nope' is not in the inventory" in capsys.readouterr().err
    assert main(["--inventory", str(inventory), "collect", "--once", "--site", "nowhere"]) == 2
    assert "site 'nowhere' is not in the inventory" in capsys.readouterr().err


def test_once_is_required(inventory: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--inventory", str(inventory), "collect"]) == 2
    assert "--once" in capsys.readouterr().err
