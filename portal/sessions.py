"""Server-side sessions: a random token in the cookie, its SHA-256 in the database.

A session ends after `idle` seconds without a request or `maximum` seconds after login, whichever
comes first; logout, a password change and disabling the account delete it. Each session has its own
CSRF token, which every form carries.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, or_, select, update

from portal.db import sessions


@dataclass(frozen=True, slots=True)
class Session:
    account: str
    role: str
    csrf: str
    created_at: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(self, engine: Engine, *, idle: float, maximum: float) -> None:
        self.engine = engine
        self.idle = idle
        self.maximum = maximum

    def create(self, account: str, role: str, *, now: float | None = None) -> tuple[str, Session]:
        now = time.time() if now is None else now
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            self._expire(conn, now)
            conn.execute(insert(sessions).values(token_hash=_digest(token), account=account, role=role, csrf=csrf,
                                                 created_at=now, last_seen=now))
        return token, Session(account, role, csrf, now)

    def lookup(self, token: str | None, *, now: float | None = None) -> Session | None:
        """The live session of a cookie, its idle clock restarted; None if unknown or expired."""
        if not token:
            return None
        now = time.time() if now is None else now
        digest = _digest(token)
        with self.engine.begin() as conn:
            row = conn.execute(select(sessions).where(sessions.c.token_hash == digest)).first()
            if row is None:
                return None
            if now - row.last_seen > self.idle or now - row.created_at > self.maximum:
                conn.execute(delete(sessions).where(sessions.c.token_hash == digest))
                return None
            conn.execute(update(sessions).where(sessions.c.token_hash == digest).values(last_seen=now))
        return Session(row.account, row.role, row.csrf, row.created_at)

    def end(self, token: str | None) -> None:
        if token:
            with self.engine.begin() as conn:
                conn.execute(delete(sessions).where(sessions.c.token_hash == _digest(token)))

    def _expire(self, conn: object, now: float) -> None:
        conn.execute(delete(sessions).where(or_(sessions.c.last_seen < now - self.idle,  # type: ignore[attr-defined]
                                                sessions.c.created_at < now - self.maximum)))
