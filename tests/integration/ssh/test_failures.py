"""Every SSH failure mode of the lab, reported as its reason, at the same time as healthy devices that
are not held up; a changed host key refused (never silently accepted) until an operator trusts it."""

from __future__ import annotations

import asyncio
import time

from click.testing import CliRunner

from collector.model import DownReason
from collector.ssh.poller import SshPoller
from lab.sample.lab_secrets import LAB_SECRETS
from thdmon.cli import cli as thdmon

EXPECTED = {"ssh-auth": DownReason.auth_failure, "ssh-hostkey": DownReason.host_key_changed,
            "ssh-down": DownReason.refused, "ssh-hang": DownReason.timeout, "ssh-slow": DownReason.timeout,
            "ssh-disconnect": DownReason.disconnected, "ssh-flood": DownReason.malformed_response}


async def timed(poller: SshPoller, device, cls: str = "config"):
    started = time.monotonic()
    result = await poller.poll(device, cls)
    return result, time.monotonic() - started


def test_failure_modes_each_with_its_reason_none_stalls_the_others(ssh_lab, tmp_path, heal):
    ios, cx = ssh_lab.by_profile["cisco-iosxe"], ssh_lab.by_profile["aruba-cx"]
    failing = dict(zip(EXPECTED, [ios[0], cx[0], ios[1], cx[1], ios[2], cx[2], cx[4]], strict=True))
    pagers = [ios[3], cx[3], ssh_lab.by_profile["fortigate"][0]]  # one of each platform
    healthy = [h for h in ssh_lab.state["ssh_devices"] if h not in failing.values()]
    every = sorted(ssh_lab.state["ssh_devices"])

    async def scenario():
        poller = ssh_lab.poller(tmp_path, config_batch=600.0)
        first = await asyncio.gather(*(poller.poll(d, "config") for d in ssh_lab.devices(*every)))
        assert all(r.state.up for r in first)  # host keys pinned, a reference backup of each
        before = {h: poller.history.stored(h) for h in every}
        for mode, hostname in failing.items():
            ssh_lab.lab.fail(hostname, mode, delay=2.0)
        for hostname in pagers:
            ssh_lab.lab.fail(hostname, "ssh-pager")
        results = await asyncio.gather(*(timed(poller, d) for d in ssh_lab.devices(*every)))
        await poller.close()
        return poller, before, dict(zip(every, results, strict=True))

    poller, before, results = asyncio.run(scenario())
    for mode, hostname in failing.items():
        state = results[hostname][0].state
        assert not state.up and state.reason == EXPECTED[mode], (mode, state)
        assert LAB_SECRETS["lab_ssh_password"] not in state.detail
        samples = {s.metric: s for s in results[hostname][0].samples}
        # the last good backup's age stays visible; the failure is counted by reason
        assert "thdmon_config_backup_last_success_timestamp_seconds" in samples
        fails = [s for s in results[hostname][0].samples if s.metric == "thdmon_config_backup_failures_total"]
        assert [(dict(s.labels)["reason"], s.value) for s in fails] == [(EXPECTED[mode].value, 1.0)]
        assert poller.history.stored(hostname) == before[hostname]  # a failed backup never touches the file
    # Hang and slow cost their own session bound (8 s here), never the others' time.
    for hostname in healthy:
        result, seconds = results[hostname]
        assert result.state.up and seconds < 4.0, (hostname, result.state, seconds)
    # The pager was answered: the same configuration as without it.
    for hostname in pagers:
        assert poller.history.stored(hostname) == before[hostname], hostname
    assert results[failing["ssh-hang"]][1] < 8.0 + 3.0
    # A cut session and a flood fail as soon as they happen, not at the command timeout (4 s here).
    assert results[failing["ssh-disconnect"]][1] < 3.0 and results[failing["ssh-flood"]][1] < 3.0


def test_changed_host_key_refused_until_trusted(ssh_lab, tmp_path, heal):
    hostname = ssh_lab.by_profile["fortigate"][0]
    device = ssh_lab.inv.devices[hostname]

    def poll_once():
        async def one():
            poller = ssh_lab.poller(tmp_path)
            try:
                return await poller.poll(device, "facts")
            finally:
                await poller.close()
        return asyncio.run(one()).state

    assert poll_once().up  # first use: pinned
    ssh_lab.lab.fail(hostname, "ssh-hostkey")
    for _ in range(2):  # refused every time, not once
        state = poll_once()
        assert not state.up and state.reason == DownReason.host_key_changed and "pinned ssh-ed25519" in state.detail
    ssh_lab.lab.heal(hostname)
    assert poll_once().up  # the pinned key is back
    ssh_lab.lab.fail(hostname, "ssh-hostkey")
    out = CliRunner().invoke(thdmon, ["config", "trust", hostname], env={"THDMON_STATE_DIR": str(tmp_path)})
    assert out.exit_code == 0, out.output
    assert poll_once().up  # the operator accepted the new key: pinned now
    ssh_lab.lab.heal(hostname)
    assert poll_once().reason == DownReason.host_key_changed  # and the old one is now the stranger
