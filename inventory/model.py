"""The typed inventory of THD-SSD: sites, devices, credentials (references only), profiles.

These classes are the contract every other package reads. They are validated once, by
`inventory.loader`, and trusted afterwards. Secret values never live here: a credential holds
references (`env:NAME`, `file:NAME`) that `inventory.secrets` resolves on demand into
`pydantic.SecretStr`, whose repr is masked.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, SecretStr, field_validator

_LIMITED_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def _address_text(value: Any) -> Any:
    # YAML reads `address: 10` as the number 10, which ipaddress would take for 0.0.0.10.
    if isinstance(value, bool | int | float):
        raise ValueError(f"expected an address such as 10.93.1.1, found a number ({value!r}): write the "
                         "whole address")
    return value


def _host_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Any:
    """A device is polled at one unicast host address: refuse what would reach nobody or many."""
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id:
        raise ValueError(f"{address}: an interface scope (%{address.scope_id}) depends on the host polling; "
                         "use a global or unique-local address")
    if address.is_unspecified:
        raise ValueError(f"{address} is the unspecified address, not a device")
    if address.is_multicast:
        raise ValueError(f"{address} is a multicast address, not one device")
    if address == _LIMITED_BROADCAST:
        raise ValueError(f"{address} is the broadcast address, not one device")
    return address


def _not_a_boolean(value: Any) -> Any:
    # pydantic reads true as 1: `snmp_port: true` would poll port 1.
    if isinstance(value, bool):
        raise ValueError(f"expected a number, found a boolean ({str(value).lower()})")
    return value


IPAddress = Annotated[ipaddress.IPv4Address | ipaddress.IPv6Address, BeforeValidator(_address_text),
                      AfterValidator(_host_address)]
Port = Annotated[int, BeforeValidator(_not_a_boolean), Field(ge=1, le=65535)]
Seconds = Annotated[int, BeforeValidator(_not_a_boolean)]

_SECRET_REF = re.compile(r"^(env|file):[A-Za-z_][A-Za-z0-9_.\-]*$")
_IDENT = r"^[a-z0-9][a-z0-9_.\-]*$"


class SiteKind(StrEnum):
    college = "college"
    lycee = "lycee"
    cfa = "cfa"
    departmental_site = "departmental_site"
    park = "park"
    datacenter = "datacenter"
    pop = "pop"


class Role(StrEnum):
    core = "core"
    distribution = "distribution"
    access_switch = "access_switch"
    router = "router"
    firewall = "firewall"
    wifi_ap = "wifi_ap"
    wifi_controller = "wifi_controller"


class Criticality(StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    critical = "critical"


class _Strict(BaseModel):
    # extra="forbid": a typo in a key is an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


SecretRef = Annotated[str, Field(pattern=_SECRET_REF.pattern, description="env:NAME or file:NAME")]


class Site(_Strict):
    id: Annotated[str, Field(pattern=_IDENT, max_length=128)]
    name: str
    kind: SiteKind
    commune: str
    insee: Annotated[str, Field(pattern=r"^\d{5}$")] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    uplink: str | None = Field(None, description="id of the site or PoP this site hangs from")
    criticality: Criticality = Criticality.normal
    tags: tuple[str, ...] = ()


class Intervals(_Strict):
    """Polling intervals in seconds, per kind of data; None means the profile's default."""

    fast: Annotated[Seconds, Field(ge=5, le=86400)] | None = None  # interfaces, status: default 60 s
    slow: Annotated[Seconds, Field(ge=5, le=86400)] | None = None  # inventory-like tables: default 300 s
    icmp: Annotated[Seconds, Field(ge=1, le=86400)] | None = None


