"""Settings: `thdmon.toml` + `THDMON_*` environment variables, validated once; CLI flags override.

Precedence (highest first): command-line flags, environment (`THDMON_COLLECTOR__LISTEN=...`, nested
with a double underscore; a few flat aliases such as `THDMON_INVENTORY`), the settings file, defaults.
The settings file is the one named by `--config`, else `$THDMON_CONFIG`, else `/etc/thdmon/thdmon.toml`
if it exists: never a file of the working directory, which anyone who can write there could plant.
Every value is checked here, once (an engine that exists, a shard `K/N` with 1 <= K <= N, listen
addresses `HOST:PORT`, retention identity >= technical); a bad one fails at start-up naming its key and
where it came from (file, environment variable, flag). Each default is declared here only. Every
service binds to loopback by default.
"""

from __future__ import annotations

import difflib
import os
import tomllib
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from collector.limits import BACKOFF_BASE, BACKOFF_CAP, DEFAULT_CONCURRENCY
from collector.poller import PollerOptions
from collector.schedule import Defaults
from inventory.shard import parse as parse_shard

# The collector declares its defaults; the settings take them from there.
_INTERVALS, _POLL = Defaults(), PollerOptions()

SYSTEM_CONFIG = Path("/etc/thdmon/thdmon.toml")
DEFAULT_INVENTORY = Path("/etc/thdmon/inventory")
DEFAULT_STATE_DIR = "~/.local/state/thdmon"  # where thdmon keeps its state unless THDMON_STATE_DIR says


def _listen(value: str) -> str:
    """HOST:PORT with a port 1-65535 (a literal address or a name; [v6]:port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{value!r} is not HOST:PORT with a port 1-65535, e.g. 127.0.0.1:9810")
    return value


def _listen_or_off(value: str) -> str:
    return "off" if value.strip().lower() == "off" else _listen(value)


def _comma_list(value: Any) -> Any:
    return tuple(v.strip() for v in value.split(",") if v.strip()) if isinstance(value, str) else value


def _shard(value: str) -> str:
    return str(parse_shard(value))  # ValueError with a human message


Listen = Annotated[str, AfterValidator(_listen)]
ListenOrOff = Annotated[str, AfterValidator(_listen_or_off)]
ShardText = Annotated[str, AfterValidator(_shard)]


class SettingsError(Exception):
    """A configuration file or variable that does not validate; the message names it."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CollectorSettings(_Section):
    listen: Listen = "127.0.0.1:9810"  # /metrics
    fast_interval: int = Field(int(_INTERVALS.fast), ge=5)  # seconds: interfaces, status
    slow_interval: int = Field(int(_INTERVALS.slow), ge=5)  # seconds: slow tables
    icmp_interval: int = Field(int(_INTERVALS.icmp), ge=1)  # seconds between ICMP probes of a device
    icmp_count: int = Field(_POLL.icmp_count, ge=1, le=20)  # echo requests per probe
    config_interval: int = Field(int(_INTERVALS.config), ge=10)  # seconds between SSH configuration backups
    facts_interval: int = Field(int(_INTERVALS.facts), ge=10)  # seconds between SSH CLI facts
    ssh_pool: int = Field(_POLL.ssh_pool, ge=1, le=256)  # SSH sessions at once (threads)
    ssh_connect_timeout: float = Field(_POLL.ssh_connect_timeout, gt=0)
    ssh_auth_timeout: float = Field(_POLL.ssh_auth_timeout, gt=0)
    ssh_command_timeout: float = Field(_POLL.ssh_command_timeout, gt=0)
    ssh_session_timeout: float = Field(_POLL.ssh_session_timeout, gt=0)
    ssh_max_output: int = Field(_POLL.ssh_max_output, ge=1024)  # characters of one command's output
    config_batch: float = Field(_POLL.config_batch, ge=0)  # seconds: backups this close are one history commit
    # Pollers run by `thdmon serve` (a list, or "snmp,icmp" in an environment variable). SSH polls only the
    # devices with an `ssh` credential, so it is on by default.
    protocols: Annotated[tuple[Literal["snmp", "icmp", "ssh"], ...], BeforeValidator(_comma_list)] = (
        "snmp", "icmp", "ssh")
    timeout: float = Field(_POLL.timeout, gt=0)  # seconds per SNMP request or ICMP echo
    retries: int = Field(_POLL.retries, ge=0, le=5)
    concurrency: int = Field(DEFAULT_CONCURRENCY, ge=1)
    engine: Literal["gufo", "pysnmp"] = _POLL.engine  # type: ignore[assignment]
    shard: ShardText = "1/1"  # K/N
    trap_listen: ListenOrOff = "127.0.0.1:10162"  # HOST:PORT of the SNMP trap receiver, or "off"
    backoff_base: float = Field(BACKOFF_BASE, gt=0)  # seconds: first delay after a failed poll, doubled to the cap
    backoff_cap: float = Field(BACKOFF_CAP, gt=0)
    log_summary_interval: float = Field(60.0, ge=1)  # seconds between two poll_summary lines of the log
    # HTTP of /metrics. Beyond loopback, basic auth is required: the password as a bcrypt/sha256 hash,
    # given as a secret reference (env:NAME, file:NAME of the secrets file) or as the hash itself.
    auth_user: str = ""
    auth_password_hash: str = ""
    tls_cert: str = ""  # PEM files; both or neither
    tls_key: str = ""

    @model_validator(mode="after")
    def _backoff_bounds(self) -> CollectorSettings:
        if self.backoff_cap < self.backoff_base:
            raise ValueError(f"backoff_cap ({self.backoff_cap:g}) must be >= backoff_base ({self.backoff_base:g})")
        return self


