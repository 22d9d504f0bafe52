"""Agents shared by the engine conformance tests: one snmpd, one snmpsim, a silent and a garbage peer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from collector.snmp.gufo_engine import GufoEngine
from collector.snmp.pysnmp_engine import PysnmpEngine
from lab.snmp.snmpd import SnmpdAgent, start_snmpd
from tests.conftest import require
from tests.integration.snmp_engine.agents import SNMPSIM, Agent, UdpPeer, have, start_snmpsim

RECORDING = "unifi_nanohd.snmprec"  # IF-MIB with Counter64 columns and binary MAC addresses


@pytest.fixture(scope="session")
def snmpd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SnmpdAgent]:
    require(have("snmpd") and have("snmpbulkwalk"), "net-snmp snmpd/snmp not installed (apt-get install snmpd snmp)")
    agent = start_snmpd(tmp_path_factory.mktemp("snmpd"))
    yield agent
    agent.stop()


@pytest.fixture(scope="session")
def snmpsim(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[Agent]:
    require(SNMPSIM.exists(), "snmpsim not installed in .venv (pip install snmpsim pysmi)")
    recording = shared_dir / "snmprec" / RECORDING
    require(recording.exists(), f"{recording} missing")
    agent = start_snmpsim(tmp_path_factory.mktemp("snmpsim"), [recording])
    yield agent
    agent.stop()


@pytest.fixture
def silent_peer() -> Iterator[UdpPeer]:
    peer = UdpPeer()
    yield peer
    peer.close()


@pytest.fixture
def garbage_peer() -> Iterator[UdpPeer]:
    peer = UdpPeer(garbage=True)
    yield peer
    peer.close()


@pytest.fixture(params=["gufo", "pysnmp"])
def engine_factory(request: pytest.FixtureRequest) -> type[GufoEngine] | type[PysnmpEngine]:
    """The engine class: each test builds it inside its own event loop."""
    return GufoEngine if request.param == "gufo" else PysnmpEngine
