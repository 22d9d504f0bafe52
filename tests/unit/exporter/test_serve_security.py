"""HTTP auth and TLS of `thdmon serve` from `[collector]` settings, flags overriding them."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from collector.errors import CollectorError
from tests.conftest import ROOT
from thdmon.commands.serve import check_listen, http_security, trap_listen
from thdmon.settings import load

SHA = "sha256:" + hashlib.sha256(b"s3cret-scrape").hexdigest()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_auth_from_settings_with_a_secret_reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f'metrics_hash: "{SHA}"\n')
    secrets.chmod(0o600)
    settings = load(env={"THDMON_SECRETS": str(secrets), "THDMON_COLLECTOR__AUTH_USER": "prometheus",
                         "THDMON_COLLECTOR__AUTH_PASSWORD_HASH": "file:metrics_hash"})
    security = http_security(settings)
    assert security.auth is not None and security.tls is None
    assert security.auth.check(_basic("prometheus", "s3cret-scrape"))
    assert not security.auth.check(_basic("prometheus", "wrong"))
    assert SHA not in repr(security.auth)
    check_listen("0.0.0.0:9810", security)  # authenticated: allowed beyond loopback

    # Flags override each setting: another user, the hash from the environment.
    monkeypatch.setenv("THDMON_TEST_METRICS_HASH", SHA)
    other = http_security(settings, auth_user="grafana-agent", auth_ref="env:THDMON_TEST_METRICS_HASH")
    assert other.auth is not None and other.auth.check(_basic("grafana-agent", "s3cret-scrape"))


def test_a_plain_hash_in_the_settings_and_clear_errors(tmp_path: Path):
    plain = load(env={"THDMON_COLLECTOR__AUTH_USER": "p", "THDMON_COLLECTOR__AUTH_PASSWORD_HASH": SHA})
    assert http_security(plain).auth.check(_basic("p", "s3cret-scrape"))  # type: ignore[union-attr]
    clear = load(env={"THDMON_COLLECTOR__AUTH_USER": "p", "THDMON_COLLECTOR__AUTH_PASSWORD_HASH": "hunter2"})
    with pytest.raises(CollectorError, match="as a hash") as exc:
        http_security(clear)
    assert "hunter2" not in str(exc.value)
    with pytest.raises(CollectorError, match="go together"):
        http_security(load(env={"THDMON_COLLECTOR__AUTH_USER": "p"}))
    with pytest.raises(CollectorError, match="env: the environment variable it names is not set") as exc:
        http_security(load(env={}), auth_user="p", auth_ref="env:THDMON_NOPE")
    assert "THDMON_NOPE" not in str(exc.value)  # the name could be a secret pasted in place of a reference
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    with pytest.raises(CollectorError, match=r"tls_cert and collector\.tls_key"):
        http_security(load(env={"THDMON_COLLECTOR__TLS_CERT": str(cert)}))
    with pytest.raises(CollectorError, match="does not exist"):
        http_security(load(env={"THDMON_COLLECTOR__TLS_CERT": str(cert),
                                "THDMON_COLLECTOR__TLS_KEY": str(tmp_path / "missing.key")}))


def test_beyond_loopback_without_auth_is_refused():
    security = http_security(load(env={}))
    check_listen("127.0.0.1:9810", security)
    check_listen("[::1]:9810", security)
    with pytest.raises(CollectorError, match=r"refusing to listen on 0\.0\.0\.0:9810.*collector\.auth_user"):
        check_listen("0.0.0.0:9810", security)


def test_serve_refuses_to_start_beyond_loopback_without_auth(tmp_path: Path):
    proc = subprocess.run([sys.executable, "-m", "thdmon", "serve", "--listen", "0.0.0.0:0", "--traps", "off"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)})
    assert proc.returncode == 2, proc.stderr
    assert "refusing to listen on 0.0.0.0:0" in proc.stderr and "Traceback" not in proc.stderr


def test_trap_listen_values():
    assert trap_listen("off") is None and trap_listen(" OFF ") is None
    assert trap_listen("127.0.0.1:10162") == ("127.0.0.1", 10162)
    assert trap_listen("[::1]:162") == ("::1", 162)
    with pytest.raises(CollectorError, match="HOST:PORT"):
        trap_listen("10162")


def test_backoff_bounds_are_checked_with_the_settings():
    from thdmon.settings import SettingsError

    collector = load(env={"THDMON_COLLECTOR__BACKOFF_BASE": "10", "THDMON_COLLECTOR__BACKOFF_CAP": "60"}).collector
    assert (collector.backoff_base, collector.backoff_cap) == (10.0, 60.0)
    with pytest.raises(SettingsError, match=r"backoff_cap \(10\) must be >= backoff_base \(30\)"):
        load(env={"THDMON_COLLECTOR__BACKOFF_CAP": "10"})