class ConnlogSettings(_Section):
    db_url: str = ""  # empty: SQLite file in the state directory
    radius_listen: ListenOrOff = "127.0.0.1:1813"
    syslog_listen: ListenOrOff = "127.0.0.1:5514"
    metrics_listen: ListenOrOff = "127.0.0.1:9812"  # ingest health /metrics of `thdmon logs serve`
    spool_dir: str = ""  # empty: <state_dir>/connlog-spool
    signing_key: str = ""  # empty: <state_dir>/connlog-seal.key (Ed25519, created 0600 on first use)
    technical_retention_days: int = Field(365, ge=1)
    identity_retention_days: int = Field(5 * 365, ge=1)

    @model_validator(mode="after")
    def _identity_outlives_technical(self) -> ConnlogSettings:
        # Identity is part of the technical records it came with: erasing it first would break them.
        if self.identity_retention_days < self.technical_retention_days:
            raise ValueError(f"identity_retention_days ({self.identity_retention_days}) must be >= "
                             f"technical_retention_days ({self.technical_retention_days})")
        return self


class PortalSettings(_Section):
    """The auditor portal (`thdmon portal serve`): see docs/portal.md."""

    listen: Listen = "127.0.0.1:9820"
    metrics_listen: ListenOrOff = "127.0.0.1:9821"  # login counters for Prometheus, loopback like every /metrics
    db_url: str = ""  # accounts and sessions; empty: SQLite <state_dir>/portal.sqlite (0600)
    tls_cert: str = ""  # PEM files; both or neither. Beyond loopback: TLS here or behind_proxy
    tls_key: str = ""
    behind_proxy: bool = False  # a TLS reverse proxy on loopback: trust its X-Forwarded-*, cookies Secure
    session_idle_minutes: int = Field(15, ge=1)
    session_max_hours: int = Field(8, ge=1)
    login_free_failures: int = Field(5, ge=1)  # failures per account or address before the delay grows
    login_window_seconds: int = Field(900, ge=1)  # failures older than this are forgotten
    login_max_delay_seconds: int = Field(300, ge=1)
    login_failure_delay: float = Field(0.5, ge=0)  # seconds every failed attempt waits before its answer
    opendata_threshold: int = Field(10, ge=2)  # cells counting fewer people are suppressed
    ldap_url: str = ""  # ldap://host:389 or ldaps://...; empty: local accounts only
    ldap_user_dn: str = ""  # e.g. uid={user},ou=people,dc=seinesaintdenis,dc=fr
    ldap_auditor_group: str = ""  # DN of the group whose members get the auditor role
    ldap_admin_group: str = ""

    @model_validator(mode="after")
    def _tls_pair(self) -> PortalSettings:
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ValueError("tls_cert and tls_key go together: give both or neither")
        return self


