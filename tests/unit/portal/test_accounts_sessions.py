"""Accounts, sessions and the login throttle on a real SQLite file (the portal's own database)."""

from __future__ import annotations

import sqlite3
import stat

import pytest

from portal.accounts import Accounts
from portal.db import open_engine
from portal.errors import PortalError
from portal.sessions import Sessions
from portal.throttle import LoginThrottle

PASSWORD = "correct horse battery staple"


@pytest.fixture
def engine(tmp_path):
    return open_engine(f"sqlite:///{tmp_path / 'state' / 'portal.sqlite'}")


def test_the_database_is_private_and_holds_argon2id_hashes_only(engine, tmp_path):
    Accounts(engine).add("alice", "auditor", PASSWORD)
    path = tmp_path / "state" / "portal.sqlite"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    (hashed,) = sqlite3.connect(path).execute("SELECT password_hash FROM portal_account").fetchone()
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed


def test_verify_outcomes(engine):
    accounts = Accounts(engine)
    accounts.add("alice", "auditor", PASSWORD)
    assert accounts.verify("alice", PASSWORD)[1] == "success"
    assert accounts.verify("alice", "wrong password!")[1] == "bad_password"
    assert accounts.verify("nobody", PASSWORD)[1] == "unknown_account"
    accounts.set_disabled("alice")
    assert accounts.verify("alice", PASSWORD) == (None, "disabled")


@pytest.mark.parametrize(("name", "role", "password", "message"), [
    ("Alice Smith", "auditor", PASSWORD, "account name"), ("bob", "root", PASSWORD, "role"),
    ("bob", "auditor", "short", "too short")])
def test_bad_accounts_are_refused(engine, name, role, password, message):
    with pytest.raises(PortalError, match=message):
        Accounts(engine).add(name, role, password)


def test_sessions_expire_idle_and_absolute_and_die_with_the_password(engine):
    accounts = Accounts(engine)
    accounts.add("alice", "auditor", PASSWORD)
    sessions = Sessions(engine, idle=900, maximum=8 * 3600)
    token, s = sessions.create("alice", "auditor", now=1000.0)
    assert sessions.lookup(token, now=1800.0) == s  # used within 15 min: the idle clock restarts
    assert sessions.lookup(token, now=2600.0) == s
    assert sessions.lookup(token, now=3600.0) is None  # 1000 s idle
    token, _ = sessions.create("alice", "auditor", now=10_000.0)
    for t in range(10_000, 10_000 + 8 * 3600, 600):
        assert sessions.lookup(token, now=float(t)) is not None
    assert sessions.lookup(token, now=10_000.0 + 8 * 3600 + 1) is None  # absolute limit, however active
    token, _ = sessions.create("alice", "auditor")
    accounts.set_password("alice", "another long password")
    assert sessions.lookup(token) is None
    assert sessions.lookup("made-up") is None and sessions.lookup(None) is None


def test_throttle_grows_per_key_and_forgets_after_the_window():
    now = [0.0]
    t = LoginThrottle(free=3, window=900, max_delay=60, clock=lambda: now[0])
    keys = ("account:alice", "address:10.0.0.1")
    for _ in range(3):
        assert t.wait(keys) == 0
        t.failed(keys)
    assert t.wait(keys) == 1.0  # 2^(3-3)
    t.failed(keys)
    assert t.wait(keys) == 2.0
    for _ in range(10):
        t.failed(keys)
    assert t.wait(keys) == 60  # capped
    assert t.wait(("account:bob", "address:10.0.0.2")) == 0  # other keys are free
    assert t.wait(("account:bob", "address:10.0.0.1")) == 60  # the address is held
    now[0] = 1000.0
    assert t.wait(keys) == 0  # the window forgets
    t.failed(keys)
    t.succeeded("account:alice")
    assert t.wait(("account:alice",)) == 0
