"""The SSH poller: configuration backup (class `config`, daily by default) and CLI facts (class `facts`,
hourly) of every device with an `ssh` credential whose profile names a supported `ssh_platform`.

netmiko blocks, so sessions run in this poller's own bounded thread pool (`ssh_pool` threads) beside the
asyncio collector; the scheduler's watchdog and its global concurrency bound apply on top. Each session
is bounded in time on its own (collector.ssh.session), so a hanging device frees its thread.

A backup: output -> volatile lines out (platforms.clean) -> secrets masked (mask.mask) -> the history's
work tree; changed files are committed together `config_batch` seconds after the last of a run.
Every result, failed or not, carries the backup's own samples (last success, last change, failures by
reason): a failed backup must not make the age of the last good one disappear from /metrics.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from collector.errors import CollectorError
from collector.model import DeviceState, DownReason, PollResult, Sample
from collector.poller import PollerOptions
from collector.ssh import facts, session
from collector.ssh.history import History
from collector.ssh.hostkeys import KnownHosts
from collector.ssh.mask import mask
from collector.ssh.platforms import PLATFORMS, clean
from inventory.model import Device, Inventory, SshCredential

log = logging.getLogger(__name__)


def ssh_paths(state_dir: str | Path) -> tuple[Path, Path]:
    """(history repository, pinned host keys) under the state directory."""
    root = Path(state_dir).expanduser()
    return root / "config-history", root / "ssh" / "known_hosts"


def _load_times(path: Path) -> dict[str, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float)} if isinstance(data, dict) else {}


def _save_times(path: Path, times: dict[str, float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(times, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


class SshPoller:
    protocol = "ssh"
    liveness = False  # a backup a day says nothing of the device now
    classes: tuple[str, ...] = ("config", "facts")

    def __init__(self, inventory: Inventory, options: PollerOptions) -> None:
        if not options.state_dir:
            raise CollectorError("SSH collection needs a state directory (state_dir) for its history")
        history_dir, known_hosts = ssh_paths(options.state_dir)
        self.history = History(history_dir)
        self.known = KnownHosts(known_hosts)
        self.timeouts = session.Timeouts(options.ssh_connect_timeout, options.ssh_auth_timeout,
                                         options.ssh_command_timeout, options.ssh_session_timeout)
        self.batch = options.config_batch
        self.max_output = options.ssh_max_output
        self.pool = ThreadPoolExecutor(max_workers=options.ssh_pool, thread_name_prefix="ssh")
        self.last_change: dict[str, float] = self.history.last_changes()
        # Kept across restarts: after one, the age of the last good backup must not vanish for a day.
        self._success_file = known_hosts.parent / "last-success.json"
        self.last_success: dict[str, float] = _load_times(self._success_file)
        self._success_dirty = False
        self.failures: dict[str, dict[str, int]] = {}
        self._pending: set[str] = set()
        self._flush: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task[None]] = set()
        self.inventory = inventory

    def set_inventory(self, inventory: Inventory) -> None:
        self.inventory = inventory

    def wants(self, device: Device) -> bool:
        return isinstance(self.inventory.credentials.get(device.ssh or ""), SshCredential)

    def forget(self, hostname: str) -> None:
        self.last_success.pop(hostname, None)
        self.failures.pop(hostname, None)

    def _target(self, device: Device) -> session.Target:
        cred = self.inventory.credentials[device.ssh or ""]
        assert isinstance(cred, SshCredential)
        profile = self.inventory.profiles.get(device.profile or "")
        name = profile.ssh_platform if profile else None
        platform = PLATFORMS.get(name or "")
        if platform is None:
            raise session.SessionFailure(DownReason.unsupported,
                                         f"SSH platform {name or '(none: no ssh_platform in its profile)'} is not "
                                         f"supported (supported: {', '.join(sorted(PLATFORMS))})")
        password = self.inventory.secret(cred.password).get_secret_value() if cred.password else None
        return session.Target(device.hostname, str(device.address), device.ssh_port, cred.username, password,
                              cred.key_file, platform)

    def _backup_samples(self, hostname: str, now: float, size: int | None = None) -> list[Sample]:
        out = [Sample("thdmon_config_backup_failures_total", (("reason", reason),), float(n), now)
               for reason, n in sorted(self.failures.get(hostname, {}).items())]
        if hostname in self.last_success:
            out.append(Sample("thdmon_config_backup_last_success_timestamp_seconds", (),
                              self.last_success[hostname], now))
        if hostname in self.last_change:
            out.append(Sample("thdmon_config_last_change_timestamp_seconds", (), self.last_change[hostname], now))
        if size is not None:
            out.append(Sample("thdmon_config_size_bytes", (), float(size), now))
        return out

    async def poll(self, device: Device, cls: str | None) -> PollResult:
        """One class (`config`, `facts`), or both in one session (None: `thdmon collect --once`)."""
        started = time.monotonic()
        state = DeviceState(device=device.hostname)
        samples: list[Sample] = []
        backup = cls in (None, "config")
        try:
            target = self._target(device)
            commands = ([target.platform.backup] if backup else []) + (
                [target.platform.version.command] if cls in (None, "facts") else [])
            outputs, pinned = await asyncio.get_running_loop().run_in_executor(
                self.pool, session.run, target, commands, self.timeouts, self.known, self.max_output)
            if pinned:
                log.info("event=ssh_host_key_pinned device=%s key=%r", device.hostname,
                         self.known.pinned(device.hostname))
            now = time.time()
            if backup:
                samples += self._store_backup(device.hostname, target, outputs[target.platform.backup], now)
            if cls in (None, "facts"):
                fact = target.platform.version
                found = facts.version_samples(fact, outputs[fact.command], now)
                if not found:
                    state.detail = f"{fact.command}: nothing parsed"
                samples += found
            state.up = True
        except session.SessionFailure as failure:
            state.up, state.reason, state.detail = False, failure.reason, failure.detail
            log.info("event=ssh_failed device=%s class=%s reason=%s detail=%r", device.hostname, cls,
                     failure.reason, failure.detail)
            if backup:
                counts = self.failures.setdefault(device.hostname, {})
                counts[failure.reason] = counts.get(failure.reason, 0) + 1
                samples = self._backup_samples(device.hostname, time.time())
        state.last_poll = time.time()
        state.poll_duration = time.monotonic() - started
        return PollResult(samples=samples, state=state)

    def _store_backup(self, hostname: str, target: session.Target, output: str, now: float) -> list[Sample]:
        text = mask(clean(output, target.platform), target.platform.family)
        if self.history.write(hostname, text):
            self.last_change[hostname] = now
            self._pending.add(hostname)
            log.info("event=config_changed device=%s bytes=%d", hostname, len(text))
        self.last_success[hostname] = now
        self._success_dirty = True
        self._schedule_flush()
        return self._backup_samples(hostname, now, len(text.encode()))

    def _schedule_flush(self) -> None:
        loop = asyncio.get_running_loop()
        if self._flush is not None:
            self._flush.cancel()  # the run goes on: commit once it is over
        self._flush = loop.call_later(self.batch, self._start_flush)

    def _start_flush(self) -> None:
        self._flush = None
        task = asyncio.get_running_loop().create_task(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def flush(self) -> str | None:
        """Commit the pending changes now (one commit); the commit id or None. Save the success times."""
        if self._success_dirty:
            self._success_dirty = False
            await asyncio.to_thread(_save_times, self._success_file, dict(self.last_success))
        pending, self._pending = sorted(self._pending), set()
        if not pending:
            return None
        try:
            commit = await asyncio.to_thread(self.history.commit, pending)
        except CollectorError as exc:
            self._pending.update(pending)  # tried again with the next run
            log.error("event=config_commit_failed devices=%d error=%r", len(pending), str(exc))
            return None
        log.info("event=config_committed devices=%d commit=%s", len(pending), commit)
        return commit

    async def close(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if self._flushing:
            await asyncio.gather(*self._flushing, return_exceptions=True)
        await self.flush()
        self.pool.shutdown(wait=False, cancel_futures=True)