class Settings(_Section):
    inventory: Path = DEFAULT_INVENTORY
    secrets_file: Path | None = None
    state_dir: Path = Path(os.path.expanduser(DEFAULT_STATE_DIR))
    log_format: Literal["text", "json"] = "text"  # json: one object per line, key=value pairs as fields
    collector: CollectorSettings = CollectorSettings()
    connlog: ConnlogSettings = ConnlogSettings()
    portal: PortalSettings = PortalSettings()

    @property
    def connlog_db_url(self) -> str:
        return self.connlog.db_url or f"sqlite:///{self.state_dir / 'connlog.sqlite'}"

    @property
    def portal_db_url(self) -> str:
        return self.portal.db_url or f"sqlite:///{self.state_dir / 'portal.sqlite'}"


_FLAT_ENV = {
    "THDMON_INVENTORY": ("inventory",),
    "THDMON_SECRETS": ("secrets_file",),
    "THDMON_STATE_DIR": ("state_dir",),
    "THDMON_DB_URL": ("connlog", "db_url"),
    "THDMON_LOG_FORMAT": ("log_format",),
}


# THDMON_* variables that are not settings: the config path, and those of the lab, demo, tests, benchmarks.
_NOT_SETTINGS = ("THDMON_CONFIG",)
_NOT_SETTINGS_PREFIXES = ("THDMON_LAB_", "THDMON_DEMO_", "THDMON_TEST_", "THDMON_BENCH_", "THDMON_UPDATE_")
# Values shown masked by `thdmon settings show` (a reference such as env:NAME is shown: it is no secret).
SECRET_KEYS: frozenset[tuple[str, ...]] = frozenset({("collector", "auth_password_hash")})
URL_KEYS: frozenset[tuple[str, ...]] = frozenset({("connlog", "db_url"), ("portal", "db_url"), ("portal", "ldap_url")})


def _set(d: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        nested = d.get(key)
        if not isinstance(nested, dict):  # a scalar where a section belongs: validation names it
            nested = d[key] = {}
        d = nested
    d[path[-1]] = value


def _flatten(data: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for key, value in data.items():
        path = (*prefix, str(key))
        out.extend(_flatten(value, path) if isinstance(value, dict) else [path])
    return out


def config_path(config: Path | None, env: dict[str, str]) -> Path | None:
    """The settings file: `--config`, else `$THDMON_CONFIG`, else the system file if it exists."""
    if config is not None:
        return config
    if env.get("THDMON_CONFIG"):
        return Path(env["THDMON_CONFIG"])
    return SYSTEM_CONFIG if SYSTEM_CONFIG.is_file() else None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"settings file {path}: not UTF-8 text (is it a TOML file?)") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path}: {exc}") from None
    except OSError as exc:
        raise SettingsError(f"settings file {path}: {exc.strerror or exc}") from None


def _source_of(loc: tuple[str, ...], sources: dict[tuple[str, ...], str]) -> str:
    """Where the value at `loc` came from: its own source, its section's, or those of the keys under it
    (a rule between two keys of a section names both)."""
    for n in range(len(loc), 0, -1):
        if loc[:n] in sources:
            return sources[loc[:n]]
    below = sorted({src for key, src in sources.items() if key[:len(loc)] == loc})
    return ", ".join(below) if below else "defaults"


def _model_at(loc: tuple[str, ...]) -> type[BaseModel] | None:
    """The settings section holding the key at `loc` (None when `loc` does not lead to one)."""
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        info = model.model_fields.get(part)
        sub = info.annotation if info is not None else None
        if not (isinstance(sub, type) and issubclass(sub, BaseModel)):
            return None
        model = sub
    return model


def keys() -> list[tuple[str, ...]]:
    """Every setting's key path, in declaration order."""
    out: list[tuple[str, ...]] = []
    for name, info in Settings.model_fields.items():
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            out.extend((name, child) for child in sub.model_fields)
        else:
            out.append((name,))
    return out


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def env_name(key_path: tuple[str, ...]) -> str:
    return "THDMON_" + "__".join(p.upper() for p in key_path)


