"""The Ed25519 sealing key: created 0600 on first use, loaded, its public half exported.

The private key never leaves its file: no repr, log or error shows it. Auditors get the public key
(PEM) and its fingerprint, which is all `verify-export` needs.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from connlog.errors import ConnlogError


def key_path(signing_key: str, state_dir: Path) -> Path:
    return Path(signing_key).expanduser() if signing_key else state_dir / "connlog-seal.key"


def load_or_create(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        return _create(path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConnlogError(f"{path}: sealing key readable by others (mode {mode:o}); chmod 600 it")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ConnlogError(f"{path}: not a PEM Ed25519 private key ({exc.__class__.__name__})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConnlogError(f"{path}: the sealing key must be Ed25519")
    return key


def _create(path: Path) -> Ed25519PrivateKey:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # O_EXCL: two processes starting together must not overwrite each other's fresh key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create(path)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ConnlogError(f"{path}: not a PEM public key ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConnlogError(f"{path}: the public key must be Ed25519")
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def verify(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True
