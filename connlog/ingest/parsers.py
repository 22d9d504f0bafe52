"""Syslog lines -> Records: the syslog header (RFC 5424, RFC 3164, bare `<PRI>`), then named patterns.

Patterns come from YAML (`patterns.yaml` beside this file by default), validated once at load:

    patterns:
      - name: isc-dhcpd-ack          # unique, shown in logs
        kind: dhcp                   # nat | dhcp | ignore (known lines we do not keep)
        app: dhcpd                   # optional: syslog APP-NAME / tag must equal this
        match: 'DHCPACK on (?P<ip>\\S+) to (?P<mac>\\S+)'   # Python regex, searched in the message
        keyvalue: false              # true: key=value pairs of the message are fields too (FortiGate)
        status: lease                # constant Record.status
        fields: {private_ip: ip, client_mac: mac}           # Record field <- named group or key
        time: {epoch: eventtime, unit: ns}                  # or {value: "{date} {time}", format: ...}

Only the mapped fields reach the Record, and only legal ones can be mapped: destinations, URLs, user
agents never leave the parser. The first matching pattern wins; a line no pattern matches is
`Unparsed` (the caller quarantines it).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from connlog.errors import ConnlogError
from connlog.record import Kind, Record

_MAC_HEX = re.compile(r"[0-9a-fA-F]")


def normalise_mac(text: str) -> str | None:
    """aa:bb:cc:dd:ee:ff from AA-BB-CC-DD-EE-FF, aabb.ccdd.eeff, AABBCCDDEEFF...; None if not a MAC."""
    hexdigits = re.sub(r"[-:.\s]", "", text.strip())
    if len(hexdigits) != 12 or not all(_MAC_HEX.match(c) for c in hexdigits):
        return None
    h = hexdigits.lower()
    return ":".join(h[i:i + 2] for i in range(0, 12, 2))


# -- syslog header ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SyslogMessage:
    message: str
    hostname: str | None = None
    app: str | None = None
    timestamp: float | None = None  # UTC epoch seconds, when the header had a usable one
    facility: int | None = None
    severity: int | None = None


_RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) (?P<msgid>\S+) "
    r"(?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?$", re.DOTALL)
_RFC3164 = re.compile(
    r"^<(?P<pri>\d{1,3})>(?P<ts>[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d) (?:(?P<host>[^\s:\[]+) )?(?P<rest>.*)$",
    re.DOTALL)
_TAG = re.compile(r"^(?P<app>[^\s:\[\]]{1,48})(?:\[(?P<pid>[^\]]*)\])?: ?(?P<msg>.*)$", re.DOTALL)
_BARE_PRI = re.compile(r"^<(?P<pri>\d{1,3})>(?P<msg>.*)$", re.DOTALL)
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), start=1)}


def _nil(value: str) -> str | None:
    return None if value == "-" else value


def _rfc3339(text: str) -> float | None:
    try:
        t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t.timestamp() if t.tzinfo else None


def _bsd_time(text: str, now: float, tz: dt.tzinfo) -> float | None:
    """RFC 3164 has neither year nor zone: the sender's zone is configured, the year is the one that
    puts the time closest before now (a December line read in January is last year's)."""
    try:
        month = _MONTHS[text[:3]]
        day = int(text[4:6])
        hh, mm, ss = (int(x) for x in text[7:].split(":"))
        today = dt.datetime.fromtimestamp(now, tz)
        t = dt.datetime(today.year, month, day, hh, mm, ss, tzinfo=tz)
        if t.timestamp() > now + 86400:
            t = t.replace(year=today.year - 1)
        return t.timestamp()
    except (KeyError, ValueError):
        return None


def parse_syslog(line: str, now: float, bsd_tz: dt.tzinfo = dt.UTC) -> SyslogMessage:
    """Split a syslog frame into header and message; never fails (no header: the whole line is the message)."""
    line = line.rstrip("\r\n\x00")
    m = _RFC5424.match(line)
    if m:
        pri = int(m["pri"])
        msg = (m["msg"] or "").removeprefix("\ufeff")
        return SyslogMessage(msg, _nil(m["host"]), _nil(m["app"]), _rfc3339(m["ts"]), pri >> 3, pri & 7)
    m = _RFC3164.match(line)
    if m:
        pri = int(m["pri"])
        rest = m["rest"]
        tag = _TAG.match(rest)
        app, msg = (tag["app"], tag["msg"]) if tag else (None, rest)
        return SyslogMessage(msg, m["host"], app, _bsd_time(m["ts"], now, bsd_tz), pri >> 3, pri & 7)
    m = _BARE_PRI.match(line)
    if m:
        pri = int(m["pri"])
        return SyslogMessage(m["msg"], facility=pri >> 3, severity=pri & 7)
    return SyslogMessage(line)


# -- patterns --------------------------------------------------------------------------------------
_INT_FIELDS = {"private_port", "public_port_start", "public_port_end", "input_octets", "output_octets",
               "lease_seconds"}
_FLOAT_FIELDS = {"duration", "start", "stop"}
_IP_FIELDS = {"private_ip", "public_ip"}
_TEXT_FIELDS = {"session_id", "status", "user_name", "ap", "ssid", "terminate_cause", "site"}
MAPPABLE = _INT_FIELDS | _FLOAT_FIELDS | _IP_FIELDS | _TEXT_FIELDS | {"client_mac"}
_KV = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')
_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


class ParseError(ValueError):
    """A line matched a pattern but a value does not convert (counted as malformed)."""


@dataclass(frozen=True, slots=True)
class TimeSpec:
    epoch: str | None = None
    unit: str = "s"
    value: str | None = None  # template over fields, e.g. "{date} {time} {tz}"
    format: str | None = None  # strptime format of the filled template
    tz: str | None = None  # zone when the format has no %z

    def resolve(self, values: dict[str, str]) -> float | None:
        """The epoch field if the line has it, else the template (FortiOS before 6.2 has no eventtime)."""
        if self.epoch is not None and values.get(self.epoch) is not None:
            raw = values[self.epoch]
            unit = self.unit
            if unit == "auto":  # FortiOS writes s, ms, us or ns depending on the version
                unit = {10: "s", 13: "ms", 16: "us", 19: "ns"}.get(len(raw.lstrip("-")), "s")
            return int(raw) * _UNITS[unit]
        if self.value is not None and self.format is not None:
            try:
                text = self.value.format_map(values)
            except KeyError:
                return None
            t = dt.datetime.strptime(text, self.format)
            if t.tzinfo is None:
                t = t.replace(tzinfo=ZoneInfo(self.tz) if self.tz else dt.UTC)
            return t.timestamp()
        return None


@dataclass(frozen=True, slots=True)
class Pattern:
    name: str
    kind: str  # nat | dhcp | ignore
    regex: re.Pattern[str]
    fields: dict[str, str] = field(default_factory=dict)
    app: str | None = None
    keyvalue: bool = False
    status: str | None = None
    time: TimeSpec | None = None

    def values(self, msg: SyslogMessage) -> dict[str, str] | None:
        if self.app is not None and msg.app != self.app:
            return None
        m = self.regex.search(msg.message)
        if m is None:
            return None
        values: dict[str, str] = {}
        if self.keyvalue:
            wanted = set(self.fields.values()) | self._time_keys()
            for k, v in _KV.findall(msg.message):
                if k in wanted:  # everything else (dstip, url, agent...) is never even copied
                    values[k] = v[1:-1] if v.startswith('"') else v
        values.update({k: v for k, v in m.groupdict().items() if v is not None})
        return values

    def _time_keys(self) -> set[str]:
        if self.time is None:
            return set()
        keys = set(re.findall(r"\{(\w+)\}", self.time.value or ""))
        return keys | {self.time.epoch} if self.time.epoch else keys


@dataclass(frozen=True, slots=True)
class Ignored:
    pattern: str


@dataclass(frozen=True, slots=True)
class Unparsed:
    pass


def _convert(name: str, raw: str) -> Any:
    try:
        if name in _INT_FIELDS:
            return int(raw)
        if name in _FLOAT_FIELDS:
            return float(raw)
        if name in _IP_FIELDS:
            return str(ipaddress.ip_address(raw))
        if name == "client_mac":
            mac = normalise_mac(raw)
            if mac is None:
                raise ValueError("not a MAC address")
            return mac
    except ValueError:
        # The field's name, never its value: a log line must not carry personal data.
        raise ParseError(f"{name}: value does not convert") from None
    return raw


class LineParser:
    def __init__(self, patterns: Sequence[Pattern], bsd_tz: dt.tzinfo = dt.UTC) -> None:
        self.patterns = tuple(patterns)
        self.bsd_tz = bsd_tz

    def parse(self, msg: SyslogMessage, source: str, site: str | None, received_at: float,
              ) -> Record | Ignored | Unparsed:
        for p in self.patterns:
            values = p.values(msg)
            if values is None:
                continue
            if p.kind == "ignore":
                return Ignored(p.name)
            return self._record(p, values, msg, source, site, received_at)
        return Unparsed()

    @staticmethod
    def _record(p: Pattern, values: dict[str, str], msg: SyslogMessage, source: str, site: str | None,
                received_at: float) -> Record:
        data: dict[str, Any] = {}
        for target, src in p.fields.items():
            raw = values.get(src)
            if raw not in (None, "", "-"):
                data[target] = _convert(target, raw)
        try:
            event_time = p.time.resolve(values) if p.time else None
        except (ValueError, KeyError, OverflowError):  # the message would quote the value: name the field only
            raise ParseError(f"time ({p.time.epoch or p.time.value if p.time else '-'}): value does not convert"
                             ) from None
        if event_time is None:
            event_time = msg.timestamp if msg.timestamp is not None else received_at
        kind = Kind(p.kind)
        if kind is Kind.nat:
            if "public_ip" not in data:
                raise ParseError("NAT line without a public address")
            if "public_port_start" in data and "public_port_end" not in data:
                data["public_port_end"] = data["public_port_start"]
        if kind is Kind.dhcp and ("private_ip" not in data or "client_mac" not in data):
            raise ParseError("DHCP line without address and MAC")
        if "duration" in data and "start" not in data:
            # A closed session's log (FortiGate `duration=`): the line's time is the close. The fact is
            # the interval [close - duration, close]; its event time is the start, which is what the
            # search orders NAT facts by (the latest allocation before the instant asked).
            data.setdefault("stop", event_time)
            data["start"] = data["stop"] - data["duration"]
            if kind is Kind.nat:
                event_time = data["start"]
        data.setdefault("status", p.status)
        data.setdefault("site", site)
        return Record(kind=kind, source=source, received_at=received_at, event_time=event_time, **data)


# -- loading ---------------------------------------------------------------------------------------
DEFAULT_PATTERNS = "patterns.yaml"


def load_patterns(path: Path | None = None) -> list[Pattern]:
    if path is None:
        text = (resources.files("connlog.ingest") / DEFAULT_PATTERNS).read_text()
        where = f"connlog/ingest/{DEFAULT_PATTERNS}"
    else:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ConnlogError(f"{path}: {exc.strerror}") from None
        where = str(path)
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConnlogError(f"{where}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("patterns"), list):
        raise ConnlogError(f"{where}: expected a mapping with a 'patterns' list")
    out: list[Pattern] = []
    names: set[str] = set()
    for i, entry in enumerate(doc["patterns"], start=1):
        p = _pattern(entry, f"{where}: pattern #{i}")
        if p.name in names:
            raise ConnlogError(f"{where}: pattern #{i}: name {p.name!r} used twice")
        names.add(p.name)
        out.append(p)
    return out


_KEYS = {"name", "kind", "app", "match", "keyvalue", "status", "fields", "time"}


def _pattern(entry: Any, where: str) -> Pattern:
    if not isinstance(entry, dict):
        raise ConnlogError(f"{where}: expected a mapping")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ConnlogError(f"{where}: 'name' is required")
    where = f"{where} ({name})"
    extra = set(entry) - _KEYS
    if extra:
        raise ConnlogError(f"{where}: unknown keys {sorted(extra)}")
    kind = entry.get("kind")
    if kind not in ("nat", "dhcp", "ignore"):
        raise ConnlogError(f"{where}: kind must be nat, dhcp or ignore, not {kind!r}")
    try:
        regex = re.compile(str(entry.get("match", "")))
    except re.error as exc:
        raise ConnlogError(f"{where}: match: bad regex: {exc}") from None
    if not entry.get("match"):
        raise ConnlogError(f"{where}: 'match' is required")
    fields = entry.get("fields") or {}
    if not isinstance(fields, dict):
        raise ConnlogError(f"{where}: fields must be a mapping")
    keyvalue = bool(entry.get("keyvalue", False))
    for target, src in fields.items():
        if target not in MAPPABLE:
            raise ConnlogError(f"{where}: fields: {target!r} is not a Record field connlog may keep "
                               f"(one of {sorted(MAPPABLE)})")
        if not keyvalue and src not in regex.groupindex:
            raise ConnlogError(f"{where}: fields: {target} <- {src!r}: no such named group in match")
    if kind != "ignore" and not fields:
        raise ConnlogError(f"{where}: a {kind} pattern needs fields")
    t = entry.get("time")
    spec = None
    if t is not None:
        if not isinstance(t, dict) or not (set(t) <= {"epoch", "unit", "value", "format", "tz"}):
            raise ConnlogError(f"{where}: time must be {{epoch, unit}} or {{value, format, tz}}")
        spec = TimeSpec(**{k: str(v) for k, v in t.items()})
        if spec.unit not in _UNITS and spec.unit != "auto":
            raise ConnlogError(f"{where}: time.unit must be auto or one of {sorted(_UNITS)}")
        if spec.epoch is None and (spec.value is None or spec.format is None):
            raise ConnlogError(f"{where}: time needs 'epoch' or both 'value' and 'format'")
        if spec.tz is not None:
            try:
                ZoneInfo(spec.tz)
            except Exception:
                raise ConnlogError(f"{where}: time.tz {spec.tz!r} is not a known time zone") from None
    app = entry.get("app")
    status = entry.get("status")
    return Pattern(name=name, kind=kind, regex=regex, fields={str(k): str(v) for k, v in fields.items()},
                   app=str(app) if app is not None else None, keyvalue=keyvalue,
                   status=str(status) if status is not None else None, time=spec)
