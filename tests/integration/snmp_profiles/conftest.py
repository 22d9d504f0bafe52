"""snmpsim serving a few real recordings (symlinked from ../shared, never copied) for end-to-end polls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require
from tests.integration.snmp_engine.agents import SNMPSIM, Agent, have, start_snmpsim

RECORDINGS = ("ios_ie32008t2s-ios17-12", "ciscowlc_cbw240ac")


@pytest.fixture(scope="session")
def recordings_agent(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[Agent]:
    require(SNMPSIM.exists(), "snmpsim not installed in .venv (pip install snmpsim pysmi)")
    require(have("snmpget"), "net-snmp tools not installed (apt-get install snmp)")
    files = [shared_dir / "snmprec" / f"{name}.snmprec" for name in RECORDINGS]
    for f in files:
        require(f.exists(), f"{f} missing")
    agent = start_snmpsim(tmp_path_factory.mktemp("snmpsim-profiles"), files)
    yield agent
    agent.stop()
