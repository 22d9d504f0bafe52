"""The sealing key file: created 0600, reused, refused when others can read it; public export."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from connlog import keys
from connlog.errors import ConnlogError


def test_key_created_0600_and_reused(tmp_path: Path) -> None:
    path = keys.key_path("", tmp_path / "state")
    assert path == tmp_path / "state" / "connlog-seal.key"
    first = keys.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = keys.load_or_create(path)
    assert keys.fingerprint(first.public_key()) == keys.fingerprint(again.public_key())
    assert keys.verify(again.public_key(), first.sign(b"m"), b"m")
    assert not keys.verify(again.public_key(), first.sign(b"m"), b"n")


def test_public_key_export_and_load(tmp_path: Path) -> None:
    key = keys.load_or_create(tmp_path / "k")
    pem = keys.public_pem(key.public_key())
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    (tmp_path / "k.pub").write_bytes(pem)
    loaded = keys.load_public(tmp_path / "k.pub")
    assert keys.fingerprint(loaded) == keys.fingerprint(key.public_key())
    assert keys.fingerprint(loaded).startswith("sha256:") and len(keys.fingerprint(loaded)) == 71


def test_readable_key_and_garbage_are_refused_without_showing_the_key(tmp_path: Path) -> None:
    path = tmp_path / "k"
    keys.load_or_create(path)
    secret = path.read_text()
    path.chmod(0o644)
    with pytest.raises(ConnlogError, match="readable by others") as err:
        keys.load_or_create(path)
    assert secret.splitlines()[1] not in str(err.value)
    bad = tmp_path / "bad"
    bad.write_text("not a key")
    bad.chmod(0o600)
    with pytest.raises(ConnlogError, match="not a PEM Ed25519 private key"):
        keys.load_or_create(bad)
    with pytest.raises(ConnlogError, match="not a PEM public key"):
        keys.load_public(bad)
