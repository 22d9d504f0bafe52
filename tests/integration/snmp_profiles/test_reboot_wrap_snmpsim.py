"""Counter32 wrap and reboot seen through a real agent: snmpsim serving a small data file that the test
edits in place between polls (snmpsim rereads it; equal-length edits keep its index valid)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pydantic import SecretStr

from collector.snmp.gufo_engine import GufoEngine
from collector.snmp.poll import WRAP32, DeviceMemory, poll_device
from collector.snmp.profile import modules
from collector.snmp.target import Target
from tests.conftest import require
from tests.integration.snmp_engine.agents import SNMPSIM, have, start_snmpsim

# A synthetic device written by the test (not a recording): values padded so edits keep line lengths.
DATA = """\
1.3.6.1.2.1.1.1.0|4|thdmon synthetic agent
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.1
1.3.6.1.2.1.1.3.0|67|{uptime:010d}
1.3.6.1.2.1.1.5.0|4|synthetic
1.3.6.1.2.1.2.2.1.2.1|4|eth0
1.3.6.1.2.1.2.2.1.3.1|2|6
1.3.6.1.2.1.2.2.1.14.1|65|{errors:010d}
"""


def _value(samples: list, metric: str) -> float:
    return next(s.value for s in samples if s.metric == metric)


def test_wrap_then_reboot(tmp_path: Path) -> None:
    require(SNMPSIM.exists() and have("snmpget"), "snmpsim (.venv) and net-snmp tools needed")
    data = tmp_path / "synthetic.snmprec"
    data.write_text(DATA.format(uptime=500000, errors=WRAP32 - 6))
    agent = start_snmpsim(tmp_path / "agent", [data])
    try:
        target = Target(name="synthetic", address=agent.host, port=agent.port, community=SecretStr("synthetic"),
                        timeout=2.0, retries=1)
        memory = DeviceMemory()

        async def poll() -> list:
            engine = GufoEngine()
            try:
                result = await poll_device(engine, target, profile=None, profiles={}, modules=modules(),
                                           memory=memory)
            finally:
                await engine.close()
            assert result.state.up, result.state.detail
            return result.samples

        first = asyncio.run(poll())
        assert _value(first, "thdmon_interface_receive_errors_total") == WRAP32 - 6
        assert _value(first, "thdmon_device_uptime_seconds") == 5000
        data.write_text(DATA.format(uptime=506000, errors=5))  # 11 errors later, through 2^32
        wrapped = asyncio.run(poll())
        assert _value(wrapped, "thdmon_interface_receive_errors_total") == WRAP32 + 5
        assert _value(wrapped, "thdmon_device_reboots_total") == 0
        data.write_text(DATA.format(uptime=100, errors=7))  # uptime went backwards: a reboot
        rebooted = asyncio.run(poll())
        assert _value(rebooted, "thdmon_device_reboots_total") == 1
        assert _value(rebooted, "thdmon_interface_receive_errors_total") == 7
    finally:
        agent.stop()
