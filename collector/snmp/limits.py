"""How many sockets a poller may keep: the open-files limit, raised to its hard limit.

(The poll concurrency bound and the per-device backoff are the scheduler's, for every protocol:
`collector.limits`.)
"""

from __future__ import annotations

import resource

# Descriptors left for everything else a process opens (HTTP connections, files, the trap socket).
FD_RESERVE = 256
FD_CEILING = 1 << 20


def raise_open_files_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit (capped); the soft limit now.

    systemd starts services with a soft limit of 1024 and a hard one of 524288: a poller keeps one UDP
    socket per device between polls, and a lab serves one endpoint per device.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = FD_CEILING if hard == resource.RLIM_INFINITY else min(hard, FD_CEILING)
    if soft == resource.RLIM_INFINITY:
        return FD_CEILING
    if soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):  # refused (a container's policy): live with the soft limit
            pass
    return soft


def socket_budget(reserve: int = FD_RESERVE) -> int:
    """How many poller sockets may stay open: the raised open-files limit minus `reserve` (at least 64)."""
    return max(64, raise_open_files_limit() - reserve)
