"""Configuration backup against the lab's real sshd (netmiko, OpenSSH, emulated IOS / AOS-CX / FortiOS):
history commits, masking on real sessions, no commit when nothing changed, exactly the lab's change in
the diff, `thdmon config` reading it, facts as samples."""

from __future__ import annotations

import asyncio
import logging
import subprocess

from click.testing import CliRunner

from collector.ssh.poller import SshPoller
from lab.sample.lab_secrets import LAB_SECRETS
from lab.ssh import configs
from thdmon.cli import cli as thdmon


async def poll(poller: SshPoller, devices, cls: str | None):
    return await asyncio.gather(*(poller.poll(d, cls) for d in devices))


def test_backup_history_diff_and_cli(ssh_lab, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)  # what `--debug` shows: still no secret
    names = sorted(ssh_lab.state["ssh_devices"])
    devices = ssh_lab.devices(*names)
    changed = ssh_lab.by_profile["cisco-iosxe"][0]

    async def scenario():
        poller = ssh_lab.poller(tmp_path, config_batch=600.0)  # commits when this test says (flush)
        first = await poll(poller, devices, None)
        c1 = await poller.flush()
        second = await poll(poller, devices, "config")
        c2 = await poller.flush()
        configs.replace(ssh_lab.lab.runtime, changed, " description acces\n", " description salle 12 imprimante\n")
        third = await poll(poller, devices, "config")
        c3 = await poller.flush()
        await poller.close()
        return poller, first, second, third, (c1, c2, c3)

    poller, first, second, third, commits = asyncio.run(scenario())
    for result in first + second + third:
        assert result.state.up, result.state
    keyed = ssh_lab.by_profile["fortigate"][-1]  # authenticated by its key alone
    assert ssh_lab.inv.credentials[ssh_lab.inv.devices[keyed].ssh].password is None  # type: ignore[union-attr]
    assert poller.history.stored(keyed)
    assert commits[0] is not None and commits[1] is None and commits[2] is not None
    history = poller.history
    log = history.log()
    assert [r.subject for r in log] == [f"{changed}: configuration changed",
                                        f"{len(names)} devices: configuration changed"]
    body = subprocess.run(["git", "-C", str(history.root), "show", "-s", "--format=%b", log[1].commit],
                          capture_output=True, text=True, check=True).stdout
    assert body.split() == [w for n in names for w in ("-", n)]

    # Every secret of every device, masked in what was stored (and in the whole repository).
    dump = subprocess.run(["git", "-C", str(history.root), "log", "-p", "--all"], capture_output=True, text=True,
                          check=True).stdout
    for name in names:
        platform = ssh_lab.state["ssh_devices"][name]["platform"]
        for kind, secret in configs.secrets_of(ssh_lab.inv.devices[name], platform).items():
            for piece in secret.split("\n"):  # a PEM key line by line, its markers aside
                assert piece.startswith("-----") or piece not in dump, (name, kind)
    assert LAB_SECRETS["lab_ssh_password"] not in dump
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "thdmon_config" not in logged and "event=config_changed" in logged
    for name in names:
        platform = ssh_lab.state["ssh_devices"][name]["platform"]
        for kind, secret in configs.secrets_of(ssh_lab.inv.devices[name], platform).items():
            assert secret.split("\n")[0] not in logged or secret.startswith("-----"), (name, kind)
    assert LAB_SECRETS["lab_ssh_password"] not in logged

    diff = history.diff(changed)
    lines = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert lines == ["- description acces", "+ description salle 12 imprimante"]

    # Samples: backup freshness and change time; the facts of the first (combined) poll.
    by_metric = {s.metric: s for s in third[names.index(changed)].samples}
    assert by_metric["thdmon_config_last_change_timestamp_seconds"].value >= \
        by_metric["thdmon_config_backup_last_success_timestamp_seconds"].value - 5
    facts = {s.metric: dict(s.labels) for s in first[names.index(changed)].samples}
    assert facts["thdmon_device_software_info"]["os"] == "ios"

    # A restarted collector still knows when each device was last backed up.
    again = ssh_lab.poller(tmp_path)
    assert again.last_success == poller.last_success and set(again.last_change) == set(names)
    asyncio.run(again.close())

    runner = CliRunner()
    env = {"THDMON_STATE_DIR": str(tmp_path)}
    out = runner.invoke(thdmon, ["config", "diff", changed], env=env)
    assert out.exit_code == 0 and "+ description salle 12 imprimante" in out.output
    out = runner.invoke(thdmon, ["config", "log", changed, "--json"], env=env)
    assert out.exit_code == 0 and out.output.count('"commit"') == 2
    out = runner.invoke(thdmon, ["config", "show", changed], env=env)
    assert out.exit_code == 0 and out.output == history.stored(changed)
