from connlog.quarantine import Quarantine


def test_quarantine_is_bounded_rotates_and_counts(tmp_path):
    dropped: list[int] = []
    q = Quarantine(tmp_path / "q.log", max_bytes=400, backups=2, on_dropped=dropped.append)
    for i in range(40):
        q.add(1781438607.0, "fw-parc", "sshd", f"line {i:02d}\twith tab")
    q.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["q.log", "q.log.1", "q.log.2"]
    assert all(p.stat().st_size <= 400 for p in tmp_path.iterdir())
    kept = sum(len(p.read_text().splitlines()) for p in tmp_path.iterdir())
    assert q.lines == kept
    assert kept + sum(dropped) == 40
    last = (tmp_path / "q.log").read_text().splitlines()[-1]
    assert last == "2026-06-14T12:03:27.000+00:00\tfw-parc\tsshd\tline 39\\twith tab"
    reopened = Quarantine(tmp_path / "q.log", max_bytes=400, backups=2)
    assert reopened.lines == kept
    reopened.close()
