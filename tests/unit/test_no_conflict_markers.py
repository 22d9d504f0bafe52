"""No merge left half done: a conflict marker in a committed file (docs included) fails the suite."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import ROOT

MARKER = re.compile(rb"^(<{7}|>{7})( |$)", re.M)


def test_no_tracked_file_holds_a_conflict_marker():
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    found = []
    for name in filter(None, files):
        path = ROOT / name.decode()
        if path.is_file() and path.suffix not in (".snmprec", ".png", ".gz"):
            data = path.read_bytes()
            if MARKER.search(data):
                found.append(name.decode())
    assert found == []
