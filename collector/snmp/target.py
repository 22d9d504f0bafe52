"""A resolved SNMP target: where to send, how to authenticate (secret values included), how long to wait.

Built once from the inventory (`Target.from_inventory`) with the secrets resolved by the caller; the
secrets are `pydantic.SecretStr`, so neither repr() nor str() of a target ever shows them. A target is
frozen and hashable: engines use it as the key of their session caches, so a changed credential gets
a fresh session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from collector.errors import CollectorError
from inventory.model import Device, SnmpV2cCredential, SnmpV3Credential

AuthProtocol = Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"]
PrivProtocol = Literal["DES", "AES128", "AES192", "AES256"]
SecurityLevel = Literal["noAuthNoPriv", "authNoPriv", "authPriv"]

DEFAULT_TIMEOUT = 2.0
DEFAULT_RETRIES = 1


@dataclass(slots=True, frozen=True)
class V3Params:
    user: str
    level: SecurityLevel
    auth_protocol: AuthProtocol | None = None
    auth_key: SecretStr | None = None
    priv_protocol: PrivProtocol | None = None
    priv_key: SecretStr | None = None
    context: str = ""

    def __post_init__(self) -> None:
        needs_auth = self.level in ("authNoPriv", "authPriv")
        needs_priv = self.level == "authPriv"
        if needs_auth != (self.auth_protocol is not None and self.auth_key is not None):
            raise CollectorError(f"SNMPv3 user {self.user!r}: {self.level} needs auth protocol and key iff auth")
        if needs_priv != (self.priv_protocol is not None and self.priv_key is not None):
            raise CollectorError(f"SNMPv3 user {self.user!r}: {self.level} needs priv protocol and key iff priv")
        for name, key in (("auth", self.auth_key), ("priv", self.priv_key)):
            # RFC 3414 section 11.2: net-snmp and most agents refuse shorter passphrases.
            if key is not None and len(key.get_secret_value()) < 8:
                raise CollectorError(f"SNMPv3 user {self.user!r}: {name} key shorter than 8 characters")


@dataclass(slots=True, frozen=True)
class Target:
    name: str  # the device's hostname, for messages and logs
    address: str
    port: int = 161
    version: Literal["2c", "3"] = "2c"
    community: SecretStr | None = None
    v3: V3Params | None = None
    timeout: float = DEFAULT_TIMEOUT  # per request, seconds
    retries: int = DEFAULT_RETRIES  # re-sends after a timeout

    def __post_init__(self) -> None:
        if self.version == "2c" and self.community is None:
            raise CollectorError(f"{self.name}: SNMPv2c target without a community")
        if self.version == "3" and self.v3 is None:
            raise CollectorError(f"{self.name}: SNMPv3 target without USM parameters")
        if self.timeout <= 0 or self.retries < 0:
            raise CollectorError(f"{self.name}: timeout must be > 0 and retries >= 0")

    @property
    def endpoint(self) -> str:
        """address:port as people write it (brackets for IPv6)."""
        return f"[{self.address}]:{self.port}" if ":" in self.address else f"{self.address}:{self.port}"

    @classmethod
    def from_inventory(
        cls,
        device: Device,
        credential: SnmpV2cCredential | SnmpV3Credential,
        resolve: Callable[[str], SecretStr],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
    ) -> Target:
        """`resolve` turns a secret reference (env:NAME, file:NAME) into its value (inventory.secrets)."""
        common = {"name": device.hostname, "address": str(device.address), "port": device.snmp_port,
                  "timeout": timeout, "retries": retries}
        if isinstance(credential, SnmpV2cCredential):
            return cls(version="2c", community=resolve(credential.community), **common)  # type: ignore[arg-type]
        priv = credential.priv_protocol
        try:
            v3 = V3Params(
                user=credential.user,
                level=credential.security_level,
                auth_protocol=credential.auth_protocol,
                auth_key=resolve(credential.auth_key) if credential.auth_key else None,
                # The inventory says "AES" for AES-128 (RFC 3826); one spelling here.
                priv_protocol="AES128" if priv == "AES" else priv,
                priv_key=resolve(credential.priv_key) if credential.priv_key else None,
                context=credential.context,
            )
        except CollectorError as exc:
            raise CollectorError(f"{device.hostname}: {exc}") from None
        return cls(version="3", v3=v3, **common)  # type: ignore[arg-type]
