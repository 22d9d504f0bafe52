"""A minimal SNMPv2c GET over UDP, to tell whether a lab agent answers (readiness, status).

Hand-built BER so that `thdmon lab status` needs neither net-snmp tools nor an SNMP engine.
"""

from __future__ import annotations

import os
import socket

SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    length = bytes([n]) if n < 0x80 else bytes([0x81, n]) if n < 0x100 else bytes([0x82, n >> 8, n & 0xFF])
    return bytes([tag]) + length + body


def _oid(oid: tuple[int, ...]) -> bytes:
    out = bytearray([40 * oid[0] + oid[1]])
    for arc in oid[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return _tlv(0x06, bytes(out))


def _int(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(4, "big", signed=True).lstrip(b"\x00") or b"\x00")


def get_request(community: str, oid: tuple[int, ...] = SYS_UPTIME, request_id: int | None = None) -> bytes:
    rid = request_id if request_id is not None else int.from_bytes(os.urandom(3), "big")
    varbind = _tlv(0x30, _oid(oid) + b"\x05\x00")
    pdu = _tlv(0xA0, _int(rid) + _int(0) + _int(0) + _tlv(0x30, varbind))
    return _tlv(0x30, _int(1) + _tlv(0x04, community.encode()) + pdu)


def answers(address: str, port: int, community: str, timeout: float = 1.0) -> bool:
    """True if the agent sends back a well-formed-looking GetResponse (0xA2) within `timeout`."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.sendto(get_request(community), (address, port))
            data, _ = sock.recvfrom(65535)
        except OSError:
            return False
    return data[:1] == b"\x30" and b"\xa2" in data[:40]
