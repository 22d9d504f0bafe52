"""Secrets out of a configuration before anything stores it (history repository, logs, metrics).

Each family has rules: a regular expression whose `secret` group is replaced by `MASK`. The rules are
written per syntax, never as "any long token": a missed kind must fail a test, not hide behind a
heuristic. A masked value is a constant, not a hash: a hash of a weak secret (an SNMP community) is
found back by brute force, and the history must be safe to hand to anyone who may read configurations.
Consequence: a changed secret does not show in a diff (the line is the same).

Families: `ios` (Cisco IOS / IOS-XE), `aoscx` (Aruba AOS-CX), `fortios` (FortiGate).
"""

from __future__ import annotations

import re

MASK = "<removed>"

_PEM_PRIVATE = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?P<secret>.*?)-----END [A-Z0-9 ]*PRIVATE KEY-----",
                          re.S)
_T = r"(?:\d+ )?"  # IOS's encryption type before a value (0, 5, 6, 7, 8, 9)

_RULES: dict[str, tuple[re.Pattern[str], ...]] = {
    "ios": tuple(re.compile(p, re.M) for p in (
        rf"^\s*enable (?:secret|password)(?: level \d+)? {_T}(?P<secret>\S+)",
        rf"^\s*username \S+ .*?(?:secret|password) {_T}(?P<secret>\S+)",
        r"^\s*snmp-server community (?P<secret>\S+)",
        r"^\s*snmp-server host \S+ (?:(?:informs|traps|vrf \S+|version (?:1|2c|3 \S+))\s+)*(?P<secret>\S+)",
        rf"^\s*(?:tacacs|radius)-server (?:host \S+ )?(?:.* )?key {_T}(?P<secret>\S+)",
        r"^\s*key (?!\d+\s*$)(?:\d+ )?(?P<secret>\S+)\s*$",  # `radius server` / `tacacs server` blocks (not `key 1`)
        rf"^\s*crypto isakmp key {_T}(?P<secret>\S+)",
        rf"pre-shared-key (?:(?:local|remote) )?{_T}(?P<secret>\S+)",
        rf"^\s*key-string {_T}(?P<secret>\S+)",
        rf"message-digest-key \d+ md5 {_T}(?P<secret>\S+)",
        rf"authentication-key {_T}(?:md5 )?(?P<secret>\S+)",
        rf"^\s*neighbor \S+ password {_T}(?P<secret>\S+)",
        rf"^\s*password {_T}(?P<secret>\S+)",  # line vty / con
        rf"wpa-psk (?:ascii|hex) {_T}(?P<secret>\S+)",
        rf"chap (?:hostname \S+ )?password {_T}(?P<secret>\S+)",
    )),
    "aoscx": tuple(re.compile(p, re.M) for p in (
        r"(?:ciphertext|plaintext) (?P<secret>\S+)",
        r"^\s*snmp-server community (?P<secret>\S+)",
    )),
    "fortios": tuple(re.compile(p, re.M) for p in (
        r"^\s*set \S+ ENC (?P<secret>\S+)",
        r"^\s*set (?:password|passwd|secret|key|psksecret|passphrase|sae-password|auth-pwd|priv-pwd) "
        r"(?!ENC )(?P<secret>\S+)",
        r'^\s*set private-key "(?P<secret>[^"]*)"',
    )),
}


def _replace(pattern: re.Pattern[str], text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        whole, start, end = m.group(0), m.start("secret") - m.start(), m.end("secret") - m.start()
        return whole[:start] + MASK + whole[end:]
    return pattern.sub(sub, text)


def _fortios_snmp_communities(text: str) -> str:
    """FortiOS names an SNMP community with `set name` inside `config system snmp community`."""
    out, depth_path = [], []
    for line in text.splitlines(keepends=True):
        word = line.strip()
        if word.startswith("config "):
            depth_path.append(word[7:])
        elif word == "end" and depth_path:
            depth_path.pop()
        elif depth_path and depth_path[0] == "system snmp community" and len(depth_path) == 1 \
                and word.startswith("set name "):
            line = line[: line.index("set name ") + 9] + f'"{MASK}"' + ("\n" if line.endswith("\n") else "")
        out.append(line)
    return "".join(out)


def mask(text: str, family: str) -> str:
    """`text` with every secret the family's rules know replaced by MASK (private keys on every family)."""
    text = _replace(_PEM_PRIVATE, text)
    for pattern in _RULES[family]:
        text = _replace(pattern, text)
    if family == "fortios":
        text = _fortios_snmp_communities(text)
    return text
