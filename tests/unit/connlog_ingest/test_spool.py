import threading

import pytest

from connlog.errors import ConnlogError
from connlog.record import Kind, Record
from connlog.spool import DiskSpool, decode_line, encode_line


def rec(i: int) -> Record:
    return Record(kind=Kind.dhcp, source="dhcp-parc", received_at=1781438400.0 + i, event_time=1781438400.0 + i,
                  client_mac=f"02:00:00:00:{i // 256:02x}:{i % 256:02x}", private_ip=f"10.20.{i // 256}.{i % 256}",
                  status="lease")


def test_line_roundtrip_and_crc_detects_a_flipped_byte():
    line = encode_line(42, rec(1))
    assert line.startswith(b"42\t{") and line.endswith(b"\n")
    assert decode_line(line) == (42, rec(1))
    flipped = line.replace(b"10.20.0.1", b"10.20.0.7")
    assert decode_line(flipped) is None
    assert decode_line(line[:-1]) is None  # no LF: torn


def test_seq_continues_across_restart_and_read_pages(tmp_path):
    with DiskSpool(tmp_path) as spool:
        assert [spool.append(rec(i)) for i in range(1, 11)] == list(range(1, 11))
        page1 = spool.read(0, 4)
        page2 = spool.read(4, 4)
        page3 = spool.read(8, 4)
        assert [s for s, _ in page1 + page2 + page3] == list(range(1, 11))
        assert page2[0][1] == rec(5)
        assert spool.read(10, 4) == []
    with DiskSpool(tmp_path) as spool:
        assert spool.last_seq == 10
        assert spool.append(rec(11)) == 11
        assert spool.read(9, 100) == [(10, rec(10)), (11, rec(11))]
        assert spool.depth(committed=7) == 4


def test_torn_tail_is_cut_and_counted_and_durable_records_kept(tmp_path):
    with DiskSpool(tmp_path) as spool:
        for i in range(1, 6):
            spool.append(rec(i))
    seg = next(tmp_path.glob("*.seg"))
    whole = encode_line(6, rec(6))
    with open(seg, "ab") as f:
        f.write(whole[: len(whole) // 2])  # the crash happened mid-write: never acknowledged
    with DiskSpool(tmp_path) as spool:
        assert spool.torn_lines == 1
        assert spool.last_seq == 5
        assert spool.append(rec(6)) == 6
        assert [s for s, _ in spool.read(0, 100)] == [1, 2, 3, 4, 5, 6]
    assert seg.read_bytes().endswith(whole)


def test_corrupted_line_in_the_middle_is_skipped_counted_never_truncated(tmp_path):
    with DiskSpool(tmp_path) as spool:
        for i in range(1, 4):
            spool.append(rec(i))
    seg = next(tmp_path.glob("*.seg"))
    data = seg.read_bytes()
    seg.write_bytes(data.replace(b"10.20.0.2", b"10.20.0.9"))
    with DiskSpool(tmp_path) as spool:
        assert spool.corrupt_lines == 1
        assert spool.torn_lines == 0
        assert spool.last_seq == 3
        assert [s for s, _ in spool.read(0, 10)] == [1, 3]
    assert seg.stat().st_size == len(data)


def test_rotation_and_acknowledge_delete_only_fully_acknowledged_segments(tmp_path):
    with DiskSpool(tmp_path, segment_bytes=1000) as spool:
        for i in range(1, 61):
            spool.append(rec(i))
        segments = sorted(tmp_path.glob("*.seg"))
        assert len(segments) > 5
        firsts = [int(p.stem) for p in segments]
        assert firsts[0] == 1 and firsts == sorted(firsts)
        upto = firsts[3] - 1  # everything in the first three segments
        spool.acknowledge(upto)
        assert sorted(int(p.stem) for p in tmp_path.glob("*.seg")) == firsts[3:]
        assert [s for s, _ in spool.read(upto, 1000)] == list(range(upto + 1, 61))
        spool.acknowledge(60)
        assert [p.name for p in tmp_path.glob("*.seg")] == [segments[-1].name]  # the last one stays
    with DiskSpool(tmp_path, segment_bytes=1000) as spool:
        assert spool.append(rec(61)) == 61  # the sequence survives a fully acknowledged spool


def test_concurrent_appends_share_fsyncs(tmp_path):
    with DiskSpool(tmp_path) as spool:
        seqs: list[int] = []
        lock = threading.Lock()

        def worker(base: int) -> None:
            for i in range(50):
                s = spool.append(rec(base + i))
                with lock:
                    seqs.append(s)

        threads = [threading.Thread(target=worker, args=(k * 100,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(seqs) == list(range(1, 401))
        assert spool.fsyncs < 400  # group commit: several appends per fsync
        assert len(spool.read(0, 1000)) == 400


def test_one_process_per_spool_directory(tmp_path):
    with DiskSpool(tmp_path), pytest.raises(ConnlogError, match="in use"):
        DiskSpool(tmp_path)


def test_stray_file_is_a_clear_error(tmp_path):
    (tmp_path / "notes.seg").write_text("x")
    with pytest.raises(ConnlogError, match=r"notes\.seg"):
        DiskSpool(tmp_path)
