"""Issue 10, defect 4: every file with personal data is 0600 inside a 0700 directory, whatever the umask."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from connlog.export import export
from connlog.ingest.sources import from_mapping
from connlog.keys import load_or_create
from connlog.search import Criteria
from connlog.store import Store
from tests.integration.connlog_ingest.conftest import SECRET
from tests.integration.connlog_ingest.harness import RunningService, config, wait_until


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def wide_umask():
    old = os.umask(0o000)  # the worst case: everything would be world-readable and writable
    yield
    os.umask(old)


def test_database_wal_spool_quarantine_and_export_are_private(tmp_path: Path, wide_umask) -> None:
    state = tmp_path / "state"
    db = state / "connlog.sqlite"
    url = f"sqlite:///{db}"
    sources = from_mapping({"127.0.0.1": SECRET}, {"127.0.0.1": ("fw", "parc")})
    cfg = config(tmp_path, spool_dir=state / "connlog-spool", quarantine=state / "connlog-quarantine.log")
    with RunningService(cfg, sources, lambda: Store.open(url)) as rs, Store.open(url) as store:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(b"<30>1 - dhcp1 dhcpd - - - DHCPACK on 10.20.1.34 to 02:00:00:00:00:01 via eth1",
                     rs.service.syslog_address)
            s.sendto(b"<30>1 - host sshd - - - Accepted password for admin from 10.0.0.9", rs.service.syslog_address)
        assert wait_until(lambda: store.last_seq() == 1 and rs.service.quarantine.lines == 1)
        out = tmp_path / "exports" / "PV-1"
        export(store, Criteria(mac="02:00:00:00:00:01"), requisition="PV-1", out_dir=out,
               key=load_or_create(tmp_path / "key" / "seal.key"), operator="opj")
        personal = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), state / "connlog-quarantine.log",
                    *(state / "connlog-spool").iterdir(), *out.iterdir()]
        assert Path(f"{db}-wal").exists() and any(p.suffix == ".seg" for p in personal)
        assert {str(p): oct(_mode(p)) for p in personal if _mode(p) != 0o600} == {}
        for d in (state, state / "connlog-spool", out, out.parent):
            assert _mode(d) == 0o700, d


def test_files_left_wide_by_an_older_version_are_tightened(tmp_path: Path) -> None:
    spool, db = tmp_path / "spool", tmp_path / "db" / "connlog.sqlite"
    spool.mkdir(mode=0o755)
    os.chmod(spool, 0o755)
    (spool / "00000000000000000001.seg").write_bytes(b"")
    os.chmod(spool / "00000000000000000001.seg", 0o644)
    db.parent.mkdir()
    Store.open(f"sqlite:///{db}").close()
    os.chmod(db, 0o644)
    Store.open(f"sqlite:///{db}").close()
    assert _mode(db) == 0o600
    from connlog.spool import DiskSpool

    with DiskSpool(spool):
        assert _mode(spool) == 0o700
        assert _mode(spool / "00000000000000000001.seg") == 0o600
