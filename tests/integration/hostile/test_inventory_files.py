"""Hostile and careless inventory files (issue 11): each ends in a clear error naming the file (and the
line where there is one) within bounded time and memory, never a traceback, a hang or a flood of text.

Every case is a real `thdmon inventory check` in a subprocess capped by RLIMIT_AS (tests/bounded.py),
on a copy of a valid inventory plus the hostile file: the rest of the inventory must not matter. Static
inputs live in tests/fixtures/hostile/inventory/; special files (FIFO, device, socket, symlink loop) and
big ones are made here.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from inventory.limits import MAX_TOTAL_BYTES
from tests.bounded import Outcome, thdmon
from tests.unit.inventory.conftest import CREDENTIALS, DEVICES, SECRET_VALUES, SITES, SSH_PASSWORD

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "hostile" / "inventory"
MAX_SECONDS = 10.0  # each case takes 0.3-1.5 s alone on the shared 2-core machine
MAX_RSS_MIB = 200.0  # a valid check peaks at ~60 MiB
MAX_OUTPUT = 20_000  # bytes of error text

# fixture -> (words of the reason, line of the problem or None for a whole-file problem)
STATIC: dict[str, tuple[str, int | None]] = {
    "alias-bomb-519.yaml": ("refused: aliases expand this document by more than 100,000 nodes", 2),
    "alias-bomb-983.yaml": ("refused: aliases expand this document by more than 100,000 nodes", 2),
    "alias-bomb-in-mapping.yaml": ("refused: aliases expand this document by more than 100,000 nodes", 2),
    "alias-recursive.yaml": ("refused: an alias refers to a node that contains it", 3),
    "nesting-40.yaml": ("refused: nested deeper than 32 levels", 3),
    "nesting-5000.yaml": ("YAML syntax error: while increasing flow level, exceeded maximum nesting depth", 2),
    "nul-byte.yaml": ("character #x0000 is not allowed", 7),
    "latin1.yaml": ("not valid UTF-8", 3),
    "binary.yaml": ("not valid UTF-8", 1),
    "date-feb-30.yaml": ("maintenance: should be a valid date or datetime, day value is outside expected range", 7),
    "address-number.yaml": ("address: expected an address such as 10.93.1.1, found a number (10)", 4),
    "address-unspecified.yaml": ("address: 0.0.0.0 is the unspecified address", 4),
    "address-multicast.yaml": ("address: 224.0.0.1 is a multicast address", 4),
    "address-multicast6.yaml": ("address: ff02::1 is a multicast address", 4),
    "address-broadcast.yaml": ("address: 255.255.255.255 is the broadcast address", 4),
    "address-zone.yaml": ("address: fe80::1%eth0: an interface scope (%eth0) depends on the host polling", 4),
    "port-true.yaml": ("snmp_port: expected a number, found a boolean (true)", 7),
    "port-zero.yaml": ("snmp_port: should be greater than or equal to 1", 7),
    "port-65536.yaml": ("ssh_port: should be less than or equal to 65535", 7),
    "interval-true.yaml": ("intervals.fast: expected a number, found a boolean (true)", 7),
    "int-5000-digits.yaml": ("snmp_port: Unable to parse input string as an integer, exceeded maximum size", 3),
    "int-hex-huge.yaml": ("snmp_port: should be a valid integer, unable to parse string as an integer", 3),
    "python-tag.yaml": ("could not determine a constructor for the tag", 2),
    "binary-tag.yaml": ("failed to decode base64 data", 3),
    "multi-document.yaml": ("YAML syntax error", 3),
    "unhashable-key.yaml": ("found an unhashable key", 3),
    "escapes-in-values.yaml": (r"hostname: invalid value 'sw-\x1b[2J\x1b]0;pwned\x07'", 3),
}


def _base(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "inv"
    root.mkdir()
    for name, text in (("sites.yaml", SITES), ("credentials.yaml", CREDENTIALS), ("devices.yaml", DEVICES)):
        (root / name).write_text(text)
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text("".join(f'{k}: "{v}"\n' for k, v in SECRET_VALUES.items()))
    secrets.chmod(0o600)
    return root, secrets


def check(root: Path, secrets: Path, *, as_json: bool = True) -> Outcome:
    args = ["--secrets", str(secrets), "inventory", "check", *(["--json"] if as_json else []), str(root)]
    return thdmon(*args, env={"THDMON_TEST_SSH_PASSWORD": SSH_PASSWORD}, timeout=30)


def assert_bounded_clear_error(outcome: Outcome) -> list[dict[str, object]]:
    """Exit 2 with errors, no traceback, no hang, bounded time, memory and output; the errors as JSON."""
    assert not outcome.hung, f"hang: killed after {outcome.seconds:.1f} s"
    assert not outcome.traceback, outcome.stderr[-3000:]
    assert outcome.returncode == 2, (outcome.returncode, outcome.stdout[-2000:], outcome.stderr[-2000:])
    assert outcome.seconds < MAX_SECONDS, f"{outcome.seconds:.1f} s"
    assert outcome.peak_rss_mib < MAX_RSS_MIB, f"{outcome.peak_rss_mib:.0f} MiB"
    assert len(outcome.stdout) + len(outcome.stderr) < MAX_OUTPUT, len(outcome.stdout) + len(outcome.stderr)
    assert "\x1b" not in outcome.stdout + outcome.stderr  # nothing from the files drives the terminal
    report = json.loads(outcome.stdout)
    assert report["ok"] is False and report["count"] == len(report["errors"]) > 0
    return report["errors"]


def _problem_in(errors: list[dict[str, object]], file: str, words: str) -> dict[str, object]:
    found = [e for e in errors if str(e["file"]).endswith(file or "/inv") and words in f"{e['field']}: {e['reason']}"]
    assert found, json.dumps(errors, indent=1)[:3000]
    return found[0]


@pytest.mark.parametrize("name", sorted(STATIC))
def test_static_hostile_file(tmp_path: Path, name: str) -> None:
    root, secrets = _base(tmp_path)
    (root / name).write_bytes((FIXTURES / name).read_bytes())
    errors = assert_bounded_clear_error(check(root, secrets))
    words, line = STATIC[name]
    assert _problem_in(errors, name, words)["line"] == line
    # The valid rest of the inventory caused nothing: every problem is about the hostile file.
    assert {str(e["file"]) for e in errors} == {str(root / name)}


def test_every_fixture_has_a_case() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(STATIC)


def _fifo(root: Path) -> str:
    os.mkfifo(root / "x.yaml")
    return "x.yaml"


def _dev_zero(root: Path) -> str:
    (root / "zero.yaml").symlink_to("/dev/zero")
    return "zero.yaml"


def _dev_urandom(root: Path) -> str:
    (root / "random.yml").symlink_to("/dev/urandom")
    return "random.yml"


def _socket(root: Path) -> str:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "s.yaml"))
    sock.close()  # the socket file stays
    return "s.yaml"


def _sparse(size: int) -> Callable[[Path], str]:
    def make(root: Path) -> str:
        with (root / "big.yaml").open("wb") as fh:
            fh.truncate(size)
        return "big.yaml" if size <= MAX_TOTAL_BYTES else ""  # beyond the total: about the whole inventory

    return make


def _symlink_loop(root: Path) -> str:
    (root / "a.yaml").symlink_to(root / "b.yaml")
    (root / "b.yaml").symlink_to(root / "a.yaml")
    return "a.yaml"


def _dangling(root: Path) -> str:
    (root / "gone.yaml").symlink_to(root / "nowhere" / "x.yaml")
    return "gone.yaml"


def _long_hostname(root: Path) -> str:
    (root / "long.yaml").write_text("devices:\n  - {hostname: " + "h" * 1_000_000 + ", address: 10.93.9.9, "
                                    "site: nowhere, role: core}\n")
    return "long.yaml"


SPECIAL: dict[str, tuple[Callable[[Path], str], str]] = {
    "fifo": (_fifo, "refused: a FIFO, not a regular file"),
    "symlink to /dev/zero": (_dev_zero, "refused: a character device, not a regular file"),
    "symlink to /dev/urandom": (_dev_urandom, "refused: a character device, not a regular file"),
    "unix socket": (_socket, "cannot read: No such device or address"),
    "5 MB file": (_sparse(5 * 1024 * 1024), "refused: 5,242,880 bytes, larger than the limit of 2,097,152"),
    "50 MB file": (_sparse(50 * 1024 * 1024), "bytes in all, larger than the limit of 8,388,608"),
    "symlink loop": (_symlink_loop, "cannot read: Too many levels of symbolic links"),
    "dangling symlink": (_dangling, "cannot read: No such file or directory"),
    "1 MB hostname": (_long_hostname, "hostname: String should have at most 253 characters"),
}


@pytest.mark.parametrize("case", sorted(SPECIAL))
def test_special_or_big_file(tmp_path: Path, case: str) -> None:
    root, secrets = _base(tmp_path)
    make, words = SPECIAL[case]
    name = make(root)
    errors = assert_bounded_clear_error(check(root, secrets))
    _problem_in(errors, name, words)


def test_a_fifo_as_the_inventory_itself(tmp_path: Path) -> None:
    _, secrets = _base(tmp_path)
    os.mkfifo(tmp_path / "fifo.yaml")
    errors = assert_bounded_clear_error(check(tmp_path / "fifo.yaml", secrets))
    _problem_in(errors, "fifo.yaml", "refused: a FIFO, not a regular file")


def test_a_fifo_as_the_secrets_file(tmp_path: Path) -> None:
    root, _ = _base(tmp_path)
    os.mkfifo(tmp_path / "secrets.fifo")
    errors = assert_bounded_clear_error(check(root, tmp_path / "secrets.fifo"))
    _problem_in(errors, "secrets.fifo", "secrets file is not a regular file")


def test_an_inventory_beyond_the_total_size_is_refused_before_parsing(tmp_path: Path) -> None:
    root, secrets = _base(tmp_path)
    filler = "# " + "x" * 1021 + "\n"  # 1 KiB lines of comment: valid YAML, nothing in it
    for i in range(9):
        (root / f"filler-{i}.yaml").write_text(filler * 1900)
    outcome = check(root, secrets)
    errors = assert_bounded_clear_error(outcome)
    assert len(errors) == 1 and "bytes in all, larger than the limit of 8,388,608" in str(errors[0]["reason"])


def test_an_inventory_of_empty_files_is_refused(tmp_path: Path) -> None:
    root, secrets = _base(tmp_path)
    for name in ("sites.yaml", "devices.yaml", "credentials.yaml"):
        (root / name).write_text("# nothing yet\n")
    errors = assert_bounded_clear_error(check(root, secrets))
    _problem_in(errors, "inv", "no device declared: an inventory without devices is refused")


def test_text_output_escapes_file_names_and_values(tmp_path: Path) -> None:
    """Not JSON: what a person sees. A file named with a screen-clearing sequence and values with
    escapes come out as visible `\\x1b`, one problem per line."""
    root, secrets = _base(tmp_path)
    (root / "\x1b[2J.yaml").write_bytes((FIXTURES / "escapes-in-values.yaml").read_bytes())
    outcome = check(root, secrets, as_json=False)
    assert outcome.returncode == 2 and not outcome.traceback and not outcome.hung
    assert "\x1b" not in outcome.stdout + outcome.stderr
    assert r"'" + str(root) + r"/\x1b[2J.yaml':" in outcome.stderr
    assert r"sw-\x1b[2J" in outcome.stderr


def test_values_from_the_files_are_shown_inert_by_check_and_show(tmp_path: Path) -> None:
    """A commune (free text, valid) with a screen-clearing escape and rich markup: both commands print
    it escaped and literal, never interpreted."""
    root, secrets = _base(tmp_path)
    (root / "sites.yaml").write_text(SITES.replace("commune: Bondy", "commune: Bondy").replace(
        "commune: Aubervilliers", 'commune: "Aubervilliers\\e[2J[red]rouge"'))
    for command in ("check", "show"):
        outcome = thdmon("--secrets", str(secrets), "inventory", command, str(root),
                         env={"THDMON_TEST_SSH_PASSWORD": SSH_PASSWORD, "COLUMNS": "200"})
        assert outcome.returncode == 0 and not outcome.traceback, outcome.stderr
        assert "\x1b" not in outcome.stdout + outcome.stderr
        if command == "show":
            assert r"Aubervilliers\x1b[2J[red]rouge" in outcome.stdout


def _csv_fifo(path: Path) -> None:
    os.mkfifo(path)


def _csv_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _csv_big(path: Path) -> None:
    with path.open("wb") as fh:
        fh.truncate(20 * 1024 * 1024)


def _csv_binary(path: Path) -> None:
    path.write_bytes(b"Nom;IP\n\xff\xfe\x00garbage;10.93.9.9\n")


CSV: dict[str, tuple[Callable[[Path], None], str]] = {
    "fifo": (_csv_fifo, "refused: a FIFO, not a regular file"),
    "symlink to /dev/zero": (_csv_zero, "refused: a character device, not a regular file"),
    "20 MB": (_csv_big, "refused: 20,971,520 bytes, larger than the limit of 8,388,608"),
    # not UTF-8, so read as cp1252 (French Excel): its NUL byte gives it away as binary
    "not UTF-8": (_csv_binary, "sheet.csv:2: cannot read CSV: a NUL character: not a text spreadsheet"),
}


@pytest.mark.parametrize("case", sorted(CSV))
def test_import_csv_refuses_special_big_and_binary_sheets(tmp_path: Path, case: str) -> None:
    make, words = CSV[case]
    sheet = tmp_path / "sheet.csv"
    make(sheet)
    outcome = thdmon("inventory", "import-csv", str(sheet), "--map", "hostname=Nom", "--map", "address=IP",
                     "--const", "site=col-x", "--const", "role=core", "-o", str(tmp_path / "out.yaml"))
    assert not outcome.hung and not outcome.traceback, outcome.stderr[-2000:]
    assert outcome.returncode == 2 and outcome.seconds < MAX_SECONDS and outcome.peak_rss_mib < MAX_RSS_MIB
    assert words in outcome.stderr, outcome.stderr
    assert not (tmp_path / "out.yaml").exists()  # nothing written from a refused sheet


@pytest.mark.parametrize("name", ["alias-bomb-983.yaml", "nesting-5000.yaml", "nul-byte.yaml"])
def test_a_hostile_secrets_file_is_refused_quickly(tmp_path: Path, name: str) -> None:
    root, secrets = _base(tmp_path)
    secrets.write_bytes((FIXTURES / name).read_bytes())
    errors = assert_bounded_clear_error(check(root, secrets))
    assert any(str(e["file"]).endswith("secrets.yaml") for e in errors), errors
