"""The configuration history: a git repository thdmon owns, one file per device, one commit per run.

`<state_dir>/config-history/` is a plain git repository (`git log`, `git diff` work on it as is):
`<hostname>.cfg` holds the device's cleaned, masked configuration. Backups arriving within `batch`
seconds of each other are one run: one commit whose message lists the devices that changed; nothing
is committed when nothing changed. git is run as a subprocess with argument lists (no shell), with the
system and user configuration ignored, so that a hook or an alias of the machine cannot run here.
(dulwich would avoid the subprocess but git is on every machine that runs thdmon and the history must
be readable with it anyway; one code path then.)
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from collector.errors import CollectorError

_HOSTNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0",
        "LC_ALL": "C", "TZ": "UTC"}
_IDENT = ["-c", "user.name=thdmon", "-c", "user.email=thdmon@localhost", "-c", "commit.gpgsign=false",
          "-c", "core.hooksPath=/dev/null"]


@dataclass(frozen=True, slots=True)
class Revision:
    commit: str
    when: float
    subject: str


class History:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()  # one git writer at a time

    def _ensure_repo(self) -> None:
        """Created with the first backup: a collector without SSH devices needs neither it nor git."""
        if not (self.root / ".git").is_dir():
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.git("init", "-q", "-b", "main")

    def _has_commits(self) -> bool:
        return (self.root / ".git").is_dir() and bool(self.git("rev-parse", "--verify", "-q", "HEAD",
                                                               check=False).strip())

    def git(self, *args: str, check: bool = True) -> str:
        env = {**os.environ, **_ENV}
        done = subprocess.run(["git", "-c", f"safe.directory={self.root}", *_IDENT, *args], cwd=self.root, env=env,
                              capture_output=True, text=True, check=False)
        if check and done.returncode != 0:
            raise CollectorError(f"git {args[0]} in {self.root}: {done.stderr.strip()[:300]}")
        return done.stdout

    @staticmethod
    def file_of(hostname: str) -> str:
        # The inventory's hostname rule: a name typed on the command line never reaches git as a path
        # outside the repository or as an option.
        if not _HOSTNAME.fullmatch(hostname):
            raise CollectorError(f"{hostname!r} is not a device hostname")
        return f"{hostname}.cfg"

    def stored(self, hostname: str) -> str | None:
        try:
            return (self.root / self.file_of(hostname)).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write(self, hostname: str, text: str) -> bool:
        """Put a device's configuration in the work tree; True if it differs from what is there."""
        if self.stored(hostname) == text:
            return False
        self._ensure_repo()
        path = self.root / self.file_of(hostname)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        return True

    def commit(self, hostnames: list[str], when: float | None = None) -> str | None:
        """One commit of these devices' files (those that changed); its id, or None if nothing changed."""
        with self._lock:
            files = [self.file_of(h) for h in sorted(set(hostnames))]
            if not files:
                return None
            self.git("add", "--", *files)
            changed = [line for line in self.git("diff", "--cached", "--name-only", "--", *files).splitlines() if line]
            if not changed:
                return None
            names = [f.removesuffix(".cfg") for f in changed]
            subject = (f"{names[0]}: configuration changed" if len(names) == 1
                       else f"{len(names)} devices: configuration changed")
            body = "\n".join(f"- {n}" for n in names)
            env_when = [] if when is None else ["--date", f"@{int(when)}"]
            self.git("commit", "-q", *env_when, "-m", subject, "-m", body, "--", *changed)
            return self.git("rev-parse", "HEAD").strip()

    def last_changes(self) -> dict[str, float]:
        """hostname -> time of the last commit that changed its file (one pass over the history)."""
        if not self._has_commits():
            return {}
        out: dict[str, float] = {}
        when = 0.0
        for line in self.git("log", "--format=@%ct", "--name-only").splitlines():
            if line.startswith("@"):
                when = float(line[1:])
            elif line.endswith(".cfg"):
                out.setdefault(line.removesuffix(".cfg"), when)
        return out

    # -- reading (thdmon config) ------------------------------------------------------------------
    def log(self, hostname: str | None = None, limit: int = 50) -> list[Revision]:
        if not self._has_commits():
            return []
        args = ["log", f"-{limit}", "--format=%H%x09%ct%x09%s"]
        if hostname:
            args += ["--", self.file_of(hostname)]
        revs = []
        for line in self.git(*args).splitlines():
            commit, when, subject = line.split("\t", 2)
            revs.append(Revision(commit, float(when), subject))
        return revs

    def at(self, hostname: str, when: dt.datetime | None = None) -> str | None:
        """The commit holding the device's configuration as it was at `when` (now if None)."""
        args = ["rev-list", "-1"]
        if when is not None:
            args.append(f"--before=@{int(when.timestamp())}")
        if not self._has_commits():
            return None
        out = self.git(*args, "HEAD", "--", self.file_of(hostname)).strip()
        return out or None

    def show(self, hostname: str, when: dt.datetime | None = None) -> str:
        commit = self.at(hostname, when)
        if commit is None:
            raise CollectorError(f"no stored configuration of {hostname}" + (f" at {when.isoformat()}" if when else ""))
        return self.git("show", f"{commit}:{self.file_of(hostname)}")

    def diff(self, hostname: str, since: dt.datetime | None = None) -> str:
        """The change since `since` (the configuration then vs now), else the device's last change."""
        file = self.file_of(hostname)
        head = self.at(hostname)
        if head is None:
            raise CollectorError(f"no stored configuration of {hostname}")
        if since is not None:
            base = self.at(hostname, since)
        else:
            commits = [r.commit for r in self.log(hostname, limit=2)]
            base = commits[1] if len(commits) > 1 else None
        if base is None:  # first version: all of it is the change
            return self.git("show", "--format=", "--no-color", head, "--", file)
        return self.git("diff", "--no-color", base, head, "--", file)
