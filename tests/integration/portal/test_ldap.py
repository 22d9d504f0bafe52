"""LDAP bind against a real OpenLDAP `slapd` started by the test (Debian's slapd, its own config and
database in a temp directory, on a free loopback port): roles from the directory's groups, wrong
passwords and non-members refused, hostile names escaped, a directory that is down counted."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require
from tests.integration.portal.harness import ParkDay, Portal, login_token
from tests.peers import free_tcp_port, until

SUFFIX = "dc=seinesaintdenis,dc=fr"
PASSWORDS = {"lea": "lea directory password", "marc": "marc directory password", "nina": "nina directory password"}


def _ldif() -> str:
    people = "".join(f"""
dn: uid={uid},ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: {uid}
cn: {uid}
sn: {uid}
userPassword: {password}
""" for uid, password in PASSWORDS.items())
    return f"""dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
o: Departement de la Seine-Saint-Denis
dc: seinesaintdenis

dn: ou=people,{SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{SUFFIX}
objectClass: organizationalUnit
ou: groups
{people}
dn: cn=portail-auditeurs,ou=groups,{SUFFIX}
objectClass: groupOfNames
cn: portail-auditeurs
member: uid=lea,ou=people,{SUFFIX}

dn: cn=portail-admins,ou=groups,{SUFFIX}
objectClass: groupOfNames
cn: portail-admins
member: uid=marc,ou=people,{SUFFIX}
"""


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require(shutil.which("slapd") is not None or Path("/usr/sbin/slapd").is_file(),
            "OpenLDAP slapd is not installed (Debian package slapd)")
    root = tmp_path_factory.mktemp("slapd")
    (root / "db").mkdir()
    conf = root / "slapd.conf"
    conf.write_text(f"""include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {root}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 16777216
suffix "{SUFFIX}"
rootdn "cn=admin,{SUFFIX}"
directory {root}/db
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none
""")
    (root / "data.ldif").write_text(_ldif())
    subprocess.run(["/usr/sbin/slapadd", "-f", str(conf), "-l", str(root / "data.ldif")], check=True,
                   capture_output=True, timeout=60)
    url = f"ldap://127.0.0.1:{free_tcp_port()}"
    proc = subprocess.Popen(["/usr/sbin/slapd", "-f", str(conf), "-h", url + "/", "-d", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def up() -> bool:
        assert proc.poll() is None, proc.communicate()[1]
        return subprocess.run(["ldapwhoami", "-x", "-H", url, "-D", f"uid=lea,ou=people,{SUFFIX}",
                               "-w", PASSWORDS["lea"]], capture_output=True).returncode == 0

    until("slapd answering", up, 30)
    yield url
    proc.send_signal(signal.SIGTERM)
    proc.wait(15)


def _settings(url: str) -> dict[str, str]:
    return {"ldap_url": url, "ldap_user_dn": f"uid={{user}},ou=people,{SUFFIX}",
            "ldap_auditor_group": f"cn=portail-auditeurs,ou=groups,{SUFFIX}",
            "ldap_admin_group": f"cn=portail-admins,ou=groups,{SUFFIX}", "login_failure_delay": "0"}


def _login(p: Portal, name: str, password: str) -> tuple[int, str]:
    with p.client() as c:
        r = c.post("/connexion", data={"name": name, "password": password, "login_token": login_token(c)})
        return r.status_code, r.headers.get("location", "")


def test_directory_accounts_get_their_role_from_their_groups(day: ParkDay, slapd: str):
    with Portal(day, settings=_settings(slapd)) as p:
        assert _login(p, "lea", PASSWORDS["lea"]) == (303, "/recherche")
        assert _login(p, "marc", PASSWORDS["marc"]) == (303, "/journal")
        assert _login(p, "nina", PASSWORDS["nina"])[0] == 401  # in the directory, in no portal group
        assert _login(p, "lea", "not her password")[0] == 401
        assert _login(p, "lea", "")[0] == 401  # an empty password would be an anonymous bind
        assert _login(p, "lea,ou=people", PASSWORDS["lea"])[0] == 401  # the name is escaped into the DN
        assert _login(p, "alice", "correct horse battery staple")[0] == 303  # local accounts still work
        listed = subprocess.run([sys.executable, "-m", "thdmon", "portal", "list"], env=day.env(),
                                capture_output=True, text=True).stdout
        assert "lea\tauditor\tldap\tactive" in listed and "marc\tadmin\tldap\tactive" in listed
        assert p.metric("success") >= 3 and p.metric("bad_password") >= 3
        subprocess.run([sys.executable, "-m", "thdmon", "portal", "disable", "lea"], env=day.env(), check=True,
                       capture_output=True)
        assert _login(p, "lea", PASSWORDS["lea"])[0] == 401  # disabled here wins over the directory


def test_a_directory_that_is_down_is_counted(day: ParkDay):
    settings = _settings(f"ldap://127.0.0.1:{free_tcp_port()}")
    with Portal(day, settings=settings) as p:
        assert _login(p, "someone", "whatever password")[0] == 401
        assert p.metric("directory_error") == 1
