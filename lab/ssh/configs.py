"""Running configurations of the simulated devices, per emulated platform, with every kind of secret.

Each device's configuration is a text file `<runtime>/ssh/configs/<hostname>.cfg`, written once from the
inventory (the tests and `thdmon lab config` change it afterwards). Volatile lines (clock, NTP drift,
FortiOS's save counter) are not in the file: `render` adds them at every `show`, as a real device does, so
that a backup that kept them would change at every run.

Secret values are derived from the hostname (stable across restarts, different per device) and look like
what each vendor prints: IOS type 5/7/8/9 hashes, AOS-CX `ciphertext` blobs, FortiOS `ENC` strings, PEM
private keys. `SECRETS_OF` lists them per device so that the masking tests can check none survives.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
from pathlib import Path

from inventory.model import Device

# netmiko device_type -> emulated CLI
PLATFORMS: dict[str, str] = {"cisco_ios": "ios", "cisco_xe": "ios", "aruba_aoscx": "aoscx", "fortinet": "fortios"}


def _rng(hostname: str) -> random.Random:
    return random.Random(hashlib.sha256(f"thdmon-lab-config:{hostname}".encode()).digest())


_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _tok(rng: random.Random, n: int, alphabet: str = _ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _b64(rng: random.Random, n: int) -> str:
    return base64.b64encode(rng.randbytes(n)).decode()


def _ports(device: Device) -> int:
    for tag in device.tags:
        if tag.startswith("ports:") and tag[6:].isdigit():
            return min(int(tag[6:]), 52)
    return 8


def secrets_of(device: Device, platform: str) -> dict[str, str]:
    """kind -> the secret value written in the device's configuration (what masking must remove)."""
    rng = _rng(device.hostname)
    hexd = "0123456789ABCDEF"
    if platform == "ios":
        return {
            "enable_secret_9": "$9$" + _tok(rng, 14) + "$" + _tok(rng, 43),
            "enable_password_7": "0" + _tok(rng, 17, hexd),
            "user_secret_8": "$8$" + _tok(rng, 14) + "$" + _tok(rng, 43),
            "user_secret_5": "$1$" + _tok(rng, 4) + "$" + _tok(rng, 22),
            "user_password_7": "1" + _tok(rng, 19, hexd),
            "snmp_community_ro": "ro-" + _tok(rng, 10),
            "snmp_community_rw": "rw-" + _tok(rng, 12),
            "snmp_host_community": "trap-" + _tok(rng, 8),
            "radius_key_7": "0" + _tok(rng, 23, hexd),
            "tacacs_key_7": "1" + _tok(rng, 21, hexd),
            "tacacs_legacy_key": "tac-" + _tok(rng, 12),
            "isakmp_psk": "psk-" + _tok(rng, 16),
            "ikev2_psk": "ike-" + _tok(rng, 16),
            "ospf_md5_7": "0" + _tok(rng, 15, hexd),
            "key_string_7": "1" + _tok(rng, 15, hexd),
            "bgp_password_7": "0" + _tok(rng, 19, hexd),
            "ntp_key": "ntp" + _tok(rng, 10),
            "vty_password_7": "1" + _tok(rng, 13, hexd),
            "wpa_psk": "wifi-" + _tok(rng, 14),
        }
    if platform == "aoscx":
        return {
            "user_password_ciphertext": "AQBapA" + _b64(rng, 60),
            "radius_key_ciphertext": "AQBapB" + _b64(rng, 48),
            "tacacs_key_ciphertext": "AQBapC" + _b64(rng, 48),
            "radius_dynauth_ciphertext": "AQBapD" + _b64(rng, 48),
            "snmp_community": "cx-" + _tok(rng, 12),
            "snmpv3_auth_ciphertext": "AQBapE" + _b64(rng, 48),
            "snmpv3_priv_ciphertext": "AQBapF" + _b64(rng, 48),
            "ntp_key_ciphertext": "AQBapG" + _b64(rng, 40),
            "ospf_md5_ciphertext": "AQBapH" + _b64(rng, 40),
        }
    if platform == "fortios":
        key_body = "\n".join(_b64(rng, 48) for _ in range(6))
        return {
            "admin_password_enc": "SH2" + _b64(rng, 45),
            "snmp_community": "fgt-" + _tok(rng, 10),
            "radius_secret_enc": _b64(rng, 72),
            "tacacs_key_enc": _b64(rng, 72),
            "ipsec_psk_enc": _b64(rng, 96),
            "wifi_passphrase_enc": _b64(rng, 72),
            "ldap_password_enc": _b64(rng, 72),
            "cert_password_enc": _b64(rng, 72),
            "private_key": f"-----BEGIN ENCRYPTED PRIVATE KEY-----\n{key_body}\n-----END ENCRYPTED PRIVATE KEY-----",
        }
    raise ValueError(f"no lab configuration for platform {platform!r}")


