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


def v2c_header(data: memoryview | bytes) -> Header | None:
    """The error-status and index of an SNMPv2c GetResponse; None when it is not one (garbage, another
    PDU type, or cut before its header: gufo_snmp then decides what it is)."""
    try:
        if data[0] != 0x30:
            return None
        _, at = _length(data, 1)  # Message SEQUENCE
        at = _skip(data, at)  # version
        at = _skip(data, at)  # community
        if data[at] != _GET_RESPONSE:
            return None
        _, at = _length(data, at + 1)
        at = _skip(data, at)  # request-id
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
