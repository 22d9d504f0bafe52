"""What the gufo engine reads from an SNMPv2c response before gufo_snmp decodes it.

gufo_snmp 0.13 ignores a response's error-status (a genErr mid-walk reads as the end of the table, a
device answering genErr to a GET as "no such object"), keeps only the last of two varbinds with the same
OID in a GET (its answer is a dict) and cannot take a datagram beyond its 4,096-byte buffer. The engine
peeks at each datagram (MSG_PEEK, the datagram stays queued for gufo) and reads here, without decoding
the values: the header (error-status, error-index) and, for a GET, the varbinds' raw OIDs.

SNMPv3 messages carry the PDU inside a scoped PDU that is usually encrypted: only their size is checked.
"""

from __future__ import annotations

from typing import NamedTuple

# The size of gufo_snmp 0.13's receive buffer: a longer datagram is cut and fails to decode.
GUFO_MAX_DATAGRAM = 4096
_GET_RESPONSE = 0xA2


# RFC 3416 error-status values, named as pysnmp prints them.
ERROR_STATUS = ("noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess", "wrongType",
                "wrongLength", "wrongEncoding", "wrongValue", "noCreation", "inconsistentValue",
                "resourceUnavailable", "commitFailed", "undoFailed", "authorizationError", "notWritable",
                "inconsistentName")


def status_name(status: int) -> str:
    return ERROR_STATUS[status] if 0 <= status < len(ERROR_STATUS) else f"error-status {status}"


class Header(NamedTuple):
    error_status: int
    error_index: int
    varbinds_at: int  # offset of the varbind list's SEQUENCE


def _length(data: memoryview | bytes, at: int) -> tuple[int, int]:
    """(length, offset of the content) of the BER element whose length octets start at `at`."""
    first = data[at]
    if first < 0x80:
        return first, at + 1
    count = first & 0x7F
    if count == 0 or count > 4:
        raise ValueError("unsupported BER length")
    return int.from_bytes(data[at + 1:at + 1 + count], "big"), at + 1 + count


def _skip(data: memoryview | bytes, at: int) -> int:
    """The offset after the whole element starting at `at` (tag, length, content)."""
    length, content = _length(data, at + 1)
    return content + length


def _integer(data: memoryview | bytes, at: int) -> tuple[int, int]:
    if data[at] != 0x02:
        raise ValueError("expected an INTEGER")
    length, content = _length(data, at + 1)
    return int.from_bytes(data[content:content + length], "big", signed=True), content + length


def v2c_prefix(community: bytes) -> bytes:
    """What follows the message header in every SNMPv2c message with this community: version, community."""
    n = len(community)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes(
        (n.bit_length() + 7) // 8, "big")
    return b"\x02\x01\x01\x04" + length + community


def v2c_header(data: bytearray, prefix: bytes) -> Header | None:
    """The error-status and index of an SNMPv2c GetResponse whose version and community are `prefix`;
    None when it is not one (garbage, another community or PDU type, cut short: gufo_snmp then decides).

    Straight-line on purpose: it runs on every answer of every walk (~85 per IF-MIB poll), where a
    general BER walker cost 4.6 us against ~1 us for this.
    """
    try:
        if data[0] != 0x30:
            return None
        first = data[1]
        at = 2 if first < 0x80 else 2 + (first & 0x7F)
        if not data.startswith(prefix, at):
            return None
        at += len(prefix)
        if data[at] != _GET_RESPONSE:
            return None
        first = data[at + 1]
        at += 2 if first < 0x80 else 2 + (first & 0x7F)
        at += 2 + data[at + 1]  # request-id: INTEGER of at most 4 octets, short length form
        if data[at] != 0x02:
            return None
        if data[at + 1] == 1 and data[at + 2] == 0 and data[at + 4] == 1:  # noError, the usual answer
            return Header(0, data[at + 5], at + 6)
        status, at = _integer(data, at)
        index, at = _integer(data, at)
        return Header(status, index, at)
    except (IndexError, ValueError):
        return None


def repeated_oid(data: memoryview | bytes, varbinds_at: int) -> bool:
    """Whether two varbinds of the list at `varbinds_at` carry the same OID (compared as raw bytes)."""
    try:
        length, at = _length(data, varbinds_at + 1)
        end = min(at + length, len(data))
        seen: set[bytes] = set()
        while at < end:
            _, inner = _length(data, at + 1)  # the varbind's SEQUENCE
            oid_end = _skip(data, inner)
            oid = bytes(data[inner:oid_end])
            if oid in seen:
                return True
            seen.add(oid)
            at = _skip(data, at)
        return False
    except (IndexError, ValueError):
        return False
