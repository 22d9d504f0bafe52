"""The history repository with the real git: one commit per run naming the changed devices, none when
nothing changed, readable with plain git; show/diff/log as `thdmon config` uses them."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time

import pytest

from collector.errors import CollectorError
from collector.ssh.history import History
from tests.conftest import require


@pytest.fixture
def history(tmp_path):
    require(shutil.which("git") is not None, "git is not installed")
    return History(tmp_path / "config-history")


def test_one_commit_per_run_and_none_when_unchanged(history):
    assert history.write("sw1", "hostname sw1\n") and history.write("sw2", "hostname sw2\n")
    first = history.commit(["sw1", "sw2"])
    assert first is not None
    assert not history.write("sw1", "hostname sw1\n")
    assert history.commit(["sw1"]) is None  # nothing changed: nothing committed
    history.write("sw2", "hostname sw2\ninterface 1/1/1\n")
    history.commit(["sw1", "sw2"])
    log = history.log()
    assert [r.subject for r in log] == ["sw2: configuration changed", "2 devices: configuration changed"]
    # plain git reads it
    body = subprocess.run(["git", "-C", str(history.root), "log", "-1", "--format=%B", log[1].commit],
                          capture_output=True, text=True, check=True).stdout
    assert "- sw1\n- sw2" in body
    assert history.last_changes().keys() == {"sw1", "sw2"}


def test_show_at_and_diff_since(history):
    history.write("sw1", "hostname sw1\nvlan 10\n")
    history.commit(["sw1"])
    between = dt.datetime.now(dt.UTC)
    time.sleep(1.1)  # git dates have one-second resolution
    history.write("sw1", "hostname sw1\nvlan 20\n")
    history.commit(["sw1"])
    assert history.show("sw1") == "hostname sw1\nvlan 20\n"
    assert history.show("sw1", between) == "hostname sw1\nvlan 10\n"
    for diff in (history.diff("sw1"), history.diff("sw1", since=between)):
        changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
        assert changed == ["-vlan 10", "+vlan 20"]
    with pytest.raises(CollectorError, match="no stored configuration of sw9"):
        history.show("sw9")
    with pytest.raises(CollectorError):
        history.show("sw1", dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    for hostile in ("../../etc/passwd", "--output=/tmp/x", "sw1.cfg:HEAD"):
        with pytest.raises(CollectorError, match="not a device hostname"):
            history.show(hostile)