def _ios(device: Device, s: dict[str, str]) -> str:
    h, n = device.hostname, _ports(device)
    out = ["version 17.9", "service timestamps debug datetime msec", "service timestamps log datetime msec",
           "service password-encryption", "!", f"hostname {h}", "!", "boot-start-marker", "boot-end-marker", "!",
           f"enable secret 9 {s['enable_secret_9']}", f"enable password 7 {s['enable_password_7']}", "!",
           f"username thdmon privilege 15 secret 8 {s['user_secret_8']}",
           f"username legacy privilege 1 secret 5 {s['user_secret_5']}",
           f"username backup password 7 {s['user_password_7']}", "!", "aaa new-model",
           "aaa authentication login default group tacacs+ local", "!", "ip domain name thd.seinesaintdenis.fr",
           "!", "key chain OSPF-KEYS", " key 1", f"  key-string 7 {s['key_string_7']}", "!",
           f"crypto isakmp key {s['isakmp_psk']} address 10.93.0.1", "crypto ikev2 keyring KR", " peer DC",
           "  address 10.93.0.2", f"  pre-shared-key {s['ikev2_psk']}", "!", "spanning-tree mode rapid-pvst", "!"]
    for port in range(1, n + 1):
        out += [f"interface GigabitEthernet1/0/{port}", f" description {'uplink' if port == n else 'acces'}",
                " switchport mode " + ("trunk" if port == n else "access"), "!"]
    out += ["interface Vlan100", f" ip address {device.address} 255.0.0.0",
            f" ip ospf message-digest-key 1 md5 7 {s['ospf_md5_7']}", "!",
            "router bgp 65093", f" neighbor 10.93.0.1 password 7 {s['bgp_password_7']}", "!",
            "dot11 ssid THD-PARC", f" wpa-psk ascii 0 {s['wpa_psk']}", "!",
            f"snmp-server community {s['snmp_community_ro']} RO 10",
            f"snmp-server community {s['snmp_community_rw']} RW 11",
            f"snmp-server host 10.93.0.10 version 2c {s['snmp_host_community']}", "!",
            "radius server ISE1", " address ipv4 10.93.0.20 auth-port 1812 acct-port 1813",
            f" key 7 {s['radius_key_7']}", "!", "tacacs server TAC1", " address ipv4 10.93.0.21",
            f" key 7 {s['tacacs_key_7']}", f"tacacs-server key {s['tacacs_legacy_key']}", "!",
            f"ntp authentication-key 1 md5 {s['ntp_key']} 7", "ntp clock-period {CLOCK_PERIOD}",
            "ntp server 10.93.0.1", "!", "line con 0", " stopbits 1", "line vty 0 15",
            f" password 7 {s['vty_password_7']}", " transport input ssh", "!", "end"]
    return "\n".join(out) + "\n"


def _aoscx(device: Device, s: dict[str, str]) -> str:
    h, n = device.hostname, _ports(device)
    out = ["!Version ArubaOS-CX FL.10.13.1000", "!export-password: default", f"hostname {h}",
           f"user admin group administrators password ciphertext {s['user_password_ciphertext']}",
           "ntp authentication-key 1 sha1 ciphertext " + s["ntp_key_ciphertext"], "ntp server 10.93.0.1 iburst",
           "ntp enable", "!", f"radius-server host 10.93.0.20 key ciphertext {s['radius_key_ciphertext']}",
           f"tacacs-server host 10.93.0.21 key ciphertext {s['tacacs_key_ciphertext']}",
           f"radius dyn-authorization client 10.93.0.20 secret-key ciphertext {s['radius_dynauth_ciphertext']}",
           "aaa authentication login default group tacacs local", "!",
           f"snmp-server community {s['snmp_community']}",
           f"snmpv3 user thdmon auth sha auth-pass ciphertext {s['snmpv3_auth_ciphertext']} priv aes "
           f"priv-pass ciphertext {s['snmpv3_priv_ciphertext']}",
           "ssh server vrf mgmt", "vlan 1,100", "spanning-tree"]
    for port in range(1, n + 1):
        out += [f"interface 1/1/{port}", "    no shutdown",
                f"    description {'uplink' if port == n else 'acces'}",
                "    vlan trunk allowed all" if port == n else "    vlan access 100", "    exit"]
    out += ["interface vlan 100", f"    ip address {device.address}/8",
            f"    ip ospf message-digest-key 1 md5 ciphertext {s['ospf_md5_ciphertext']}", "    exit",
            "https-server vrf mgmt"]
    return "\n".join(out) + "\n"


