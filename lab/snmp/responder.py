"""snmpsim's command responder, fixed to select a device by the address it is asked on, plus failures.

Run as `python -m lab.snmp.responder <snmpsim-command-responder options>`.

Why a wrapper: snmpsim 1.2 selects the data file by community, then by transport (endpoint) and source
address, in `handleMgmtOperation` overrides that pysnmp 7 never calls (it calls
`handle_management_operation`). Without this wrapper every endpoint of a process answers with the same
data file, which is what "hundreds of devices on several ports misbehave" was. Here each endpoint
(snmpsim transport id 1.3.6.1.6.1.1.<index>) answers from `<md5(community)>/1.3.6.1.6.1.1.<index>.snmprec`
and nothing else: a request that matches no per-endpoint file gets no answer.

Failures read from the control file ($THDMON_LAB_CONTROL, see lab.snmp.control) per endpoint:
silent (no answer), slow (answer after `delay` seconds, without blocking the other devices), garbage
(a malformed BER datagram instead of the response), and no answer until a future `boot` time (a
reboot in progress; lab.snmp.values restarts uptime and counters from that time).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from hashlib import md5
from typing import Any

from pysnmp import error as pysnmp_error
from pysnmp.entity.rfc3413 import cmdrsp
from snmpsim import datafile
from snmpsim.commands import responder as snmpsim_responder

from collector.snmp.limits import raise_open_files_limit
from lab.snmp.control import ENV_VAR, ControlReader

UDP_DOMAIN = (1, 3, 6, 1, 6, 1, 1)
# A SEQUENCE announcing 0x4000 bytes that are not there, then junk: no BER decoder accepts it.
GARBAGE = bytes.fromhex("308240000201010406") + b"garbage\xff\xfe"

_control = ControlReader(os.environ.get(ENV_VAR))
_EXEC_POINT = "rfc3412.receiveMessage:request"


def _context_name(responder: Any, engine: Any) -> tuple[str | None, dict[str, Any]]:
    """The registered context of the data file for this request's endpoint, or None."""
    ctx = dict(engine.observer.get_execution_context(_EXEC_POINT))
    domain = tuple(ctx["transportDomain"])
    engine_id = ctx["contextEngineId"]
    engine_label = datafile.SELF_LABEL if engine_id == engine.snmpEngineID else engine_id.prettyPrint()
    endpoint = ".".join(map(str, domain))
    for candidate in datafile.probe_context(domain, ctx["transportAddress"], engine_label,
                                            ctx["contextName"].prettyPrint()):
        # Only per-endpoint files: the community's own top-level file is a placeholder.
        if endpoint.encode() not in candidate.split(b"/"):
            continue
        name = md5(candidate).hexdigest() if len(candidate) > 32 else candidate  # noqa: S324 - snmpsim's naming
        try:
            responder.snmpContext.get_mib_instrum(name)
        except pysnmp_error.PySnmpError:
            continue
        return name, ctx
    return None, ctx


def _answer_later(base: type, responder: Any, engine: Any, state_reference: Any, name: str, pdu: Any,
                  ctx: dict[str, Any], pending: Any) -> None:
    # snmpsim reads the request's execution context while answering and pysnmp its pending-request
    # entry; outside the receive call both are gone, so put back the ones saved when it arrived.
    responder._CommandResponderBase__pendingReqs[state_reference] = pending
    engine.observer.store_execution_context(engine, _EXEC_POINT, ctx)
    try:
        base.handle_management_operation(responder, engine, state_reference, name, pdu)
    finally:
        engine.observer.clear_execution_context(engine, _EXEC_POINT)


def _patch(cls: type, base: type) -> None:
    def handle_management_operation(self: Any, engine: Any, state_reference: Any, context_name: Any,
                                    pdu: Any) -> None:
        name, ctx = _context_name(self, engine)
        domain = tuple(ctx["transportDomain"])
        failure = _control.get(str(domain[-1])) if domain[:-1] == UDP_DOMAIN else {}
        mode = failure.get("mode")
        if name is None or mode == "silent" or failure.get("boot", 0.0) > time.time():  # down while rebooting
            self.release_state_information(state_reference)
            return
        if mode == "garbage":
            engine.transport_dispatcher.send_message(GARBAGE, domain, ctx["transportAddress"])
            self.release_state_information(state_reference)
            return
        if mode == "slow":
            # pysnmp forgets the request when this method returns: keep its entry to put it back later.
            pending = self._CommandResponderBase__pendingReqs[state_reference]
            asyncio.get_running_loop().call_later(float(failure.get("delay", 3.0)), _answer_later, base, self,
                                                  engine, state_reference, name, pdu, ctx, pending)
            return
        base.handle_management_operation(self, engine, state_reference, name, pdu)

    cls.handle_management_operation = handle_management_operation  # type: ignore[attr-defined]


for _ours, _base in ((snmpsim_responder.GetCommandResponder, cmdrsp.GetCommandResponder),
                     (snmpsim_responder.NextCommandResponder, cmdrsp.NextCommandResponder),
                     (snmpsim_responder.BulkCommandResponder, cmdrsp.BulkCommandResponder),
                     (snmpsim_responder.SetCommandResponder, cmdrsp.SetCommandResponder)):
    _patch(_ours, _base)


def _keep_files_open(argv: list[str]) -> None:
    """Keep every device's data file and index open (snmpsim keeps 31, then closes the oldest).

    With hundreds of devices per process polled in turn, the 31-file queue reopened a file and
    re-read its dbm.dumb index on nearly every request; this alone made a process ~N times slower.
    """
    endpoints = sum(1 for a in argv if a.startswith("--agent-udpv4-endpoint"))
    soft = raise_open_files_limit()
    # One socket per endpoint; an open data file holds its text file and its dbm index.
    datafile.DataFile.max_queue_entries = max(31, min(endpoints + 1, (soft - endpoints - 64) // 2))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    _keep_files_open(args)
    sys.argv = ["snmpsim-command-responder", *args]
    return int(snmpsim_responder.main() or 0)


if __name__ == "__main__":
    raise SystemExit(main())
