"""Real spreadsheets: French Excel's cp1252 `;` CSV, sites by name, models, headers typed without accents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from inventory import InventoryError, load_inventory
from inventory.import_csv import decode, import_csv, mapping_from_options
from lab.sample.generate import DATA_DIR
from thdmon.cli import main

DATA = Path(__file__).parent / "data"
SHEET = DATA / "excel-fr.csv"  # cp1252, ';', CRLF: as French Excel saves "CSV (séparateur : point-virgule)"


def test_the_french_excel_fixture_imports_against_the_sample(tmp_path: Path, capsys):
    assert SHEET.read_bytes().count(b"\r\n") == 5 and "é".encode("cp1252") in SHEET.read_bytes()
    out = tmp_path / "new" / "dir" / "devices.yaml"  # directories that do not exist yet
    rc = main(["inventory", "import-csv", str(SHEET), "--mapping", str(DATA / "excel-fr.mapping.yaml"),
               "--against", str(DATA_DIR), "-o", str(out)])
    assert rc == 0, capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    assert "étage-1" in text
    # loads together with the sample it references
    both = tmp_path / "both"
    both.mkdir()
    for f in DATA_DIR.rglob("*.yaml"):
        dest = both / f.relative_to(DATA_DIR)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(f.read_bytes())
    (both / "imported.yaml").write_text(text, encoding="utf-8")
    inv = load_inventory(both, check_secrets=False)
    sw, renoir, fw = (inv.devices[h] for h in ("sw-col-paul-langevin-9", "sw-lyc-jean-renoir-9",
                                                "fw-lyc-jean-renoir-9"))
    # sites found by their names (whatever the case and accents), models matched to profiles
    assert (sw.site, sw.profile, sw.role.value, sw.tags) == ("col-aubervilliers-paul-langevin", "aruba-cx",
                                                             "access_switch", ("poe", "étage-1"))
    assert (renoir.site, renoir.profile) == ("lyc-aubervilliers-jean-renoir", "cisco-iosxe")
    assert (fw.site, fw.profile, fw.role.value, fw.tags) == ("lyc-aubervilliers-jean-renoir", "fortigate",
                                                             "firewall", ("dmz", "wan"))


@pytest.mark.parametrize(("raw", "expected"), [
    ("Établissement".encode("cp1252"), ("Établissement", "cp1252")),
    ("Établissement".encode(), ("Établissement", "utf-8")),
    (b"\xef\xbb\xbf" + "Établissement".encode(), ("Établissement", "utf-8")),
    ("Établissement".encode("utf-16"), ("Établissement", "utf-16")),
])
def test_encodings_are_detected(raw: bytes, expected: tuple[str, str]):
    assert decode(raw, "auto") == expected


def _problems(csv_path: Path, mapping, against: Path | None = None) -> str:
    with pytest.raises(InventoryError) as err:
        import_csv(csv_path, mapping, against=against)
    return str(err.value)


def test_a_wrong_encoding_says_where_and_what_to_use(tmp_path: Path):
    mapping = mapping_from_options(["hostname=Nom de l'équipement"], ["role=core", "site=x"], encoding="utf-8")
    msg = _problems(SHEET, mapping)
    assert f"{SHEET}:1: cannot read CSV: byte 0xe9 is not utf-8 (French Excel writes cp1252: --encoding cp1252)" in msg
    with pytest.raises(InventoryError, match="unknown encoding 'cp1525' \\(did you mean 'cp1252'\\?\\)"):
        mapping_from_options(["hostname=Nom"], encoding="cp1525")


def test_a_mistyped_column_gets_the_closest_header(tmp_path: Path):
    mapping = mapping_from_options(["hostname=Nom de l'equipement", "address=Adresse", "site=Etablisement"],
                                   ["role=core"])
    msg = _problems(SHEET, mapping)
    assert "no column 'Adresse' in the header (did you mean 'Adresse IP'?)" in msg
    assert "no column 'Etablisement' in the header (did you mean 'Établissement'?)" in msg
    assert "Nom de l'equipement" not in msg  # found without its accent


def test_ambiguous_site_names_and_models_are_errors_on_their_row_and_column(tmp_path: Path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("Nom;IP;Site;Modèle\nsw-1;10.9.9.1;Collège Jean-Jaurès;Aruba CX 6300\n"
                     "sw-2;10.9.9.2;Collège Paul-Langevin;Aruba\nsw-3;10.9.9.3;Collège Paul-Langevin;Nokia 7750\n",
                     encoding="cp1252")
    mapping = mapping_from_options(["hostname=Nom", "address=IP", "site=Site", "model=Modele"], ["role=core"])
    msg = _problems(sheet, mapping, against=DATA_DIR)
    assert f"{sheet}:2: column 'Site' (site): 'Collège Jean-Jaurès' is the name of several sites (" in msg
    assert f"{sheet}:3: column 'Modele' (model): model 'Aruba' matches profiles aruba-cx, aruba-instant" in msg
    assert f"{sheet}:4: column 'Modele' (model): model 'Nokia 7750' matches no profile's name or description" in msg
    with pytest.raises(InventoryError, match=r"map either model .* or profile, not both"):
        mapping_from_options(["hostname=Nom", "model=M", "profile=P"])


def test_an_output_that_cannot_be_written_is_a_clear_error_without_traceback(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = subprocess.run([sys.executable, "-m", "thdmon", "inventory", "import-csv", str(SHEET), "--mapping",
                           str(DATA / "excel-fr.mapping.yaml"), "-o", str(blocker / "sub" / "out.yaml")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"cannot write {blocker / 'sub' / 'out.yaml'}: Not a directory" in proc.stderr
