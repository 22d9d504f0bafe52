"""How thdmon's log lines look: key=value text or one JSON object per line, always in UTC with the zone.

Every module logs `event=NAME key=value ...` messages (ARCHITECTURE.md, "Errors, logs, time"). The
text format prefixes them with an ISO 8601 UTC timestamp (`2026-12-05T16:30:00.123Z`: no local time a
reader has to guess); the JSON format turns the same pairs into fields, so that Loki, journald's
export or `jq` read them without a regex. A message that is not key=value stays whole in `msg`.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
import time
from typing import Any, Literal

LogFormat = Literal["text", "json"]
FORMATS: tuple[str, ...] = ("text", "json")

# key=value where value is a bare word or a quoted string (%r of a str gives '...').
_PAIR = re.compile(r"""(\w+)=('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\S*)""")


def utc_timestamp(created: float) -> str:
    """ISO 8601 in UTC with milliseconds and the zone: 2026-12-05T16:30:00.123Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


def fields_of(message: str) -> dict[str, Any] | None:
    """The key=value pairs of a message, or None when it is not made only of such pairs."""
    pairs = list(_PAIR.finditer(message))
    if not pairs or " ".join(m.group(0) for m in pairs) != message.strip():
        return None
    out: dict[str, Any] = {}
    for m in pairs:
        key, raw = m.group(1), m.group(2)
        if raw[:1] in ("'", '"'):
            try:
                raw = shlex.split(raw)[0] if raw[1:-1] else ""
            except ValueError:
                raw = raw[1:-1]
        out[key] = raw
    return out


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{utc_timestamp(record.created)} level={record.levelname} logger={record.name} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        doc: dict[str, Any] = {"ts": utc_timestamp(record.created), "level": record.levelname, "logger": record.name}
        fields = fields_of(message)
        if fields is None:
            doc["msg"] = message
        else:
            doc.update({k: v for k, v in fields.items() if k not in doc})
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, ensure_ascii=False)


def configure(fmt: str = "text", level: int = logging.WARNING) -> None:
    """The root handler on stderr, replacing any earlier one (the CLI calls this once per command)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
