"""The pages an auditor and an admin use, against the real server and the park day's store."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import zipfile
from zoneinfo import ZoneInfo

from connlog import keys
from connlog.export import verify_export
from connlog.freshness import status
from connlog.store import Store
from tests.integration.portal.harness import ParkDay, Portal, csrf_of

PARIS = ZoneInfo("Europe/Paris")


def _nat_form(day: ParkDay, i: int, token: str) -> tuple[dict[str, str], dict]:
    s = day.truth["sessions"][i]
    at = dt.datetime.fromtimestamp(int(s["start"]) + 30, PARIS).strftime("%Y-%m-%dT%H:%M:%S")
    return {"csrf": token, "kind": "nat", "public_ip": s["public_ip"], "port": str(s["port_end"]), "at": at,
            "requisition": f"REQ-{i}", "reason": "contrôle"}, s


def test_each_search_kind_answers_from_the_store(portal: Portal, day: ParkDay):
    s = day.truth["sessions"][5]
    since = dt.datetime.fromtimestamp(s["start"] - 60, PARIS).strftime("%Y-%m-%dT%H:%M")
    with portal.session("alice") as c:
        token = csrf_of(c)
        form, _ = _nat_form(day, 5, token)
        assert s["client_mac"] in c.post("/recherche", data=form).text
        private = {"csrf": token, "kind": "private", "private_ip": s["private_ip"], "at": form["at"],
                   "requisition": "R", "reason": "x"}
        assert s["client_mac"] in c.post("/recherche", data=private).text
        by_mac = c.post("/recherche", data={"csrf": token, "kind": "mac", "mac": s["client_mac"].upper(),
                                            "since": since, "requisition": "R", "reason": "x"}).text
        assert s["client_mac"] in by_mac and "<td>radius</td>" in by_mac and "Aucune correspondance" not in by_mac
        by_site = c.post("/recherche", data={"csrf": token, "kind": "site", "site": "parc-sausset", "ap": s["ap"],
                                             "since": since, "requisition": "R", "reason": "x"}).text
        assert s["client_mac"] in by_site
        missing = c.post("/recherche", data={"csrf": token, "kind": "nat", "requisition": "", "reason": ""})
        assert missing.status_code == 400 and "obligatoire" in missing.text


def test_the_export_archive_verifies_with_the_public_key_alone(portal: Portal, day: ParkDay, tmp_path):
    with portal.session("alice") as c:
        form, s = _nat_form(day, 8, csrf_of(c))
        r = c.post("/export", data=form)
        assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
        assert r.headers["content-disposition"] == 'attachment; filename="export-REQ-8.zip"'
        pem = c.get("/cle-publique.pem").content
    zipfile.ZipFile(io.BytesIO(r.content)).extractall(tmp_path)
    (tmp_path / "key.pem").write_bytes(pem)
    problems, manifest = verify_export(tmp_path / "export-REQ-8", keys.load_public(tmp_path / "key.pem"))
    assert problems == []
    assert manifest["operator"] == "alice" and manifest["requisition"] == "REQ-8"
    assert manifest["criteria"]["reason"] == "contrôle"
    assert [a["client_mac"] for a in manifest["attributions"]] == [s["client_mac"]]


def test_the_journal_is_filtered_and_exported_as_french_csv(portal: Portal):
    with portal.session("alice") as c:
        form = {"csrf": csrf_of(c), "kind": "user", "user_name": "nobody", "requisition": "=HYPERLINK(\"x\")",
                "reason": "+cmd"}
        c.post("/recherche", data=form)
    with portal.session("root1") as c:
        page = c.get("/journal?action=search&operator=alice")
        assert page.status_code == 200 and "=HYPERLINK" in page.text.replace("&#34;", '"')
        text = c.get("/journal.csv?action=search&operator=alice").text
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
        assert rows[0][:3] == ["numéro", "date (Europe/Paris)", "date (UTC)"]
        assert all(r[3] == "alice" and r[4] == "recherche" for r in rows[1:])
        assert any(r[5] == "'=HYPERLINK(\"x\")" for r in rows[1:])  # a spreadsheet shows it, never runs it
        assert c.get("/journal?since=not-a-day").status_code == 400


def test_admin_manages_accounts_and_each_change_is_journaled(portal: Portal):
    with portal.session("root1") as c:
        token = csrf_of(c, "/comptes")
        r = c.post("/comptes", data={"csrf": token, "action": "create", "name": "carol", "role": "auditor",
                                     "password": "a long enough password"})
        assert r.status_code == 200 and "Compte carol créé." in r.text
        assert "trop court" in c.post("/comptes", data={"csrf": token, "action": "create", "name": "dave",
                                                        "role": "auditor", "password": "short"}).text
        assert "Compte carol désactivé." in c.post("/comptes", data={"csrf": token, "action": "disable",
                                                                     "name": "carol"}).text
        assert "propre compte" in c.post("/comptes", data={"csrf": token, "action": "disable", "name": "root1"}).text
        journal = c.get("/journal?operator=root1").text
        assert "création de compte" in journal and "désactivation de compte" in journal


def test_health_shows_fresh_and_silent_sources(portal: Portal, day: ParkDay):
    with portal.session("alice") as c:
        page = c.get("/sante").text
    assert "ctrl-parc-sausset" in page and "✓ à jour" in page and "Dernier scellement" in page
    assert "sans aucune donnée" not in page  # the one NAS the inventory expects is sending
    store = Store.open(day.db_url)
    try:
        st = status(store, expected=(("radius", "ctrl-parc-jean-moulin"),), now=time.time())
    finally:
        store.close()
    silent = [s for s in st.sources if s.source == "ctrl-parc-jean-moulin"]
    assert silent and silent[0].last_received is None  # expected by the inventory, never heard: shown
    kinds = {s.kind for s in st.sources if s.source == "ctrl-parc-sausset"}
    assert kinds == {"radius", "nat", "dhcp"}
    assert st.sealed_through is None  # the played day is today's: not sealed yet, shown as such
