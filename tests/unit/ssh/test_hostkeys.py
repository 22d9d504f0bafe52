"""Trust on first use: the first key is pinned (in an OpenSSH known_hosts file keyed by device), the same
key passes, another is refused until forgotten."""

from __future__ import annotations

import paramiko
import pytest

from collector.ssh.hostkeys import HostKeyChanged, KnownHosts


def test_tofu_then_refuse_then_forget(tmp_path):
    path = tmp_path / "ssh" / "known_hosts"
    first, other = paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate()
    known = KnownHosts(path)
    assert known.check("sw1", first) is True
    assert known.check("sw1", first) is False
    assert (path.stat().st_mode & 0o777) == 0o600
    assert path.read_text().startswith("sw1 ecdsa-sha2-nistp256 ")
    reloaded = KnownHosts(path)  # survives a restart
    with pytest.raises(HostKeyChanged, match="pinned ecdsa-sha2-nistp256"):
        reloaded.check("sw1", other)
    assert reloaded.check("sw2", other) is True  # keys are per device
    assert reloaded.forget("sw1") and not reloaded.forget("sw1")
    assert reloaded.check("sw1", other) is True
