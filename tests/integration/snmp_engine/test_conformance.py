"""Both engines against the same real agents: same OIDs, same values as net-snmp, same failure reasons."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import SecretStr

from collector.model import DownReason
from collector.snmp.engine import SnmpEngine, SnmpError, Varbind, family
from collector.snmp.gufo_engine import GufoEngine
from collector.snmp.target import Target, V3Params
from lab.snmp.snmpd import AUTH_KEY, PRIV_KEY, SnmpdAgent, start_snmpd
from tests.integration.snmp_engine.agents import Agent, UdpPeer, netsnmp_walk

IF_TABLE = "1.3.6.1.2.1.2.2"
IF_X_TABLE = "1.3.6.1.2.1.31.1.1"
SYS_OR_DESCR = "1.3.6.1.2.1.1.9.1.3"  # ~10 static rows in any net-snmp snmpd
# Columns of a live snmpd whose values move between two walks (loopback traffic counters, uptime).
LIVE_COLUMNS = ("1.3.6.1.2.1.2.2.1.1", "1.3.6.1.2.1.31.1.1.1.1", "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.3")
MOVING = tuple(f"1.3.6.1.2.1.2.2.1.{c}." for c in range(10, 21)) + \
    tuple(f"1.3.6.1.2.1.31.1.1.1.{c}." for c in range(2, 14))


def run(engine_cls: type, body: Callable[[SnmpEngine], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        engine = engine_cls()
        try:
            return await body(engine)
        finally:
            await engine.close()

    return asyncio.run(main())


def v2c(agent: Agent | SnmpdAgent | UdpPeer, community: str = "public", timeout: float = 2.0,
        retries: int = 1) -> Target:
    host = "127.0.0.1" if isinstance(agent, UdpPeer) else agent.host
    return Target("dev", host, agent.port, community=SecretStr(community), timeout=timeout, retries=retries)


def v3(agent: Agent | SnmpdAgent, user: str, level: str, auth: str | None = None, priv: str | None = None,
       auth_pass: str = AUTH_KEY, context: str = "", timeout: float = 2.0) -> Target:
    params = V3Params(user=user, level=level, auth_protocol=auth,  # type: ignore[arg-type]
                      auth_key=SecretStr(auth_pass) if auth else None,
                      priv_protocol=priv, priv_key=SecretStr(PRIV_KEY) if priv else None,  # type: ignore[arg-type]
                      context=context)
    return Target("dev", agent.host, agent.port, version="3", v3=params, timeout=timeout, retries=0)


def snmpget(agent: Agent | SnmpdAgent, oid: str) -> str:
    return subprocess.run(["snmpget", "-v2c", "-c", agent.community, "-On", "-Oqv", f"{agent.host}:{agent.port}",
                           oid], capture_output=True, text=True, check=True).stdout.strip()


def pairs(varbinds: list[Varbind]) -> list[tuple[str, object]]:
    return [(vb.oid, vb.value) for vb in varbinds]


# -- values -------------------------------------------------------------------------------------------

def test_get_scalars_with_types(engine_factory: type, snmpd: SnmpdAgent) -> None:
    oids = ["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.2.1.0", "1.3.6.1.2.1.4.20.1.1.127.0.0.1"]
    got = run(engine_factory, lambda e: e.get(v2c(snmpd), oids))
    assert [vb.oid for vb in got] == oids
    assert got[0].value == snmpget(snmpd, oids[0]).strip('"').encode() and got[0].type == "octets"
    assert got[1].value == "1.3.6.1.4.1.8072.3.2.10" and got[1].type == "oid"
    assert got[2].value == int(snmpget(snmpd, oids[2])) and family(got[2].type) == "int"  # ifNumber
    assert got[3].value == "127.0.0.1" and got[3].type == "ipaddress"


def test_get_timeticks_and_missing_objects_in_request_order(engine_factory: type, snmpd: SnmpdAgent) -> None:
    oids = ["1.3.6.1.2.1.1.99.0", "1.3.6.1.2.1.1.3.0", "1.3.6.1.2.1.1.1.7"]
    got = run(engine_factory, lambda e: e.get(v2c(snmpd), oids))
    assert [vb.oid for vb in got] == oids
    assert got[0].absent and got[0].value is None and got[2].absent
    assert isinstance(got[1].value, int) and got[1].value > 0 and family(got[1].type) == "int"


def test_bulk_walk_matches_netsnmp_on_snmpd(engine_factory: type, snmpd: SnmpdAgent) -> None:
    for table in (IF_TABLE, IF_X_TABLE):
        reference = netsnmp_walk(snmpd.host, snmpd.port, table)
        got = run(engine_factory, lambda e, t=table: e.bulk_walk(v2c(snmpd), t, max_repetitions=10))
        assert [vb.oid for vb in got] == [oid for oid, _ in reference]
        for vb, (oid, value) in zip(got, reference, strict=True):
            if oid.startswith(MOVING):  # traffic counters: walked after the reference, never smaller
                assert isinstance(vb.value, int) and vb.value >= value, oid  # type: ignore[operator]
            else:
                assert vb.value == value, oid


def test_bulk_walk_matches_netsnmp_on_a_recording(engine_factory: type, snmpsim: Agent) -> None:
    target = v2c(snmpsim, snmpsim.community)
    for table in (IF_TABLE, IF_X_TABLE):
        reference = netsnmp_walk(snmpsim.host, snmpsim.port, table, community=snmpsim.community)
        got = run(engine_factory, lambda e, t=table: e.bulk_walk(target, t))
        assert pairs(got) == reference
    assert len(reference) == 522  # every ifXTable varbind of the recording


def test_counter64_and_binary_octets_from_a_recording(engine_factory: type, snmpsim: Agent) -> None:
    # Values straight from unifi_nanohd.snmprec: ifHCInOctets.2 (70|...) and ifPhysAddress.2 (4x|B4FBE42A3F1C).
    target = v2c(snmpsim, snmpsim.community)
    got = run(engine_factory, lambda e: e.get(target, ["1.3.6.1.2.1.31.1.1.1.6.2", "1.3.6.1.2.1.2.2.1.6.2"]))
    recorded = int(snmpget(snmpsim, "1.3.6.1.2.1.31.1.1.1.6.2"))
    assert got[0].value == recorded and got[0].type in ("counter64", "int")
    assert got[1].value == bytes.fromhex("B4FBE42A3F1C") and got[1].type == "octets"


def test_a_get_larger_than_one_pdu_is_split_and_keeps_order(engine_factory: type, snmpsim: Agent) -> None:
    reference = [(oid, value) for oid, value in netsnmp_walk(snmpsim.host, snmpsim.port, IF_TABLE, snmpsim.community)
                 if oid.startswith(("1.3.6.1.2.1.2.2.1.2.", "1.3.6.1.2.1.2.2.1.3.", "1.3.6.1.2.1.2.2.1.6."))]
    assert len(reference) > 64  # more than two requests' worth
    oids = [oid for oid, _ in reversed(reference)]
    got = run(engine_factory, lambda e: e.get(v2c(snmpsim, snmpsim.community), oids))
    assert pairs(got) == list(reversed(reference))


def test_walk_to_the_end_of_the_mib(engine_factory: type, snmpsim: Agent) -> None:
    # snmpEngineTime.0 is the recording's last OID: the agent answers endOfMibView after it.
    got = run(engine_factory, lambda e: e.bulk_walk(v2c(snmpsim, snmpsim.community), "1.3.6.1.6.3.10"))
    assert pairs(got) == [("1.3.6.1.6.3.10.2.1.3.0", 545023)]


@pytest.mark.parametrize(("user", "level", "auth", "priv"), [
    ("noauth", "noAuthNoPriv", None, None),
    ("authsha", "authNoPriv", "SHA", None),
    ("privsha", "authPriv", "SHA", "AES128"),
    ("privmd5des", "authPriv", "MD5", "DES"),
    ("privsha256", "authPriv", "SHA256", "AES256"),
    ("privsha512", "authPriv", "SHA512", "AES192"),
])
def test_snmpv3_security_levels_and_protocols(engine_factory: type, snmpd: SnmpdAgent, user: str, level: str,
                                              auth: str | None, priv: str | None) -> None:
    target = v3(snmpd, user, level, auth, priv)

    async def body(e: SnmpEngine) -> tuple[list[Varbind], list[Varbind]]:
        return await e.get(target, ["1.3.6.1.2.1.1.5.0"]), await e.bulk_walk(target, "1.3.6.1.2.1.2.2.1.2")

    name, descrs = run(engine_factory, body)
    assert name[0].value == snmpget(snmpd, "1.3.6.1.2.1.1.5.0").strip('"').encode()
    assert pairs(descrs) == netsnmp_walk(snmpd.host, snmpd.port, "1.3.6.1.2.1.2.2.1.2")


def test_snmpv3_context_on_snmpsim_with_the_reference_engine(snmpsim: Agent) -> None:
    from collector.snmp.pysnmp_engine import PysnmpEngine

    target = v3(snmpsim, "privsha", "authPriv", "SHA", "AES128", context=snmpsim.community)
    got = run(PysnmpEngine, lambda e: e.bulk_walk(target, "1.3.6.1.2.1.2.2.1.6"))
    assert pairs(got) == netsnmp_walk(snmpsim.host, snmpsim.port, "1.3.6.1.2.1.2.2.1.6", snmpsim.community)


# -- failures -----------------------------------------------------------------------------------------

def failure(engine_cls: type, call: Callable[[SnmpEngine], Awaitable[Any]]) -> SnmpError:
    async def body(e: SnmpEngine) -> SnmpError:
        try:
            # A hang would be a bug: the bound is far above any configured timeout x retries.
            await asyncio.wait_for(call(e), 30)
        except SnmpError as exc:
            return exc
        raise AssertionError("no SnmpError")

    return run(engine_cls, body)


def test_no_such_object(engine_factory: type, snmpd: SnmpdAgent) -> None:
    err = failure(engine_factory, lambda e: e.get(v2c(snmpd), ["1.3.6.1.2.1.1.99.0", "1.3.6.1.4.1.99999.1.0"]))
    assert err.reason is DownReason.no_such_object and "1.3.6.1.2.1.1.99.0" in err.detail
    err = failure(engine_factory, lambda e: e.bulk_walk(v2c(snmpd), "1.3.6.1.2.1.1.99"))
    assert err.reason is DownReason.no_such_object


def test_silent_port_times_out(engine_factory: type, silent_peer: UdpPeer) -> None:
    err = failure(engine_factory, lambda e: e.bulk_walk(v2c(silent_peer, timeout=0.3, retries=1), IF_X_TABLE))
    assert err.reason is DownReason.timeout and "2 x 0.3 s" in err.detail
    assert silent_peer.received == 2  # the first try and one retry


def test_wrong_community_times_out_without_showing_it(engine_factory: type, snmpd: SnmpdAgent) -> None:
    err = failure(engine_factory, lambda e: e.get(v2c(snmpd, "not-the-community", timeout=0.3, retries=0),
                                                  ["1.3.6.1.2.1.1.5.0"]))
    assert err.reason is DownReason.timeout
    assert "not-the-community" not in str(err)


def test_wrong_v3_password_is_an_auth_failure(engine_factory: type, snmpd: SnmpdAgent) -> None:
    target = v3(snmpd, "privsha", "authPriv", "SHA", "AES128", auth_pass="wrong-password")
    err = failure(engine_factory, lambda e: e.get(target, ["1.3.6.1.2.1.1.5.0"]))
    assert err.reason is DownReason.auth_failure
    assert "wrong-password" not in str(err) and PRIV_KEY not in str(err)


def test_unknown_v3_user_is_an_auth_failure(engine_factory: type, snmpd: SnmpdAgent) -> None:
    err = failure(engine_factory, lambda e: e.get(v3(snmpd, "nobody", "noAuthNoPriv"), ["1.3.6.1.2.1.1.5.0"]))
    assert err.reason is DownReason.auth_failure


def test_garbage_answers_are_malformed_not_a_crash(engine_factory: type, garbage_peer: UdpPeer) -> None:
    for call in (lambda e: e.get(v2c(garbage_peer, timeout=0.3, retries=0), ["1.3.6.1.2.1.1.5.0"]),
                 lambda e: e.bulk_walk(v2c(garbage_peer, timeout=0.3, retries=0), IF_X_TABLE)):
        err = failure(engine_factory, call)
        assert err.reason is DownReason.malformed_response


def test_garbage_before_the_real_answer_is_dropped(engine_factory: type, snmpd: SnmpdAgent) -> None:
    with UdpPeer(garbage=True, upstream=(snmpd.host, snmpd.port)) as liar:
        got = run(engine_factory, lambda e: e.bulk_walk(v2c(liar, retries=0), "1.3.6.1.2.1.2.2.1.2"))
    assert pairs(got) == netsnmp_walk(snmpd.host, snmpd.port, "1.3.6.1.2.1.2.2.1.2")


def test_a_request_lost_mid_walk_is_retried_and_the_walk_completes(engine_factory: type, snmpd: SnmpdAgent) -> None:
    # One row per request: the 2nd and 5th requests are lost, each retried once after the timeout.
    with UdpPeer(upstream=(snmpd.host, snmpd.port), drop=frozenset({2, 5})) as lossy:
        got = run(engine_factory, lambda e: e.bulk_walk(v2c(lossy, timeout=0.5, retries=1), SYS_OR_DESCR, 1))
    expected = netsnmp_walk(snmpd.host, snmpd.port, SYS_OR_DESCR)
    assert len(expected) >= 5
    assert pairs(got) == expected
    assert lossy.received == len(expected) + 1 + 2  # one request per row, the end of the column, two retries


def test_a_walk_fails_when_one_request_exhausts_its_retries(engine_factory: type, snmpd: SnmpdAgent) -> None:
    with UdpPeer(upstream=(snmpd.host, snmpd.port), drop=frozenset({2, 3})) as lossy:
        err = failure(engine_factory, lambda e: e.bulk_walk(v2c(lossy, timeout=0.5, retries=1), SYS_OR_DESCR, 1))
    assert err.reason is DownReason.timeout
    assert lossy.received == 3  # nothing more is sent once the walk has failed


def test_an_agent_looping_on_the_same_rows_is_malformed_not_walked_forever(engine_factory: type,
                                                                         snmpd: SnmpdAgent) -> None:
    # Every request is answered from the start of the column, as a buggy agent would: the walk would
    # never end.
    with UdpPeer(upstream=(snmpd.host, snmpd.port), rewind=SYS_OR_DESCR) as looping:
        err = failure(engine_factory, lambda e: e.bulk_walk(v2c(looping, retries=0), SYS_OR_DESCR, 3))
    assert err.reason is DownReason.malformed_response
    assert "went backwards" in str(err)
    assert looping.received == 2  # the second answer repeats the first: stop there


def test_a_cancelled_walk_leaves_the_session_usable(engine_factory: type, snmpd: SnmpdAgent) -> None:
    # What the scheduler's watchdog does to a stuck poll: cancel it. The next walk must not hear the
    # cancelled one's timer or answers.
    async def body(engine: SnmpEngine, target: Target) -> tuple[bool, list[Varbind]]:
        try:
            async with asyncio.timeout(0.2):
                await engine.bulk_walk(target, SYS_OR_DESCR, 1)
            cancelled = False
        except TimeoutError:
            cancelled = True
        walked = await engine.bulk_walk(target, SYS_OR_DESCR)
        await asyncio.sleep(2.0)  # past the cancelled request's timer (1 s)
        return cancelled, walked

    with UdpPeer(upstream=(snmpd.host, snmpd.port), drop=frozenset({1})) as lossy:
        cancelled, walked = run(engine_factory, lambda e: body(e, v2c(lossy, timeout=1.0, retries=1)))
    assert cancelled
    assert pairs(walked) == netsnmp_walk(snmpd.host, snmpd.port, SYS_OR_DESCR)
    # The lost request, then the second walk's one request. pysnmp's dispatcher does not hear of the
    # cancellation and still sends the cancelled request's retry (its answer is dropped); ours stops.
    assert lossy.received == (2 if engine_factory is GufoEngine else 3)


def test_concurrent_requests_to_one_target(engine_factory: type, snmpd: SnmpdAgent) -> None:
    target = v2c(snmpd)

    async def body(e: SnmpEngine) -> list[list[Varbind]]:
        return await asyncio.gather(*(e.bulk_walk(target, "1.3.6.1.2.1.2.2.1.2") for _ in range(5)),
                                    *(e.get(target, ["1.3.6.1.2.1.1.5.0"]) for _ in range(5)))

    results = run(engine_factory, body)
    reference = netsnmp_walk(snmpd.host, snmpd.port, "1.3.6.1.2.1.2.2.1.2")
    assert all(pairs(r) == reference for r in results[:5])
    assert all(r[0].value == snmpget(snmpd, "1.3.6.1.2.1.1.5.0").strip('"').encode() for r in results[5:])


def test_a_silent_device_does_not_delay_twenty_healthy_walks(engine_factory: type, snmpd: SnmpdAgent,
                                                              silent_peer: UdpPeer) -> None:
    finished: list[str] = []

    async def poll(e: SnmpEngine, name: str, target: Target) -> None:
        try:
            await e.bulk_walk(target, IF_X_TABLE)
        except SnmpError as exc:
            assert exc.reason is DownReason.timeout
        finished.append(name)

    async def body(e: SnmpEngine) -> None:
        # The silent device starts first and would block everyone behind it if anything serialised.
        silent = v2c(silent_peer, timeout=3.0, retries=0)
        healthy = [Target(f"sw{i}", snmpd.host, snmpd.port, community=SecretStr("public"), timeout=5.0)
                   for i in range(20)]
        await asyncio.gather(poll(e, "silent", silent), *(poll(e, t.name, t) for t in healthy))

    run(engine_factory, body)
    assert finished[-1] == "silent"
    assert sorted(finished[:-1]) == sorted(f"sw{i}" for i in range(20))


def test_the_snmp_poller_routes_contexts_to_pysnmp(snmpsim: Agent) -> None:
    """The one engine chooser (`choose_engine`, applied by the SNMP poller): gufo_snmp has no SNMPv3
    context, so a target with one goes to pysnmp; the answers are the same."""
    from collector.poller import PollerOptions
    from collector.snmp.gufo_engine import GufoEngine
    from collector.snmp.poller import SnmpPoller
    from collector.snmp.pysnmp_engine import PysnmpEngine
    from inventory.model import Inventory

    plain = v2c(snmpsim, snmpsim.community)
    with_context = v3(snmpsim, "privsha", "authPriv", "SHA", "AES128", context=snmpsim.community)

    async def main() -> tuple[list[Varbind], list[Varbind], type, type]:
        empty = Inventory(root="-", sites={}, devices={}, credentials={}, profiles={})
        poller = SnmpPoller(empty, PollerOptions(engine="gufo"), modules={})
        try:
            first, second = poller.engine_for(plain), poller.engine_for(with_context)
            oid = ["1.3.6.1.2.1.2.2.1.6.2"]
            return await first.get(plain, oid), await second.get(with_context, oid), type(first), type(second)
        finally:
            await poller.close()

    a, b, first, second = asyncio.run(main())
    assert pairs(a) == pairs(b) == [("1.3.6.1.2.1.2.2.1.6.2", bytes.fromhex("B4FBE42A3F1C"))]
    assert (first, second) == (GufoEngine, PysnmpEngine)


def test_snmpv3_session_survives_an_agent_reboot_and_idle_refresh(
        engine_factory: type, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from collector.snmp import gufo_engine

    monkeypatch.setattr(gufo_engine, "_V3_REFRESH_AFTER", 0.0)  # every request re-synchronises first
    agent = start_snmpd(tmp_path / "agent")
    target = v3(agent, "privsha", "authPriv", "SHA", "AES128", timeout=1.0)
    expected = snmpget(agent, "1.3.6.1.2.1.1.5.0").strip('"').encode()

    async def body(e: SnmpEngine) -> list[object]:
        nonlocal agent
        before = await e.get(target, ["1.3.6.1.2.1.1.3.0"])
        await e.get(target, ["1.3.6.1.2.1.1.3.0"])
        agent.stop()  # same engine id (persistent dir), engine boots + 1: the old session is out of time
        agent = await asyncio.to_thread(start_snmpd, tmp_path / "agent", port=target.port)
        after = await e.get(target, ["1.3.6.1.2.1.1.5.0"])  # one call: the engine recovers by itself
        return [before[0].value, after[0].value]

    try:
        uptime, name = run(engine_factory, body)
    finally:
        agent.stop()
    assert isinstance(uptime, int) and name == expected
