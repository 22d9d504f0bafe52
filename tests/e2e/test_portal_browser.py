"""The auditor portal in a real browser: headless Chromium (Debian's, driven by Selenium through
chromium-driver) against the real `thdmon portal serve` on 127.0.0.1, whose store holds a lab park day
played through the real `thdmon logs serve` listeners.

An auditor logs in with the keyboard, answers a NAT requisition (the generator's true MAC is on the
page), downloads the signed export and the public key and verifies it with `thdmon logs verify-export`;
an admin then finds the login, the search and the export in the journal. axe-core is injected into
every page: no serious or critical violation. Screenshots go to var/test-artefacts/portal/.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import ROOT, require
from tests.integration.portal.harness import PASSWORD, ParkDay, Portal, add_user, park_day

pytestmark = pytest.mark.slow

PARIS = ZoneInfo("Europe/Paris")
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
AXE = ROOT / ".node" / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = ROOT / "var" / "test-artefacts" / "portal"
REQUISITION = "PV-2026-0614-017"


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> ParkDay:
    d = park_day(tmp_path_factory.mktemp("portal-e2e"), clients=40, seed=21)
    add_user(d, "alice", "auditor")
    add_user(d, "root1", "admin")
    return d


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    require(CHROMIUM.is_file() and CHROMEDRIVER.is_file(),
            "Debian's chromium and chromium-driver are not installed (bash scripts/install.sh)")
    require(AXE.is_file(), f"{AXE} is missing (bash scripts/install.sh installs axe-core with npm)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}", "--window-size=1280,1000",
                 "--lang=fr-FR"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield driver
    finally:
        driver.quit()


def axe_check(driver: object, name: str) -> None:
    """Inject axe-core, run the WCAG 2.1 A/AA rules, fail on serious or critical; keep a screenshot."""
    d = driver
    d.execute_script(AXE.read_text())  # type: ignore[attr-defined]
    result = d.execute_async_script(  # type: ignore[attr-defined]
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done(JSON.stringify(r.violations)), e => done(JSON.stringify([{id: 'axe-error', "
        "impact: 'critical', help: String(e), nodes: []}])));")
    bad = [v for v in json.loads(result) if v["impact"] in ("serious", "critical")]
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    height = d.execute_script("return document.documentElement.scrollHeight")  # type: ignore[attr-defined]
    d.set_window_size(1280, min(max(int(height), 700), 3000))  # type: ignore[attr-defined]
    d.save_screenshot(str(ARTEFACTS / f"{name}.png"))  # type: ignore[attr-defined]
    d.set_window_size(1280, 1000)  # type: ignore[attr-defined]
    assert not bad, f"{name}: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])}"
                                            for v in bad)


def wait_for(predicate, what: str, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout} s")


def download(driver: object, suffix: str) -> Path:
    folder: Path = driver.downloads  # type: ignore[attr-defined]
    return wait_for(lambda: next((p for p in folder.iterdir() if p.name.endswith(suffix)), None),
                    f"download of *{suffix}")


def login(driver: object, portal: Portal, name: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(portal.url + "/connexion")  # type: ignore[attr-defined]
    axe_check(driver, "connexion")
    # Keyboard only: the name field has the focus; Tab to the password; Enter submits.
    active = driver.switch_to.active_element  # type: ignore[attr-defined]
    assert active.get_attribute("id") == "name"
    active.send_keys(name, Keys.TAB)
    driver.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)  # type: ignore[attr-defined]
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "form.logout"), "the logged-in page")  # type: ignore[attr-defined]


def test_a_requisition_answered_exported_verified_and_journaled(day: ParkDay, browser: object, tmp_path: Path):
    from selenium.webdriver.common.by import By

    d = browser
    s = day.truth["sessions"][len(day.truth["sessions"]) // 2]
    at = s["start"] + (s["stop"] - s["start"]) / 3
    port = s["port_start"] + 7
    with Portal(day) as portal:
        login(d, portal, "alice")
        d.get(portal.url + "/recherche?type=nat")  # type: ignore[attr-defined]
        axe_check(d, "recherche")
        d.find_element(By.ID, "requisition").send_keys(REQUISITION)  # type: ignore[attr-defined]
        d.find_element(By.ID, "reason").send_keys("Réquisition judiciaire : usurpation d'identité")  # type: ignore[attr-defined]
        d.find_element(By.ID, "f-public_ip").send_keys(s["public_ip"])  # type: ignore[attr-defined]
        d.find_element(By.ID, "f-port").send_keys(str(port))  # type: ignore[attr-defined]
        local = dt.datetime.fromtimestamp(int(at), PARIS).strftime("%Y-%m-%dT%H:%M:%S")
        # datetime-local widgets take keys in the browser's locale order: set the value the widget would hold.
        d.execute_script("arguments[0].value = arguments[1]", d.find_element(By.ID, "f-at"), local)  # type: ignore[attr-defined]
        d.find_element(By.CSS_SELECTOR, "form.card button[type=submit]").click()  # type: ignore[attr-defined]
        wait_for(lambda: "Résultat de la recherche" in d.page_source, "the results page")  # type: ignore[attr-defined]
        chain = d.find_element(By.CSS_SELECTOR, "table.chain").text  # type: ignore[attr-defined]
        assert s["client_mac"] in chain and s["private_ip"] in chain and s["session_id"] in chain
        assert "(UTC)" in chain and "(Paris)" in chain
        axe_check(d, "resultat")

        d.find_element(By.XPATH, "//button[contains(., 'Télécharger l')]").click()  # type: ignore[attr-defined]
        archive = download(d, ".zip")
        d.get(portal.url + "/export/verification")  # type: ignore[attr-defined]
        axe_check(d, "verification")
        d.find_element(By.LINK_TEXT, "télécharger la clé publique (PEM)").click()  # type: ignore[attr-defined]
        key = download(d, ".pem")
        with zipfile.ZipFile(archive) as z:
            z.extractall(tmp_path)
        (folder,) = [p for p in tmp_path.iterdir() if p.is_dir() and p.name.startswith("export-")]
        verified = subprocess.run([sys.executable, "-m", "thdmon", "logs", "verify-export", str(folder),
                                   "--key", str(key)], env=day.env(), capture_output=True, text=True, timeout=60)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "OK" in verified.stdout and REQUISITION in verified.stdout
        manifest = json.loads((folder / "manifest.json").read_text())
        assert [a["client_mac"] for a in manifest["attributions"]] == [s["client_mac"]]

        # Keyboard only: Tab from the top of the page to the form, type, Enter submits.
        from selenium.webdriver.common.keys import Keys

        d.get(portal.url + "/recherche?type=mac")  # type: ignore[attr-defined]
        body = d.find_element(By.TAG_NAME, "body")  # type: ignore[attr-defined]
        body.send_keys(Keys.TAB)
        assert d.switch_to.active_element.text == "Aller au contenu"  # type: ignore[attr-defined]
        for _ in range(40):
            if d.switch_to.active_element.get_attribute("id") == "requisition":  # type: ignore[attr-defined]
                break
            d.switch_to.active_element.send_keys(Keys.TAB)  # type: ignore[attr-defined]
        typed = d.switch_to.active_element  # type: ignore[attr-defined]
        assert typed.get_attribute("id") == "requisition"
        typed.send_keys(REQUISITION, Keys.TAB)
        d.switch_to.active_element.send_keys("Suite de la réquisition", Keys.TAB)  # type: ignore[attr-defined]
        d.switch_to.active_element.send_keys(s["client_mac"], Keys.ENTER)  # type: ignore[attr-defined]
        wait_for(lambda: "Résultat de la recherche" in d.page_source, "the MAC search by keyboard")  # type: ignore[attr-defined]
        assert "Aucune correspondance" not in d.page_source  # type: ignore[attr-defined]

        for path, name in (("/sante", "sante"), ("/donnees-ouvertes?du=2026-06-14&au=2026-06-14", "donnees-ouvertes"),
                           ("/mot-de-passe", "mot-de-passe")):
            d.get(portal.url + path)  # type: ignore[attr-defined]
            axe_check(d, name)
        d.find_element(By.CSS_SELECTOR, "form.logout button").click()  # type: ignore[attr-defined]

        login(d, portal, "root1")
        d.get(portal.url + f"/journal?requisition={REQUISITION}")  # type: ignore[attr-defined]
        rows = [r.text for r in d.find_elements(By.CSS_SELECTOR, "tbody tr")]  # type: ignore[attr-defined]
        assert any("alice" in r and "recherche" in r and "1" in r for r in rows), rows
        assert sum("alice" in r and "recherche" in r for r in rows) == 2, rows  # NAT, then MAC by keyboard
        assert any("alice" in r and "export" in r for r in rows), rows
        assert "usurpation" in d.page_source  # the reason is journaled with the criteria
        assert f"{local.replace('T', ' ')} (Paris)" in d.page_source  # the instant as people read it
        axe_check(d, "journal")
        d.get(portal.url + "/journal?action=login&operator=alice")  # type: ignore[attr-defined]
        assert d.find_elements(By.XPATH, "//tbody/tr[td[5][normalize-space()='connexion']]")  # type: ignore[attr-defined]
        d.get(portal.url + "/comptes")  # type: ignore[attr-defined]
        axe_check(d, "comptes")
    if os.environ.get("THDMON_UPDATE_README_SCREENSHOT"):
        shutil.copy(ARTEFACTS / "resultat.png", ROOT / "docs" / "img" / "portal-requisition.png")
