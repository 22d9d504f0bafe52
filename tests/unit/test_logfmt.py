"""Log lines: UTC with the zone in text, key=value pairs as fields in JSON, never a local time."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

from thdmon.logfmt import JsonFormatter, TextFormatter, fields_of, utc_timestamp


def record(msg: str, *args) -> logging.LogRecord:
    r = logging.LogRecord("collector.events", logging.WARNING, "", 0, msg, args, None)
    r.created = 1_796_487_000.25  # 2026-12-05T16:10:00.250Z
    return r


def test_timestamps_are_utc_with_the_zone_whatever_the_local_time_zone():
    assert utc_timestamp(1_796_487_000.25) == "2026-12-05T16:10:00.250Z"
    line = TextFormatter().format(record("event=device_down device=%s", "sw-1"))
    assert line == "2026-12-05T16:10:00.250Z level=WARNING logger=collector.events event=device_down device=sw-1"
    # the same in another zone: no local time leaks into the log
    code = ("import logging; from thdmon.logfmt import TextFormatter; r = logging.LogRecord('x', 20, '', 0, 'm', (), "
            "None); r.created = 1796487000.25; print(TextFormatter().format(r))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"TZ": "Pacific/Auckland", "PATH": "/usr/bin"}).stdout
    assert out.startswith("2026-12-05T16:10:00.250Z ")


def test_json_lines_carry_the_pairs_as_fields_and_other_messages_whole():
    doc = json.loads(JsonFormatter().format(record("event=device_down device=%s detail=%r", "sw-1", "no 'answer'")))
    assert doc == {"ts": "2026-12-05T16:10:00.250Z", "level": "WARNING", "logger": "collector.events",
                   "event": "device_down", "device": "sw-1", "detail": "no 'answer'"}
    doc = json.loads(JsonFormatter().format(record("plain words, not pairs")))
    assert doc["msg"] == "plain words, not pairs"
    assert fields_of("event=x detail=''") == {"event": "x", "detail": ""}
    # a pair may not overwrite the record's own keys
    assert json.loads(JsonFormatter().format(record("level=fake event=x")))["level"] == "WARNING"
