"""The portal's security against the real server (a real process on 127.0.0.1, a real park day in its store).

Routes are enumerated from the application's router, never listed by hand, so a new page is covered
the day it is added.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from connlog import journal
from connlog.store import Store
from portal.app import PAGES
from tests.integration.portal.harness import PASSWORD, ParkDay, Portal, csrf_of, login_token
from tests.peers import free_tcp_port

PARIS = ZoneInfo("Europe/Paris")


def _routes(public: bool | None = None) -> list[tuple[str, str, tuple[str, ...]]]:
    out = []
    for route in PAGES:
        roles, is_public = route.endpoint.portal_access
        if public is None or is_public == public:
            out.extend((method, route.path, roles) for method in sorted(route.methods - {"HEAD"}))
    return out


def test_the_router_has_the_expected_public_routes_only():
    assert sorted((m, p) for m, p, _ in _routes(public=True)) == [("GET", "/connexion"), ("POST", "/connexion")]
    assert len(_routes(public=False)) >= 12


@pytest.mark.parametrize(("method", "path", "roles"), _routes(public=False))
def test_every_route_refuses_anonymous_requests(portal: Portal, method: str, path: str, roles: tuple[str, ...]):
    with portal.client() as c:
        r = c.request(method, path, data={"csrf": "x", "kind": "nat"} if method == "POST" else None)
    if method == "GET":
        assert r.status_code == 303 and r.headers["location"].startswith("/connexion"), (path, r.status_code)
    else:
        assert r.status_code == 403, (path, r.status_code)
    assert "seal" not in r.text and "02:" not in r.text  # no data of any kind in the refusal


def test_a_forged_or_expired_session_cookie_is_anonymous(portal: Portal):
    with portal.client() as c:
        c.cookies.set("thdmon_portal", "forged-token")
        r = c.get("/recherche")
    assert r.status_code == 303


@pytest.mark.parametrize(("method", "path", "roles"), [r for r in _routes(public=False) if "auditor" not in r[2]])
def test_an_auditor_cannot_reach_admin_pages(portal: Portal, method: str, path: str, roles: tuple[str, ...]):
    with portal.session("alice") as c:
        r = c.request(method, path, data={"csrf": csrf_of(c), "action": "create", "name": "mallory",
                                          "role": "admin", "password": PASSWORD} if method == "POST" else None)
        assert r.status_code == 403, (path, r.status_code)
        assert "Accès refusé" in r.text
    assert "mallory" not in subprocess.run([sys.executable, "-m", "thdmon", "portal", "list"],
                                           env=portal.day.env(), capture_output=True, text=True).stdout


@pytest.mark.parametrize(("method", "path", "roles"), [r for r in _routes(public=False) if r[0] == "POST"])
def test_a_form_without_its_csrf_token_is_refused(portal: Portal, method: str, path: str, roles: tuple[str, ...]):
    user = "alice" if "auditor" in roles else "root1"
    with portal.session(user) as c:
        for data in ({}, {"csrf": "not-the-token"}):
            r = c.post(path, data={**data, "kind": "nat", "requisition": "R", "reason": "x"})
            assert r.status_code == 403, (path, data, r.status_code)
            assert "CSRF" in r.text
        assert c.get("/mot-de-passe").status_code == 200  # the session itself is still fine


def test_login_without_its_form_token_is_refused_and_counted(portal: Portal):
    before = portal.metric("csrf")
    with portal.client() as c:
        r = c.post("/connexion", data={"name": "alice", "password": PASSWORD})
    assert r.status_code == 403 and "thdmon_portal=" not in r.headers.get("set-cookie", "")
    assert portal.metric("csrf") == before + 1


def test_session_cookie_flags_on_loopback_http(portal: Portal):
    with portal.client() as c:
        r = c.post("/connexion", data={"name": "alice", "password": PASSWORD, "login_token": login_token(c)})
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith("thdmon_portal=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert r.headers["cache-control"] == "no-store"


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(1))
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp / "portal.crt", tmp / "portal.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_file.chmod(0o600)
    return cert_file, key_file


def test_over_tls_the_session_cookie_is_secure_and_host_bound(day: ParkDay, tmp_path: Path):
    with Portal(day, tls=_self_signed(tmp_path)) as p, p.client() as c:
        assert c.get("/connexion").headers["strict-transport-security"].startswith("max-age=")
        r = c.post("/connexion", data={"name": "alice", "password": PASSWORD, "login_token": login_token(c)})
        assert r.status_code == 303
        cookie = r.headers["set-cookie"].lower()
        assert cookie.startswith("__host-thdmon_portal=")
        assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        assert c.get("/recherche").status_code == 200


def test_beyond_loopback_in_clear_text_the_portal_refuses_to_start(day: ParkDay):
    proc = subprocess.run([sys.executable, "-m", "thdmon", "portal", "serve", "--listen", f"0.0.0.0:{free_tcp_port()}",
                           "--metrics", "off"], env=day.env(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "refusing to listen on 0.0.0.0 in clear text" in proc.stderr and "Traceback" not in proc.stderr


PAYLOADS = ("' OR '1'='1", "1; DROP TABLE connlog_record; --", "\" onmouseover=\"alert(1)",
            "<script>alert('xss')</script>", "<img src=x onerror=alert(1)>", "{{7*7}}", "%00\u202e")
FIELDS_BY_KIND = {"nat": ("public_ip", "port", "at"), "private": ("private_ip", "at"), "mac": ("mac", "since", "until"),
                  "user": ("user_name", "since", "until"), "site": ("site", "ap", "since", "until")}


def _tables(day: ParkDay) -> list[str]:
    with sqlite3.connect(day.db_url.removeprefix("sqlite:///")) as db:
        return sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))


def test_sql_injection_and_xss_payloads_in_every_field_are_harmless(portal: Portal, day: ParkDay):
    tables = _tables(day)
    store = Store.open(day.db_url)
    try:
        records_before = store.last_seq()
        journal_before = len(journal.entries(store))
        sent = 0
        with portal.session("alice") as c:
            token = csrf_of(c)
            for kind, names in FIELDS_BY_KIND.items():
                for payload in PAYLOADS:
                    for name in (*names, "requisition", "reason"):
                        data = {"csrf": token, "kind": kind, "requisition": "REQ", "reason": "test",
                                **dict.fromkeys(names, ""), name: payload}
                        if kind in ("user", "site") and name not in ("user_name", "site"):
                            data["user_name" if kind == "user" else "site"] = payload  # a search that runs
                        r = c.post("/recherche", data=data)
                        assert r.status_code in (200, 400), (kind, name, payload, r.status_code)
                        assert "<script>alert" not in r.text and "<img src=x" not in r.text
                        assert "onmouseover=\"alert" not in r.text
                        if r.status_code == 200:
                            sent += 1
                            assert "Aucune correspondance" in r.text  # a payload matches nothing, and breaks nothing
            r = c.post("/recherche", data={"csrf": token, "kind": "user", "requisition": PAYLOADS[3],
                                           "reason": PAYLOADS[4], "user_name": PAYLOADS[3]})
            assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in r.text
        with portal.session("root1") as admin:
            page = admin.get("/journal")
            assert page.status_code == 200
            assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
            csv_text = admin.get("/journal.csv").text
            assert "\n'=" not in csv_text and ";=" not in csv_text
        assert sent > 0
        assert _tables(day) == tables
        assert store.last_seq() == records_before
        # Each search that ran was journaled with the payload stored as data, literally.
        entries = journal.entries(store)[journal_before:]
        assert sum(e.action == "search" for e in entries) == sent + 1
        assert any(e.criteria.get("user_name") == PAYLOADS[1] for e in entries)
    finally:
        store.close()


def test_brute_force_on_login_is_slowed_and_counted(day: ParkDay):
    with Portal(day, settings={"login_free_failures": "3", "login_failure_delay": "0.2",
                               "login_max_delay_seconds": "60"}) as p, p.client() as c:
        bad, throttled = p.metric("bad_password"), p.metric("throttled")
        statuses, took = [], []
        for i in range(8):
            t0 = time.monotonic()
            r = c.post("/connexion", data={"name": "alice", "password": f"guess-{i}", "login_token": login_token(c)})
            took.append(time.monotonic() - t0)
            statuses.append(r.status_code)
        assert statuses[:3] == [401, 401, 401]
        assert 429 in statuses[3:] and "Trop de tentatives" in r.text and "Retry-After" in r.headers
        assert min(took[:3]) >= 0.2  # every checked failure waits before answering
        # Even the right password is refused while the account is throttled.
        r = c.post("/connexion", data={"name": "alice", "password": PASSWORD, "login_token": login_token(c)})
        assert r.status_code == 429
        assert p.metric("bad_password") >= bad + 3
        assert p.metric("throttled") >= throttled + 1 + statuses.count(429)
        # Another client address is no way round: the account's own count holds.
        other = httpx.Client(base_url=p.url, transport=httpx.HTTPTransport(local_address="127.0.0.2"))
        with other:
            r = other.post("/connexion", data={"name": "alice", "password": PASSWORD,
                                               "login_token": login_token(other)})
            assert r.status_code == 429
        # Nor is spraying many names from one address: the address's own count holds.
        with httpx.Client(base_url=p.url, transport=httpx.HTTPTransport(local_address="127.0.0.3")) as spray:
            codes = [spray.post("/connexion", data={"name": f"user{i}", "password": "x" * 12,
                                                    "login_token": login_token(spray)}).status_code
                     for i in range(6)]
        assert codes[:3] == [401, 401, 401] and 429 in codes[3:]
        store = Store.open(day.db_url)
        try:
            failed = [e for e in journal.entries(store) if e.action == "login_failed" and e.operator == "alice"]
        finally:
            store.close()
        assert len(failed) >= 3 and failed[-1].criteria["outcome"] == "bad_password"


def test_a_disabled_account_loses_its_session_at_once(portal: Portal, day: ParkDay):
    env = day.env()
    subprocess.run([sys.executable, "-m", "thdmon", "portal", "add-user", "bob", "--role", "auditor",
                    "--password-stdin"], input=PASSWORD + "\n", env=env, check=True, capture_output=True, text=True)
    with portal.session("bob") as c:
        assert c.get("/recherche").status_code == 200
        subprocess.run([sys.executable, "-m", "thdmon", "portal", "disable", "bob"], env=env, check=True,
                       capture_output=True)
        assert c.get("/recherche").status_code == 303
        r = c.post("/connexion", data={"name": "bob", "password": PASSWORD, "login_token": login_token(c)})
        assert r.status_code == 401


def test_after_login_only_local_paths_are_followed(portal: Portal):
    with portal.client() as c:
        for target, expected in (("/journal", "/journal"), ("//evil.example/", "/recherche"),
                                 ("https://evil.example/", "/recherche"), ("/\\evil.example", "/recherche")):
            r = c.post("/connexion", data={"name": "alice", "password": PASSWORD, "login_token": login_token(c),
                                           "suite": target})
            assert r.headers["location"] == expected, target


def test_logout_ends_the_session_server_side(portal: Portal):
    with portal.session("alice") as c:
        cookie = dict(c.cookies)
        assert c.post("/deconnexion", data={"csrf": csrf_of(c)}).status_code == 303
    with httpx.Client(base_url=portal.url, cookies=cookie, follow_redirects=False) as replay:
        assert replay.get("/recherche").status_code == 303  # the old cookie opens nothing any more


def test_without_the_stores_sealing_key_the_portal_refuses_to_start(day: ParkDay, tmp_path: Path):
    env = day.env(THDMON_CONNLOG__SIGNING_KEY=str(tmp_path / "elsewhere.key"))
    proc = subprocess.run([sys.executable, "-m", "thdmon", "portal", "serve", "--listen",
                           f"127.0.0.1:{free_tcp_port()}", "--metrics", "off"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2 and "does not exist" in proc.stderr, proc.stderr
    assert not (tmp_path / "elsewhere.key").exists()


def _failed_login_client(day: ParkDay, name: str) -> str:
    store = Store.open(day.db_url)
    try:
        return [e for e in journal.entries(store) if e.operator == name][-1].criteria["client"]
    finally:
        store.close()


def test_forwarded_addresses_are_trusted_behind_a_declared_proxy_only(portal: Portal, day: ParkDay):
    spoofed = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
    with portal.client() as c:  # no proxy declared: a client cannot pick the address it is counted under
        c.post("/connexion", data={"name": "spoofer1", "password": "x" * 12, "login_token": login_token(c)},
               headers=spoofed)
    assert _failed_login_client(day, "spoofer1") == "127.0.0.1"
    with Portal(day, settings={"behind_proxy": "true", "login_failure_delay": "0"}) as p, p.client() as c:
        page = c.get("/connexion", headers=spoofed)
        assert page.headers["set-cookie"].lower().startswith("__host-thdmon_login=")  # TLS at the proxy: Secure
        assert "secure" in page.headers["set-cookie"].lower()
        token = page.text.split('name="login_token" value="')[1].split('"')[0]
        # A Secure cookie goes back over HTTPS only: here the proxy's leg is plain loopback HTTP, so say it.
        r = c.post("/connexion", data={"name": "spoofer2", "password": "x" * 12, "login_token": token},
                   headers={**spoofed, "Cookie": f"__Host-thdmon_login={token}"})
        assert r.status_code == 401
    assert _failed_login_client(day, "spoofer2") == "198.51.100.7"  # nginx's X-Forwarded-For, from loopback


def test_an_oversized_or_unsized_form_is_refused_before_it_is_read(portal: Portal):
    with portal.client() as c:
        big = c.post("/connexion", data={"name": "x", "password": "y" * 100_000, "login_token": login_token(c)})
        assert big.status_code == 413

        def chunks() -> Iterator[bytes]:
            yield b"name=x&password=y"

        assert c.post("/connexion", content=chunks(),
                      headers={"content-type": "application/x-www-form-urlencoded"}).status_code == 413