class Device(_Strict):
    hostname: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=253)]  # as DNS
    address: IPAddress
    snmp_port: Port = 161
    ssh_port: Port = 22
    site: str
    role: Role
    profile: str | None = Field(None, description="inventory profile; None: chosen by sysObjectID")
    snmp: str | None = Field(None, description="credential name (snmp_v2c or snmp_v3)")
    ssh: str | None = Field(None, description="credential name (ssh)")
    radius: str | None = Field(None, description="credential name (radius): this device is a NAS")
    enabled: bool = True
    maintenance: dt.date | None = Field(None, description="in maintenance until this date (inclusive)")
    intervals: Intervals = Intervals()
    tags: tuple[str, ...] = ()

    def in_maintenance(self, today: dt.date) -> bool:
        return self.maintenance is not None and today <= self.maintenance


class SnmpV2cCredential(_Strict):
    type: Literal["snmp_v2c"]
    community: SecretRef


AuthProtocol = Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"]
PrivProtocol = Literal["DES", "AES", "AES128", "AES192", "AES256"]


class SnmpV3Credential(_Strict):
    type: Literal["snmp_v3"]
    user: str
    security_level: Literal["noAuthNoPriv", "authNoPriv", "authPriv"]
    auth_protocol: AuthProtocol | None = None
    auth_key: SecretRef | None = None
    priv_protocol: PrivProtocol | None = None
    priv_key: SecretRef | None = None
    context: str = ""


class SshCredential(_Strict):
    type: Literal["ssh"]
    username: str
    password: SecretRef | None = None
    key_file: str | None = Field(None, description="path to a private key file (outside the inventory)")


class RadiusCredential(_Strict):
    type: Literal["radius"]
    secret: SecretRef


Credential = Annotated[
    SnmpV2cCredential | SnmpV3Credential | SshCredential | RadiusCredential, Field(discriminator="type")
]


class Profile(_Strict):
    """What to collect from a kind of device: SNMP modules (collector/profiles/*.yaml), SSH platform."""

    description: str = ""
    snmp_modules: tuple[str, ...] = ()
    probe_modules: tuple[str, ...] = Field((), description="SNMP modules walked and kept only if they answer "
                                           "(tables a product line may lack: LLDP, PoE)")
    ssh_platform: str | None = Field(None, description="netmiko device_type, e.g. cisco_ios")
    sys_object_ids: tuple[str, ...] = Field((), description="sysObjectID prefixes that select this profile")
    intervals: Intervals = Intervals()

    @field_validator("sys_object_ids")
    @classmethod
    def _numeric_oids(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for oid in v:
            if not re.fullmatch(r"\d+(\.\d+)*", oid.lstrip(".")):
                raise ValueError(f"not a numeric OID: {oid!r}")
        return tuple(o.lstrip(".") for o in v)


class Location(BaseModel):
    """Where an entity was declared, for error messages of later stages."""

    model_config = ConfigDict(frozen=True)
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class Inventory(BaseModel):
    """A whole validated inventory. Keys are site ids, hostnames, credential and profile names."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    root: str
    sites: dict[str, Site]
    devices: dict[str, Device]
    credentials: dict[str, SnmpV2cCredential | SnmpV3Credential | SshCredential | RadiusCredential]
    profiles: dict[str, Profile]
    locations: dict[tuple[str, str], Location] = Field(
        default_factory=dict, description="(section, key) -> where it was declared"
    )
    # inventory.secrets.Secrets (ref -> SecretStr), resolved by the loader; never dumped nor shown.
    secrets: Any = Field(default=None, exclude=True, repr=False)

    def secret(self, ref: str) -> SecretStr:
        """The value of a credential's reference (`env:NAME`, `file:NAME`), resolved at load time."""
        if self.secrets is None or ref not in self.secrets:
            raise KeyError(f"secret reference {ref} was not resolved (loaded with check_secrets=False?)")
        return self.secrets[ref]

    def site_of(self, device: Device) -> Site:
        return self.sites[device.site]

    def devices_of_site(self, site_id: str) -> list[Device]:
        return [d for d in self.devices.values() if d.site == site_id]
