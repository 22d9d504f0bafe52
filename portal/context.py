"""What every page needs, built once by `portal.server` and handed to the application."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connlog.store import Store
from portal.accounts import Accounts
from portal.directory import Directory
from portal.metrics import PortalMetrics
from portal.sessions import Sessions
from portal.throttle import LoginThrottle


@dataclass
class PortalContext:
    store: Store  # the connection logs (connlog)
    accounts: Accounts
    sessions: Sessions
    throttle: LoginThrottle
    metrics: PortalMetrics
    signing_key: Any  # Ed25519 private key: exports are signed with the store's sealing key
    secure_cookies: bool  # TLS here or at the reverse proxy
    failure_delay: float = 0.5
    opendata_threshold: int = 10
    parks: tuple[str, ...] = ()  # site ids of the parks (open data), from the inventory
    expected_sources: tuple[tuple[str, str], ...] = ()  # (kind, source) that should send: the inventory's NAS
    directory: Directory | None = None
