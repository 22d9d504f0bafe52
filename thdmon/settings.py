"""Settings: `thdmon.toml` + `THDMON_*` environment variables, validated once; CLI flags override.

Precedence (highest first): command-line flags, environment (`THDMON_COLLECTOR__LISTEN=...`, nested
with a double underscore; a few flat aliases such as `THDMON_INVENTORY`), `thdmon.toml` (path from
`--config`, `THDMON_CONFIG`, or `./thdmon.toml`), defaults. Every service binds to loopback by default.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from inventory.loader import DEFAULT_STATE_DIR

SAMPLE_INVENTORY = Path(__file__).resolve().parent.parent / "inventory" / "sample" / "data"


class SettingsError(Exception):
    """A configuration file or variable that does not validate; the message names it."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CollectorSettings(_Section):
    listen: str = "127.0.0.1:9810"  # /metrics
    fast_interval: int = Field(60, ge=5)  # seconds: interfaces, status
    slow_interval: int = Field(300, ge=5)  # seconds: slow tables
    timeout: float = Field(2.0, gt=0)
    retries: int = Field(1, ge=0, le=5)
    concurrency: int = Field(64, ge=1)
    engine: str = "gufo"  # gufo | pysnmp
    shard: str = "1/1"  # K/N
    trap_listen: str = "127.0.0.1:10162"  # HOST:PORT of the SNMP trap receiver, or "off"
    backoff_base: float = Field(30.0, gt=0)  # seconds: first delay after a failed poll, doubled up to the cap
    backoff_cap: float = Field(900.0, gt=0)
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
    radius_listen: str = "127.0.0.1:1813"
    syslog_listen: str = "127.0.0.1:5514"
    metrics_listen: str = "127.0.0.1:9812"  # ingest health /metrics of `thdmon logs serve`
    spool_dir: str = ""  # empty: <state_dir>/connlog-spool
    signing_key: str = ""  # empty: <state_dir>/connlog-seal.key (Ed25519, created 0600 on first use)
    technical_retention_days: int = Field(365, ge=1)
    identity_retention_days: int = Field(5 * 365, ge=1)


class Settings(_Section):
    inventory: Path = SAMPLE_INVENTORY
    secrets_file: Path | None = None
    state_dir: Path = Path(os.path.expanduser(DEFAULT_STATE_DIR))
    collector: CollectorSettings = CollectorSettings()
    connlog: ConnlogSettings = ConnlogSettings()

    @property
    def connlog_db_url(self) -> str:
        return self.connlog.db_url or f"sqlite:///{self.state_dir / 'connlog.sqlite'}"


_FLAT_ENV = {
    "THDMON_INVENTORY": ("inventory",),
    "THDMON_SECRETS": ("secrets_file",),
    "THDMON_STATE_DIR": ("state_dir",),
    "THDMON_DB_URL": ("connlog", "db_url"),
}


def _set(d: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        d = d.setdefault(key, {})
    d[path[-1]] = value


def load(config: Path | None = None, env: dict[str, str] | None = None,
         overrides: dict[tuple[str, ...], Any] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    data: dict[str, Any] = {}
    path = config or (Path(env["THDMON_CONFIG"]) if env.get("THDMON_CONFIG") else None)
    if path is None and Path("thdmon.toml").is_file():
        path = Path("thdmon.toml")
    if path is not None:
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"{path}: {exc}") from None
    for name, value in env.items():
        if name in _FLAT_ENV:
            _set(data, _FLAT_ENV[name], value)
        elif name.startswith("THDMON_") and "__" in name:
            _set(data, tuple(p.lower() for p in name[len("THDMON_"):].split("__")), value)
    for key_path, value in (overrides or {}).items():
        if value is not None:
            _set(data, key_path, value)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        where = str(path) if path else "environment"
        lines = [f"{where}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None
