import logging

from connlog.ingest.throttle import ThrottledLog


def test_one_line_per_key_per_interval_then_the_suppressed_count(caplog):
    t = ThrottledLog(logging.getLogger("test.throttle"), interval=3600)
    with caplog.at_level(logging.WARNING, logger="test.throttle"):
        for _ in range(1000):
            t.warning("bad:127.0.0.9", "event=drop from=%s", "127.0.0.9")
        t.warning("other", "event=other")
    assert [r.getMessage() for r in caplog.records] == ["event=drop from=127.0.0.9", "event=other"]
    t.interval = 0
    with caplog.at_level(logging.WARNING, logger="test.throttle"):
        t.warning("bad:127.0.0.9", "event=drop from=%s", "127.0.0.9")
    assert caplog.records[-1].getMessage() == "event=drop from=127.0.0.9 suppressed_since_last=999"