def _fortios(device: Device, s: dict[str, str]) -> str:
    h = device.hostname
    cert = "\n".join(["-----BEGIN CERTIFICATE-----", "MIIDXTCCAkWgAwIBAgIJAKZ3" + "A" * 40,
                      "-----END CERTIFICATE-----"])
    out = ["config system global", '    set alias "FortiGate-60F"', f'    set hostname "{h}"', "    set timezone 28",
           "end", "config system admin", '    edit "admin"', '        set accprofile "super_admin"',
           '        set vdom "root"', f"        set password ENC {s['admin_password_enc']}", "    next", "end",
           "config system snmp community", "    edit 1", f'        set name "{s["snmp_community"]}"',
           "        config hosts", "            edit 1", "                set ip 10.93.0.10 255.255.255.255",
           "            next", "        end", "    next", "end",
           "config user radius", '    edit "NPS"', '        set server "10.93.0.20"',
           f"        set secret ENC {s['radius_secret_enc']}", "    next", "end",
           "config user tacacs+", '    edit "TAC"', '        set server "10.93.0.21"',
           f"        set key ENC {s['tacacs_key_enc']}", "    next", "end",
           "config user ldap", '    edit "AD"', '        set server "10.93.0.22"',
           f"        set password ENC {s['ldap_password_enc']}", "    next", "end",
           "config vpn certificate local", '    edit "thd-vpn"', f"        set password ENC {s['cert_password_enc']}",
           f'        set private-key "{s["private_key"]}"', f'        set certificate "{cert}"', "    next", "end",
           "config vpn ipsec phase1-interface", '    edit "to-dc"', '        set interface "wan1"',
           '        set remote-gw 10.93.0.1', f"        set psksecret ENC {s['ipsec_psk_enc']}", "    next", "end",
           "config wireless-controller vap", '    edit "parc-public"', '        set ssid "THD-PARC"',
           f"        set passphrase ENC {s['wifi_passphrase_enc']}", "    next", "end",
           "config system interface", '    edit "wan1"', "        set vdom \"root\"",
           f"        set ip {device.address} 255.0.0.0", "        set allowaccess ping https ssh snmp", "    next",
           "end"]
    return "\n".join(out) + "\n"


_BUILDERS = {"ios": _ios, "aoscx": _aoscx, "fortios": _fortios}


def initial(device: Device, platform: str) -> str:
    return _BUILDERS[platform](device, secrets_of(device, platform))


def render(text: str, platform: str, changed_at: float, rng: random.Random) -> str:
    """What `show running-config` prints: the stored text with this instant's volatile lines."""
    if platform == "ios":
        stamp = dt.datetime.fromtimestamp(changed_at, dt.UTC).strftime("%H:%M:%S UTC %a %b %-d %Y")
        body = text.replace("{CLOCK_PERIOD}", str(rng.randrange(17179869184, 17179999999)))
        head = (f"! Last configuration change at {stamp} by thdmon\n"
                f"! NVRAM config last updated at {stamp} by thdmon\n!\n")
        return f"Building configuration...\n\nCurrent configuration : {len(body) + len(head)} bytes\n!\n{head}{body}"
    if platform == "aoscx":
        return "Current configuration:\n!\n" + text
    ver = rng.randrange(10**13, 10**14)
    return (f"#config-version=FGT60F-7.2.5-FW-build1517-230606:opmode=0:vdom=0:user=thdmon\n"
            f"#conf_file_ver={ver}\n#buildno=1517\n#global_vdom=1\n{text}")


def path_of(runtime: Path, hostname: str) -> Path:
    return runtime / "ssh" / "configs" / f"{hostname}.cfg"


def replace(runtime: Path, hostname: str, old: str, new: str) -> None:
    """Change a device's running configuration (what an operator does on the device)."""
    from lab.errors import LabError

    path = path_of(runtime, hostname)
    if not path.is_file():
        raise LabError(f"{hostname} has no simulated SSH configuration (not an SSH device of the running lab)")
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise LabError(f"{hostname}: {old!r} is not in its running configuration")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text.replace(old, new, 1), encoding="utf-8")
    tmp.replace(path)
