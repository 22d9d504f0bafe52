"""Search forms: French errors, Europe/Paris times, the reason and reference always required."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from portal import forms


def test_a_nat_requisition_becomes_criteria_in_utc():
    f = forms.parse({"kind": "nat", "public_ip": "203.0.113.10", "port": "1050", "at": "2026-06-14T15:03:20",
                     "requisition": "PV 2026/001", "reason": "usurpation"})
    assert f.errors == []
    assert f.criteria is not None and f.criteria.port == 1050 and f.criteria.reason == "usurpation"
    assert f.criteria.at == dt.datetime(2026, 6, 14, 13, 3, 20, tzinfo=ZoneInfo("UTC")).timestamp()


def test_missing_and_bad_fields_are_named_in_french():
    f = forms.parse({"kind": "nat", "public_ip": "999.1.1.1", "port": "70000", "at": "hier"})
    assert f.criteria is None
    text = " ".join(f.errors)
    for expected in ("référence de la réquisition", "motif", "adresse IP invalide", "65535", "n'est pas une date"):
        assert expected in text


def test_instants_must_be_finite_and_sane():
    for at in ("1e400", "nan", "1900-01-01T00:00", "2999-01-01T00:00"):
        f = forms.parse({"kind": "private", "private_ip": "10.0.0.1", "at": at, "requisition": "R", "reason": "x"})
        assert f.criteria is None, at


def test_a_mac_is_normalised_and_the_period_ordered():
    f = forms.parse({"kind": "mac", "mac": "02-1A-2B-3C-4D-5E", "since": "2026-06-14T10:00",
                     "until": "2026-06-14T09:00", "requisition": "R", "reason": "x"})
    assert "La fin de la période doit suivre son début." in f.errors
    f = forms.parse({"kind": "mac", "mac": "02-1A-2B-3C-4D-5E", "requisition": "R", "reason": "x"})
    assert f.criteria is not None and f.criteria.mac == "02:1a:2b:3c:4d:5e"
