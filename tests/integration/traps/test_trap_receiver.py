"""Traps sent by net-snmp's real `snmptrap` (v2c and v3 authPriv) reach the receiver."""

from __future__ import annotations

import asyncio
import shutil

import pytest

from collector.snmp.traps import Trap, TrapReceiver, V3TrapUser
from lab.snmp.snmpd import free_udp_port
from tests.conftest import require

ENGINE_ID = "8000000001020304"


async def _run(receiver: TrapReceiver, senders: list[list[str]], expect: int) -> list[Trap]:
    got: list[Trap] = []
    receiver._on_trap = got.append
    receiver.start()
    try:
        for argv in senders:
            proc = await asyncio.create_subprocess_exec(*argv, stderr=asyncio.subprocess.PIPE)
            _, err = await proc.communicate()
            assert proc.returncode == 0, err.decode()
        for _ in range(100):
            if sum(receiver.counts.values()) >= expect:
                break
            await asyncio.sleep(0.05)
    finally:
        receiver.close()
    return got


@pytest.fixture
def port() -> int:
    require(shutil.which("snmptrap") is not None, "net-snmp snmptrap is not installed (Debian: snmp)")
    return free_udp_port()


def test_v2c_link_traps_from_inventory_devices(port):
    receiver = TrapReceiver(("127.0.0.1", port), lambda t: None, {"127.0.0.1": "sw-col-001"},
                            communities=["trapcomm"])
    base = ["snmptrap", "-v2c", "-c", "trapcomm", f"127.0.0.1:{port}", "123"]
    got = asyncio.run(_run(receiver, [
        # a wrong community is not accepted at all; sent first, so it is processed before the good ones
        ["snmptrap", "-v2c", "-c", "wrong", f"127.0.0.1:{port}", "123", "1.3.6.1.6.3.1.1.5.4"],
        base + ["1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.7", "i", "7"],
        base + ["1.3.6.1.6.3.1.1.5.1"],
    ], expect=2))

    assert [(t.device, t.name, t.if_index) for t in got] == [("sw-col-001", "linkDown", 7),
                                                             ("sw-col-001", "coldStart", None)]
    assert receiver.counts == {"linkDown": 1, "coldStart": 1}


def test_v3_authpriv_trap(port):
    user = V3TrapUser("trapuser", ENGINE_ID, "SHA", "authpass123", "AES", "privpass123")
    assert "authpass123" not in repr(user)
    receiver = TrapReceiver(("127.0.0.1", port), lambda t: None, {"127.0.0.1": "wlc-dc-01"}, v3_users=[user])
    argv = ["snmptrap", "-v3", "-e", f"0x{ENGINE_ID}", "-u", "trapuser", "-l", "authPriv", "-a", "SHA", "-A",
            "authpass123", "-x", "AES", "-X", "privpass123", f"127.0.0.1:{port}", "", "1.3.6.1.6.3.1.1.5.4",
            "1.3.6.1.2.1.2.2.1.1.3", "i", "3"]
    got = asyncio.run(_run(receiver, [argv], expect=1))
    assert [(t.device, t.name, t.if_index) for t in got] == [("wlc-dc-01", "linkUp", 3)]


def test_unknown_source_is_counted_and_dropped(port):
    receiver = TrapReceiver(("127.0.0.1", port), lambda t: None, {"127.0.0.99": "elsewhere"},
                            communities=["trapcomm"])
    base = ["snmptrap", "-v2c", "-c", "trapcomm", f"127.0.0.1:{port}", "123", "1.3.6.1.6.3.1.1.5.3"]
    got = asyncio.run(_run(receiver, [base], expect=1))
    assert got == []
    assert receiver.counts == {"unknown_source": 1}


def test_reconfigure_swaps_communities_and_sources_without_rebinding(port):
    """A reloaded inventory: the old community stops being accepted, the new one is, on the same socket."""
    got: list[Trap] = []
    receiver = TrapReceiver(("127.0.0.1", port), got.append, {"127.0.0.1": "sw-old"}, communities=["oldcomm"])

    def send(community: str, trap_oid: str) -> list[str]:
        return ["snmptrap", "-v2c", "-c", community, f"127.0.0.1:{port}", "123", trap_oid]

    async def main() -> None:
        receiver.start()
        try:
            for argv, expect in ((send("oldcomm", "1.3.6.1.6.3.1.1.5.3"), 1), (None, 0),
                                 (send("oldcomm", "1.3.6.1.6.3.1.1.5.4"), 1),  # refused now: not counted
                                 (send("newcomm", "1.3.6.1.6.3.1.1.5.1"), 2)):
                if argv is None:
                    receiver.reconfigure({"127.0.0.1": "sw-new"}, ["newcomm"])
                    continue
                proc = await asyncio.create_subprocess_exec(*argv, stderr=asyncio.subprocess.PIPE)
                await proc.communicate()
                for _ in range(40):
                    if sum(receiver.counts.values()) >= expect:
                        break
                    await asyncio.sleep(0.05)
        finally:
            receiver.close()

    asyncio.run(main())
    assert [(t.device, t.name) for t in got] == [("sw-old", "linkDown"), ("sw-new", "coldStart")]
    assert receiver.counts == {"linkDown": 1, "coldStart": 1}
