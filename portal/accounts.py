"""Accounts and roles: local accounts with argon2id password hashes, directory accounts from LDAP.

Roles: `auditor` (search, export) and `admin` (accounts, journal). Hashes never leave this module;
an unknown account costs the same argon2 verification as a known one, so timing does not say which
names exist.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update

from portal.db import accounts, sessions
from portal.errors import PortalError

ROLES = ("auditor", "admin")
MIN_PASSWORD = 12
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_hasher = PasswordHasher()
_DUMMY = _hasher.hash("not a password of anyone")


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    role: str
    source: str
    disabled: bool
    created_at: float
    password_changed_at: float | None


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise PortalError(f"account name {name!r}: 2-64 characters a-z 0-9 . _ -, starting with a letter or digit")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise PortalError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise PortalError(f"password too short: at least {MIN_PASSWORD} characters")
    return password


class Accounts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, name: str) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.name == name)).first()
        return None if row is None else _account(row)

    def all(self) -> list[Account]:
        with self.engine.connect() as conn:
            return [_account(r) for r in conn.execute(select(accounts).order_by(accounts.c.name))]

    def add(self, name: str, role: str, password: str, *, now: float | None = None) -> Account:
        check_name(name)
        check_role(role)
        check_password(password)
        now = time.time() if now is None else now
        with self.engine.begin() as conn:
            if conn.execute(select(accounts.c.name).where(accounts.c.name == name)).first():
                raise PortalError(f"account {name!r} already exists")
            conn.execute(insert(accounts).values(name=name, role=role, password_hash=_hasher.hash(password),
                                                 source="local", disabled=False, created_at=now,
                                                 password_changed_at=now))
        return self.get(name)  # type: ignore[return-value]

    def set_password(self, name: str, password: str, *, now: float | None = None) -> None:
        check_password(password)
        self._require_local(name)
        with self.engine.begin() as conn:
            conn.execute(update(accounts).where(accounts.c.name == name).values(
                password_hash=_hasher.hash(password), password_changed_at=time.time() if now is None else now))
            conn.execute(delete(sessions).where(sessions.c.account == name))  # a new password logs out everywhere

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        if self.get(name) is None:
            raise PortalError(f"no account {name!r}")
        with self.engine.begin() as conn:
            conn.execute(update(accounts).where(accounts.c.name == name).values(disabled=disabled))
            if disabled:
                conn.execute(delete(sessions).where(sessions.c.account == name))

    def verify(self, name: str, password: str) -> tuple[Account | None, str]:
        """(account, outcome): outcome is success, unknown_account, bad_password or disabled."""
        with self.engine.connect() as conn:
            row = conn.execute(select(accounts).where(accounts.c.name == name)).first()
        stored = row.password_hash if row is not None and row.password_hash else None
        ok = _verify(stored or _DUMMY, password) and stored is not None
        if row is None or stored is None:
            return None, "unknown_account"
        if not ok:
            return None, "bad_password"
        if row.disabled:
            return None, "disabled"
        if _hasher.check_needs_rehash(stored):
            with self.engine.begin() as conn:
                conn.execute(update(accounts).where(accounts.c.name == name)
                             .values(password_hash=_hasher.hash(password)))
        return _account(row), "success"

    def upsert_directory(self, name: str, role: str, *, now: float | None = None) -> Account:
        """An LDAP account seen at login: its role follows the directory's groups each time."""
        now = time.time() if now is None else now
        with self.engine.begin() as conn:
            row = conn.execute(select(accounts).where(accounts.c.name == name)).first()
            if row is None:
                conn.execute(insert(accounts).values(name=name, role=role, password_hash=None, source="ldap",
                                                     disabled=False, created_at=now))
            elif row.source == "ldap" and row.role != role:
                conn.execute(update(accounts).where(accounts.c.name == name).values(role=role))
        return self.get(name)  # type: ignore[return-value]

    def _require_local(self, name: str) -> None:
        account = self.get(name)
        if account is None:
            raise PortalError(f"no account {name!r}")
        if account.source != "local":
            raise PortalError(f"account {name!r} comes from the directory (LDAP): change its password there")


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _account(row: object) -> Account:
    r = row
    return Account(r.name, r.role, r.source, bool(r.disabled), r.created_at, r.password_changed_at)  # type: ignore[attr-defined]
