"""connlog.validate: every field of a Record checked before it is spooled, with a reason per kind of fault."""

from __future__ import annotations

import dataclasses

import pytest

from connlog import validate
from connlog.record import Kind, Record

NOW = 1_796_000_000.0
GOOD = Record(kind=Kind.nat, source="fw", received_at=NOW, event_time=NOW - 35, status="allocate",
              private_ip="10.20.1.34", private_port=51234, public_ip="203.0.113.10", public_port_start=61234,
              public_port_end=61234, client_mac="aa:bb:cc:dd:ee:01", start=NOW - 35, stop=NOW, duration=35.0)


def test_a_plausible_record_passes() -> None:
    assert validate.problem(GOOD) is None


@pytest.mark.parametrize("change, reason", [
    ({"public_port_start": 70000, "public_port_end": 70000}, validate.INVALID_PORT),
    ({"private_port": 99999}, validate.INVALID_PORT),
    ({"private_port": -1}, validate.INVALID_PORT),
    ({"public_port_start": 2000, "public_port_end": 1000}, validate.INVALID_PORT),
    ({"public_ip": "203.0.113.300"}, validate.INVALID_ADDRESS),
    ({"private_ip": "::FFFF:10.0.0.1"}, validate.INVALID_ADDRESS),  # not canonical: two spellings, one address
    ({"public_ip": None}, validate.INVALID_ADDRESS),
    ({"client_mac": "AA:BB:CC:DD:EE:01"}, validate.INVALID_MAC),
    ({"event_time": float("nan")}, validate.INVALID_TIME),
    ({"event_time": NOW + 2 * 86400}, validate.INVALID_TIME),
    ({"start": NOW - 401 * 86400}, validate.INVALID_TIME),
    ({"stop": NOW - 100}, validate.INVALID_TIME),  # before start
    ({"duration": -5.0}, validate.INVALID_TIME),
    ({"duration": float("inf")}, validate.INVALID_TIME),
    ({"input_octets": 2**63}, validate.INVALID_VALUE),
    ({"lease_seconds": -1}, validate.INVALID_VALUE),
    ({"ssid": "x" * 65}, validate.INVALID_VALUE),
    ({"user_name": "visiteur\x00"}, validate.INVALID_VALUE),
])
def test_each_fault_has_its_reason_and_names_the_field_not_the_value(change, reason) -> None:
    found = validate.problem(dataclasses.replace(GOOD, **change))
    assert found is not None and found.reason == reason
    for value in change.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in found.detail  # personal data stays out of logs


def test_late_records_are_plausible_up_to_400_days() -> None:
    late = dataclasses.replace(GOOD, event_time=NOW - 10 * 86400, start=NOW - 10 * 86400, stop=NOW - 10 * 86400 + 35)
    assert validate.problem(late) is None
