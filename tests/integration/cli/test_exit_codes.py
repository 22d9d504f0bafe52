"""Exit codes as the README's table says, with `collect --fail-on-down` over real ICMP: the loopback
answers; 240.0.0.1 (reserved, class E) is unreachable for the kernel itself, whatever the network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lab import inventory_files
from thdmon.cli import EXIT_INVALID, EXIT_OK, EXIT_PROBLEM, main


@pytest.fixture
def inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "inv"
    inventory_files.write_inventory(
        root, sites=[inventory_files.site("col-a", name="Collège A", commune="Bondy")],
        devices=[inventory_files.device("sw-up", "col-a"),
                 inventory_files.device("sw-gone", "col-a", address="240.0.0.1")])
    monkeypatch.setenv("THDMON_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("THDMON_COLLECTOR__TIMEOUT", "0.5")
    return root


def test_collect_exits_1_with_a_device_down_only_when_asked(inventory: Path, capsys: pytest.CaptureFixture[str]):
    base = ["--inventory", str(inventory), "collect", "--once", "--protocol", "icmp", "--json"]
    assert main(base) == EXIT_OK  # one device answered: the pass itself went fine
    report = json.loads(capsys.readouterr().out)
    assert {name: d["up"] for name, d in report["devices"].items()} == {"sw-up": True, "sw-gone": False}
    assert main([*base, "--fail-on-down"]) == EXIT_PROBLEM
    capsys.readouterr()
    assert main([*base, "--fail-on-down", "--device", "sw-up"]) == EXIT_OK
    assert main([*base[:-1], "--device", "sw-gone"]) == EXIT_PROBLEM  # none answered


def test_bad_input_is_2(inventory: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["--inventory", str(inventory), "collect", "--once", "--device", "nope"]) == EXIT_INVALID
    assert main(["--inventory", str(inventory), "collect", "--bogus-flag"]) == EXIT_INVALID
    bad = tmp_path / "thdmon.toml"
    bad.write_text("[collector]\nconcurrency = 0\n", encoding="utf-8")
    assert main(["--config", str(bad), "settings", "show"]) == EXIT_INVALID
    assert "collector.concurrency (from file" in capsys.readouterr().err
