"""Host keys: trust on first use, then refuse any other key.

The pinned keys are an OpenSSH known_hosts file in the state directory (`ssh/known_hosts`, 0600), keyed
by the inventory hostname rather than the address: a device renumbered keeps its key, and
`ssh-keygen -F DEVICE -f known_hosts` reads it. A device presenting another key than the pinned one is
refused before authentication (no password is sent to an impostor) and reported as `host_key_changed`
until an operator accepts the new key (`thdmon config trust DEVICE`), never silently.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import paramiko


class HostKeyChanged(Exception):
    """The device presented a key other than the one pinned for it."""


def fingerprint(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.fingerprint}"


class KnownHosts:
    """The pinned keys; safe to use from the session threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._keys = paramiko.HostKeys()
        if path.is_file():
            self._keys.load(str(path))

    def check(self, hostname: str, key: paramiko.PKey) -> bool:
        """True if `key` was pinned now (first use), False if it is the pinned one; HostKeyChanged else."""
        with self._lock:
            known = self._keys.lookup(hostname)
            if not known:
                self._keys.add(hostname, key.get_name(), key)
                self._save()
                return True
            pinned = known.get(key.get_name())
            if pinned is not None and pinned == key:
                return False
            was = ", ".join(fingerprint(k) for k in known.values())
            raise HostKeyChanged(f"presents {fingerprint(key)}, pinned {was}")

    def pinned(self, hostname: str) -> list[str]:
        with self._lock:
            return [fingerprint(k) for k in (self._keys.lookup(hostname) or {}).values()]

    def forget(self, hostname: str) -> bool:
        """Drop a device's pinned key (its next session pins the key it presents). False if none was."""
        with self._lock:
            if hostname not in self._keys:
                return False
            del self._keys[hostname]
            self._save()
            return True

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        self._keys.save(str(tmp))
        os.replace(tmp, self.path)


class TofuPolicy(paramiko.MissingHostKeyPolicy):
    """paramiko is given no known keys: it asks this policy about every key, which checks the pin."""

    def __init__(self, known: KnownHosts, hostname: str) -> None:
        self.known, self.hostname = known, hostname
        self.pinned_now = False

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        self.pinned_now = self.known.check(self.hostname, key)
