"""Who may send connection data: RADIUS NAS (with their shared secrets) and known syslog senders.

Built from the inventory (devices with a `radius:` credential are NAS; every device gives its hostname
and site to a sender address) or, for tests and the lab, from plain mappings. Secrets are bytes kept
out of every repr.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connlog.errors import ConnlogError


@dataclass(frozen=True, slots=True)
class Nas:
    address: str
    hostname: str
    site: str | None
    secret: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class Sender:
    address: str
    hostname: str
    site: str | None


@dataclass(frozen=True, slots=True)
class Sources:
    nas: Mapping[str, Nas] = field(default_factory=dict)
    senders: Mapping[str, Sender] = field(default_factory=dict)

    def sender(self, address: str) -> Sender:
        """The inventory's name for a syslog sender, or its bare address when unknown."""
        return self.senders.get(address) or Sender(address, address, None)


def _address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise ConnlogError(f"NAS address {text!r} is not an IP address") from None


def from_mapping(secrets: Mapping[str, str | bytes], names: Mapping[str, tuple[str, str | None]] | None = None,
                 ) -> Sources:
    """{nas_ip: secret} (and optionally {ip: (hostname, site)}) -> Sources; the NAS is named by its address."""
    names = names or {}
    nas = {}
    for addr, secret in secrets.items():
        a = _address(addr)
        hostname, site = names.get(a, (a, None))
        raw = secret.encode() if isinstance(secret, str) else secret
        if not raw:
            raise ConnlogError(f"NAS {hostname}: empty RADIUS secret")
        nas[a] = Nas(a, hostname, site, raw)
    senders = {_address(a): Sender(_address(a), h, s) for a, (h, s) in names.items()}
    return Sources(nas, senders)


def from_inventory(inventory: Any, resolve: Callable[[str], Any]) -> Sources:
    """Sources of an `inventory.model.Inventory`; `resolve(ref)` turns `env:X`/`file:X` into a SecretStr.

    A NAS whose secret cannot be resolved is an error naming the device and the credential, never the
    value.
    """
    nas: dict[str, Nas] = {}
    senders: dict[str, Sender] = {}
    for device in inventory.devices.values():
        if not device.enabled:
            continue
        address = str(device.address)
        senders[address] = Sender(address, device.hostname, device.site)
        if device.radius is None:
            continue
        cred = inventory.credentials.get(device.radius)
        if cred is None or getattr(cred, "type", None) != "radius":
            raise ConnlogError(f"device {device.hostname}: radius credential {device.radius!r} is not a "
                               "radius credential of the inventory")
        try:
            secret = resolve(cred.secret)
        except Exception as exc:
            raise ConnlogError(f"device {device.hostname}: cannot resolve the secret of credential "
                               f"{device.radius!r} ({type(exc).__name__})") from None
        value = secret.get_secret_value() if hasattr(secret, "get_secret_value") else str(secret)
        if not value:
            raise ConnlogError(f"device {device.hostname}: credential {device.radius!r} has an empty secret")
        nas[address] = Nas(address, device.hostname, device.site, value.encode())
    return Sources(nas, senders)
