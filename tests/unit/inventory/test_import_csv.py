import pytest

from inventory import InventoryError, load_inventory
from inventory.import_csv import import_csv, mapping_from_file, mapping_from_options
from thdmon.cli import main

SHEET = (
    "Nom;IP;UAI;Etablissement;Type;Ville;Latitude;Etiquettes\n"
    "sw-col-a-1;10.93.10.1;0930001a;Collège Anatole France;Collège;Bobigny;48,9070;poe, etage1\n"
    "sw-col-a-2;10.93.10.2;0930001a;Collège Anatole France;Collège;Bobigny;48,9070;\n"
    "sw-lyc-b-1;10.93.11.1;0930002b;Lycée Louise Michel;Lycée;Pantin;;\n"
)
MAPPING = """\
columns:
  hostname: Nom
  address: IP
  site.id: UAI
  site.name: Etablissement
  site.kind: Type
  site.commune: Ville
  site.lat: Latitude
  tags: Etiquettes
constants:
  role: access_switch
  snmp_port: "1161"
values:
  site.kind: {Collège: college, Lycée: lycee}
"""


@pytest.fixture
def sheet(tmp_path):
    (tmp_path / "sheet.csv").write_text(SHEET, encoding="utf-8")
    (tmp_path / "mapping.yaml").write_text(MAPPING)
    return tmp_path / "sheet.csv"


def test_round_trip_csv_to_yaml_to_loader(sheet, tmp_path):
    result = import_csv(sheet, mapping_from_file(tmp_path / "mapping.yaml"))
    assert [s.id for s in result.sites] == ["0930001a", "0930002b"]
    assert [d.hostname for d in result.devices] == ["sw-col-a-1", "sw-col-a-2", "sw-lyc-b-1"]
    out = tmp_path / "imported" / "colleges.yaml"
    out.parent.mkdir()
    out.write_text(result.to_yaml())
    inv = load_inventory(out.parent)
    assert list(inv.sites.values()) == result.sites
    assert list(inv.devices.values()) == result.devices
    a1 = inv.devices["sw-col-a-1"]
    assert (str(a1.address), a1.snmp_port, a1.role.value, a1.site, a1.tags) == (
        "10.93.10.1", 1161, "access_switch", "0930001a", ("poe", "etage1"))
    assert inv.sites["0930001a"].lat == 48.907
    assert inv.sites["0930002b"].kind.value == "lycee"


def test_errors_name_file_row_and_column(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("Nom,IP,Role\nsw-1,10.0.0.1,access_switch\nsw-2,10.0.0.999,access_switch\n"
                   "sw-3,10.0.0.3,swich\nsw-1,10.0.0.4,core\nsw-5,10.0.0.1,core\n")
    mapping = mapping_from_options(["hostname=Nom", "address=IP", "role=Role"], ["site=pop-bobigny"])
    with pytest.raises(InventoryError) as exc:
        import_csv(bad, mapping)
    assert [str(p) for p in exc.value.problems] == [
        f"{bad}:3: column 'IP' (address): invalid address '10.0.0.999': not an IPv4 or IPv6 address",
        f"{bad}:4: column 'Role' (role): 'swich' is not one of: core, distribution, access_switch, router, "
        "firewall, wifi_ap, wifi_controller",
        f"{bad}:5: column 'Nom' (hostname): duplicate device hostname 'sw-1': already declared at {bad}:2",
        f"{bad}:6: column 'IP' (address): address 10.0.0.1 port 161 is already used by device 'sw-1' at {bad}:2",
    ]


def test_conflicting_site_rows(tmp_path):
    bad = tmp_path / "sites.csv"
    bad.write_text("Code,Nom,Ville\ns1,Site 1,Bobigny\ns1,Site 1,Pantin\n")
    mapping = mapping_from_options(["site.id=Code", "site.name=Nom", "site.commune=Ville"], ["site.kind=pop"])
    with pytest.raises(InventoryError) as exc:
        import_csv(bad, mapping)
    assert [str(p) for p in exc.value.problems] == [
        f"{bad}:3: column 'Ville' (site.commune): site 's1': 'Pantin' differs from 'Bobigny' on line 2"]


def test_against_an_inventory_checks_references(write_inventory, secrets_file, tmp_path):
    root = write_inventory()
    csv_file = tmp_path / "aps.csv"
    csv_file.write_text("host,ip,site\nap-1,10.93.50.1,parc-sausset\nap-2,10.93.1.1,parc-sauset\n")
    mapping = mapping_from_options(["hostname=host", "address=ip", "site=site"],
                                   ["role=wifi_ap", "snmp=lab-v2c", "radius=lab-v3"])
    with pytest.raises(InventoryError) as exc:
        import_csv(csv_file, mapping, against=root)
    assert [str(p) for p in exc.value.problems] == [
        f"{csv_file}:2: constant radius: credential 'lab-v3' is of type snmp_v3, but radius: needs radius "
        f"(declared at {root}/credentials.yaml:5)",
        f"{csv_file}:3: column 'ip' (address): address 10.93.1.1 port 161 is already used by device "
        f"'sw-col-jean-moulin-1' at {root}/devices.yaml:8",
        f"{csv_file}:3: column 'site' (site): unknown site 'parc-sauset' (did you mean 'parc-sausset'?)",
        f"{csv_file}:3: constant radius: credential 'lab-v3' is of type snmp_v3, but radius: needs radius "
        f"(declared at {root}/credentials.yaml:5)",
    ]


def test_mapping_errors(tmp_path, sheet):
    with pytest.raises(InventoryError) as exc:
        mapping_from_options(["hostnme=Nom", "address"], [])
    assert str(exc.value).splitlines()[1:3] == [
        "  command line: --map 'address': expected FIELD=VALUE",
        "  command line: unknown field 'hostnme' (did you mean 'hostname'?)"]
    mapping = mapping_from_options(["hostname=Nom", "role=access_switch"], [])
    with pytest.raises(InventoryError) as exc:
        import_csv(sheet, mapping)
    assert str(exc.value.problems[0]) == (
        f"{sheet}:1: --map role=access_switch: no column 'access_switch' in the header; columns: Nom, IP, UAI, "
        "Etablissement, Type, Ville, Latitude, Etiquettes (for a constant value use --const role=access_switch)")


def test_cli_import_then_check(sheet, tmp_path, capsys):
    out = tmp_path / "inv" / "imported.yaml"
    out.parent.mkdir()
    assert main(["inventory", "import-csv", str(sheet), "--mapping", str(tmp_path / "mapping.yaml"),
                 "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().err
    assert main(["inventory", "check", "--json", str(out.parent)]) == 0
    assert '"total": 3' in capsys.readouterr().out
    args = ["inventory", "import-csv", str(sheet), "--map", "hostname=Nom", "--map", "address=IP",
            "--map", "site=UAI", "--const", "role=access_switch", "--delimiter", ";", "-o", str(tmp_path / "d.yaml")]
    assert main(args) == 0
    assert "hostname: sw-lyc-b-1" in (tmp_path / "d.yaml").read_text()