def _unknown_key(loc: tuple[str, ...], where: str) -> str:
    model = _model_at(loc)
    known = list(model.model_fields) if model is not None else []
    if where.startswith("environment "):
        names = [env_name(k) for k in keys()]
        return "not a setting" + _did_you_mean(where.removeprefix("environment "), names)
    return "unknown key" + _did_you_mean(loc[-1], known)


def env_warnings(env: dict[str, str]) -> list[str]:
    """THDMON_* variables that look meant as settings but set none (a typo, one underscore for two)."""
    names = [env_name(k) for k in keys()]
    out = []
    for name in sorted(env):
        if (not name.startswith("THDMON_") or name in _FLAT_ENV or name in _NOT_SETTINGS
                or name.startswith(_NOT_SETTINGS_PREFIXES) or "__" in name):
            continue  # a double-underscore name is a key path: an unknown one fails validation, with a hint
        guess = difflib.get_close_matches(name, names + list(_FLAT_ENV), n=1, cutoff=0.75)
        if guess:
            hint = " (nested keys take a double underscore)" if "__" in guess[0] else ""
            out.append(f"environment variable {name} sets no setting; did you mean {guess[0]}?{hint}")
        elif name.removeprefix("THDMON_").split("_", 1)[0].lower() in Settings.model_fields:
            out.append(f"environment variable {name} sets no setting (nested keys take a double underscore: "
                       f"THDMON_SECTION__KEY)")
    return out


@dataclass(frozen=True)
class Loaded:
    """The effective settings and where each value came from (key path -> 'file X', 'environment Y',
    'command line'; absent: the default)."""

    settings: Settings
    config: Path | None
    sources: dict[tuple[str, ...], str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def source(self, key_path: tuple[str, ...]) -> str:
        return self.sources.get(key_path, "default")


def resolve(config: Path | None = None, env: dict[str, str] | None = None,
            overrides: dict[tuple[str, ...], Any] | None = None) -> Loaded:
    """The effective settings with their sources; SettingsError naming every bad key and where its value
    came from, with the closest known key for an unknown one."""
    env = dict(os.environ if env is None else env)
    path = config_path(config, env)
    data: dict[str, Any] = _read_file(path) if path is not None else {}
    sources: dict[tuple[str, ...], str] = dict.fromkeys(_flatten(data), f"file {path}")
    for name, value in sorted(env.items()):
        if name in _FLAT_ENV:
            key_path = _FLAT_ENV[name]
        elif name.startswith("THDMON_") and "__" in name:
            key_path = tuple(p.lower() for p in name[len("THDMON_"):].split("__"))
        else:
            continue
        _set(data, key_path, value)
        sources[key_path] = f"environment {name}"
    for key_path, value in (overrides or {}).items():
        if value is not None:
            _set(data, key_path, value)
            sources[key_path] = "command line"
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            loc = tuple(str(part) for part in e["loc"])
            where = _source_of(loc, sources)
            msg = _unknown_key(loc, where) if e["type"] == "extra_forbidden" else e["msg"].removeprefix("Value error, ")
            lines.append(f"{'.'.join(loc) or '(settings)'} (from {where}): {msg}")
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
    return Loaded(settings, path, sources, env_warnings(env))


def load(config: Path | None = None, env: dict[str, str] | None = None,
         overrides: dict[tuple[str, ...], Any] | None = None) -> Settings:
    """The effective settings (see `resolve` for their sources)."""
    return resolve(config, env, overrides).settings


def _mask_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:****@{netloc[1]}"))


def shown(key_path: tuple[str, ...], value: Any) -> Any:
    """A value as `thdmon settings show` prints it: secrets masked, references kept, paths as text."""
    if key_path in SECRET_KEYS and value and not str(value).startswith(("env:", "file:")):
        return "****"
    if key_path in URL_KEYS and value:
        return _mask_url(str(value))
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return value


def effective(loaded: Loaded) -> list[tuple[str, Any, str]]:
    """(dotted key, shown value, source) for every setting."""
    out = []
    for key_path in keys():
        value: Any = loaded.settings
        for part in key_path:
            value = getattr(value, part)
        out.append((".".join(key_path), shown(key_path, value), loaded.source(key_path)))
    return out
