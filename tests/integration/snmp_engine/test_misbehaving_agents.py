"""Both engines against the same misbehaving agents (issue 11, defect 6): they agree on every failure
class, every walk ends whatever the agent does, and replies up to the UDP maximum are taken by both.

The agents are tests/integration/snmp_engine/agents.ScriptedAgent, an SNMPv2c agent of our own on
127.0.0.1 built on pysnmp's codec: no real agent misbehaves on demand.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from typing import Any

import pytest

from collector.model import DownReason
from collector.snmp.engine import SnmpError
from tests.integration.snmp_engine.agents import ScriptedAgent
from tests.integration.snmp_engine.test_conformance import v2c

TABLE = "1.3.6.1.4.1.99999.1"
SCALAR = "1.3.6.1.2.1.1.1.0"


def run(engine_factory: type, coro: Any, **engine_args: Any) -> Any:
    async def main() -> Any:
        engine = engine_factory(**engine_args)
        try:
            return await coro(engine)
        finally:
            await engine.close()

    return asyncio.run(main())


def failure(engine_factory: type, agent: ScriptedAgent, what: str, **engine_args: Any) -> SnmpError:
    target = v2c(agent, timeout=0.5, retries=0)

    async def op(engine: Any) -> Any:
        if what == "get":
            return await engine.get(target, [SCALAR])
        return await engine.bulk_walk(target, TABLE)

    with pytest.raises(SnmpError) as exc:
        run(engine_factory, op, **engine_args)
    return exc.value


# 4,000: gufo_snmp's own buffer; 4,100: just beyond it; 65,400: the UDP maximum for one varbind.
@pytest.mark.parametrize("value_size", [4_000, 4_100, 20_000, 65_400])
def test_answers_up_to_the_udp_maximum_are_taken(engine_factory: type, value_size: int) -> None:
    with ScriptedAgent(rows=12, value_size=value_size) as agent:
        target = v2c(agent, timeout=1.0, retries=0)
        got = run(engine_factory, lambda e: e.get(target, [SCALAR]))
        walked = run(engine_factory, lambda e: e.bulk_walk(target, TABLE))
    assert got[0].value == b"v" * value_size
    assert [vb.oid for vb in walked] == [f"{TABLE}.{i}" for i in range(1, 13)]
    assert all(vb.value == b"v" * value_size for vb in walked)


def test_a_get_answered_with_gen_err_is_an_agent_error(engine_factory: type) -> None:
    with ScriptedAgent("generr") as agent:
        exc = failure(engine_factory, agent, "get")
    assert exc.reason is DownReason.error and "agent error genErr at index 1" in exc.detail


@pytest.mark.parametrize("error_after", [1, 2, 3])
def test_gen_err_at_any_point_of_a_walk_fails_it(engine_factory: type, error_after: int) -> None:
    # A walk of 60 rows is three requests of 25: genErr on the first, second or last one. Taking it for the
    # end of the table would report a healthy device with part of its data.
    with ScriptedAgent("generr", rows=60, error_after=error_after) as agent:
        exc = failure(engine_factory, agent, "walk")
    assert exc.reason is DownReason.error and "genErr" in exc.detail


@pytest.mark.parametrize("what", ["get", "walk"])
def test_the_same_oid_twice_in_one_answer_is_malformed(engine_factory: type, what: str) -> None:
    with ScriptedAgent("duplicates") as agent:
        exc = failure(engine_factory, agent, what)
    assert exc.reason is DownReason.malformed_response and "the same OID twice in one answer" in exc.detail


@pytest.mark.parametrize("what", ["get", "walk"])
def test_answers_from_another_source_port_are_not_taken(engine_factory: type, what: str) -> None:
    with ScriptedAgent("spoofed") as agent:
        exc = failure(engine_factory, agent, what)
        assert agent.requests >= 1  # it did answer, from elsewhere
    assert exc.reason is DownReason.timeout


def test_an_agent_sending_oids_without_end_meets_the_varbind_bound(engine_factory: type) -> None:
    with ScriptedAgent("endless") as agent:
        tracemalloc.start()
        started = time.monotonic()
        exc = failure(engine_factory, agent, "walk", walk_varbinds=1_000, walk_seconds=60)
        seconds = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert exc.reason is DownReason.malformed_response and "beyond 1,000 varbinds" in exc.detail
    assert seconds < 30 and peak < 50 * 1024 * 1024, (seconds, peak)


def test_an_agent_dripping_answers_meets_the_walk_deadline(engine_factory: type) -> None:
    # One varbind per answer, each 0.2 s later, under the 0.5 s timeout: no request ever times out.
    with ScriptedAgent("drip", delay=0.2) as agent:
        started = time.monotonic()
        exc = failure(engine_factory, agent, "walk", walk_seconds=1.5)
        seconds = time.monotonic() - started
    assert exc.reason is DownReason.timeout and "unfinished after 1.5 s" in exc.detail
    assert 1.4 < seconds < 5, seconds


def test_a_correct_agent_walks_to_the_end_through_every_check(engine_factory: type) -> None:
    # The same agent, behaving: the checks above cost nothing to a good answer (endOfMibView ends it).
    with ScriptedAgent(rows=60) as agent:
        target = v2c(agent, timeout=1.0, retries=0)
        walked = run(engine_factory, lambda e: e.bulk_walk(target, TABLE))
    assert [vb.oid for vb in walked] == [f"{TABLE}.{i}" for i in range(1, 61)]
