"""The HTTP endpoint on 127.0.0.1 (free port): metrics, gzip, health, basic auth, TLS, exposure policy."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import http.client
import ipaddress
import ssl

import bcrypt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families
from pydantic import SecretStr

from collector.errors import CollectorError
from collector.store import Store
from exporters import exposition
from exporters.http import BasicAuth, MetricsServer, Page, Tls, check_exposure, is_loopback, parse_listen

from .conftest import tricky_dataset

BODY = b"# HELP thdmon_device_up x\n# TYPE thdmon_device_up gauge\n" + b'thdmon_device_up{device="sw"} 1.0\n' * 200


def _body(accept: str | None) -> tuple[bytes, str]:
    return BODY, "text/plain; version=0.0.4; charset=utf-8"


def _server(**kw) -> MetricsServer:
    server = MetricsServer("127.0.0.1:0", _body, lambda: (True, "ok"), **kw)
    server.start()
    return server


def _get(server: MetricsServer, path: str, headers: dict[str, str] | None = None,
         context: ssl.SSLContext | None = None) -> http.client.HTTPResponse:
    host, port = server.address
    conn = (http.client.HTTPSConnection(host, port, context=context, timeout=10) if context
            else http.client.HTTPConnection(host, port, timeout=10))
    conn.request("GET", path, headers=headers or {})
    return conn.getresponse()


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_metrics_plain_and_gzipped_and_health():
    server = _server()
    try:
        plain = _get(server, "/metrics")
        assert plain.status == 200 and plain.read() == BODY
        assert plain.getheader("Content-Type").startswith("text/plain; version=0.0.4")
        zipped = _get(server, "/metrics", {"Accept-Encoding": "gzip, deflate"})
        raw = zipped.read()
        assert zipped.getheader("Content-Encoding") == "gzip" and len(raw) < len(BODY) / 5
        assert gzip.decompress(raw) == BODY
        health = _get(server, "/healthz")
        assert health.status == 200 and health.read() == b"ok\n"
        assert _get(server, "/nope").status == 404
    finally:
        server.stop()


def test_basic_auth_is_enforced_with_bcrypt_and_sha256_hashes():
    hashed = bcrypt.hashpw(b"s3cr\xc3\xa8t", bcrypt.gensalt(rounds=4)).decode()
    for stored in (hashed, "sha256:" + hashlib.sha256("s3crèt".encode()).hexdigest()):
        server = _server(auth=BasicAuth("prometheus", SecretStr(stored)))
        try:
            denied = _get(server, "/metrics")
            assert denied.status == 401 and 'Basic realm="thdmon"' in denied.getheader("WWW-Authenticate")
            assert _get(server, "/metrics", _basic("prometheus", "wrong")).status == 401
            assert _get(server, "/metrics", _basic("other", "s3crèt")).status == 401
            assert _get(server, "/metrics", {"Authorization": "Basic !!!"}).status == 401
            for _ in range(2):  # the second time comes from the verified-credentials cache
                ok = _get(server, "/metrics", _basic("prometheus", "s3crèt"))
                assert ok.status == 200 and ok.read() == BODY
            assert _get(server, "/healthz").status == 200  # liveness for load balancers, reveals nothing
        finally:
            server.stop()


def test_a_clear_password_is_refused_and_the_hash_never_shown():
    with pytest.raises(CollectorError, match="as a hash"):
        BasicAuth("prometheus", SecretStr("hunter2"))
    auth = BasicAuth("prometheus", SecretStr("sha256:" + "ab" * 32))
    assert "ab" * 32 not in repr(auth) and "abab" not in str(vars(auth).get("_hash"))


def test_exposure_policy_requires_auth_beyond_loopback():
    auth = BasicAuth("p", SecretStr("sha256:" + "0" * 64))
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert is_loopback(host)
        check_exposure(host, None, None)
    for host in ("0.0.0.0", "::", "192.0.2.10", "metrics.example.org"):
        assert not is_loopback(host)
        with pytest.raises(CollectorError, match="requires authentication"):
            check_exposure(host, None, None)
        check_exposure(host, auth, None)
    with pytest.raises(CollectorError, match="requires authentication"):
        MetricsServer("0.0.0.0:0", _body, lambda: (True, "ok"))


def test_parse_listen():
    assert parse_listen("127.0.0.1:9810") == ("127.0.0.1", 9810)
    assert parse_listen("[::1]:9810") == ("::1", 9810)
    for bad in ("127.0.0.1", "9810", ":x", "host:99999"):
        with pytest.raises(CollectorError, match="listen address"):
            parse_listen(bad)


def test_tls_serves_metrics_to_a_client_trusting_the_certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    server = _server(tls=Tls(tmp_path / "c.pem", tmp_path / "k.pem"))
    try:
        client = ssl.create_default_context(cafile=str(tmp_path / "c.pem"))
        response = _get(server, "/metrics", context=client)
        assert response.status == 200 and response.read() == BODY
        with pytest.raises(ssl.SSLError):
            _get(server, "/metrics", context=ssl.create_default_context())  # untrusted: refused by the client
    finally:
        server.stop()
    with pytest.raises(CollectorError, match="TLS certificate"):
        Tls(tmp_path / "missing.pem", tmp_path / "k.pem").context()


def test_the_scraper_gets_openmetrics_when_it_asks_for_it():
    store = Store(clock=lambda: 1.0)
    devices = exposition.DeviceExposition(store, tricky_dataset(store))
    registry = CollectorRegistry()
    # as `thdmon serve` wires it: the kept gzip members for a client that takes gzip, plain text otherwise
    server = MetricsServer("127.0.0.1:0", lambda accept: exposition.render(devices, registry, accept),
                           lambda: (True, "ok"),
                           gzip_body=lambda accept: exposition.render(devices, registry, accept, gzipped=True))
    server.start()
    try:
        # What Prometheus 2.42 sends.
        accept = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
        response = _get(server, "/metrics", {"Accept": accept, "Accept-Encoding": "gzip"})
        assert response.getheader("Content-Type").startswith("application/openmetrics-text; version=1.0.0")
        text = gzip.decompress(response.read()).decode()
        assert text.endswith("# EOF\n")
        families = {f.name: f for f in om_families(text)}
        assert families["thdmon_device"].type == "info"
        plain = _get(server, "/metrics").read().decode()
        assert "# EOF" not in plain and "# TYPE thdmon_device_info gauge" in plain
        zipped = _get(server, "/metrics", {"Accept-Encoding": "gzip"})
        assert zipped.getheader("Content-Encoding") == "gzip"
        assert gzip.decompress(zipped.read()).decode() == plain
    finally:
        server.stop()


def test_parts_are_served_by_name_and_anything_else_is_refused_saying_which():
    def page(name: str) -> Page:
        return Page(lambda accept: (f"{name}\n".encode(), "text/plain"),
                    lambda accept: (gzip.compress(f"{name} packed\n".encode()), "text/plain"))

    server = _server(parts={name: page(name) for name in ("liveness", "bulk")})
    plain = _server()  # connlog's and the portal's /metrics have no parts
    try:
        assert _get(server, "/metrics?part=liveness").read() == b"liveness\n"
        packed = _get(server, "/metrics?part=liveness", {"Accept-Encoding": "gzip"})  # the part's own gzip body
        assert packed.getheader("Content-Encoding") == "gzip" and gzip.decompress(packed.read()) == b"liveness packed\n"
        assert _get(server, "/metrics?part=bulk").read() == b"bulk\n"
        assert _get(server, "/metrics").read() == BODY  # the whole page, as before
        for query in ("part=nope", "part=", "part=liveness&part=bulk", "part=LIVENESS"):
            response = _get(server, f"/metrics?{query}")
            assert response.status == 400, query
            text = response.read().decode()
            assert "part=liveness, part=bulk" in text and "Scrape contract" in text, query
        refused = _get(plain, "/metrics?part=liveness")
        assert refused.status == 400 and b"has no parts" in refused.read()
    finally:
        server.stop()
        plain.stop()
