"""Times typed by people: Europe/Paris unless they carry an offset; days are UTC."""

from __future__ import annotations

import datetime as dt

import click
import pytest

from thdmon.commands.logs_store import paris, parse_day, parse_time


def test_naive_times_are_paris_and_offsets_are_kept() -> None:
    winter = dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC).timestamp()
    assert parse_time("2026-11-24T14:00:00") == winter  # CET = UTC+1
    assert parse_time("2026-07-01T14:00:00") == dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC).timestamp()
    assert parse_time("2026-11-24T13:00:00Z") == winter
    assert parse_time(str(winter)) == winter
    assert paris(winter) == "2026-11-24T14:00:00+01:00 CET (2026-11-24T13:00:00Z)"  # UTC beside Paris


def test_bad_inputs_are_named() -> None:
    with pytest.raises(click.BadParameter, match="'yesterday' is neither epoch"):
        parse_time("yesterday")
    with pytest.raises(click.BadParameter, match="not a day"):
        parse_day("24/11/2026")


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e400", "-1", "0", "99999999999", "1969-12-31T23:00:00Z",
                                  "2100-01-01T00:00:00Z"])
def test_only_finite_instants_in_a_sane_range(text: str) -> None:
    # Issue 10, defect 11: --at nan / 1e400 were accepted, then the journal's JSON held NaN/Infinity.
    with pytest.raises(click.BadParameter, match="not an instant between 2000 and 2100"):
        parse_time(text)
