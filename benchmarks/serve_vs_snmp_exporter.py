#!/usr/bin/env python3
"""CPU of the whole polling service, `thdmon serve`, against prometheus-snmp-exporter, same devices.

N net-snmp snmpd agents (lab.snmp.snmpd) inside a private network namespace holding ~50 interfaces
(benchmarks/snmp_poll.py's veth pairs: each agent looks like a 48-port access switch). Both services
run at once, over the same wall window, at the same cadence:

  thdmon serve    polls every agent's IF-MIB (ifTable + ifXTable, plus the system group it always
                  reads) every --interval s on its own schedule; /metrics is scraped every --interval s
                  (as Prometheus would, asking for gzip), so rendering and exposition are counted too
  snmp_exporter   module if_mib of benchmarks/snmp_exporter_conf.py (the same two tables); one
                  /snmp?target= scrape per agent every --interval s, each on its own phase, driven
                  here by threads (what Prometheus does, gzip asked for too)

CPU = utime+stime of each process from /proc/<pid>/stat over the window (serve's threads included),
divided by the device-polls of the window (N x window / interval). Medians over --repeats windows.
Memory: serve's VmRSS sampled every 0.25 s while it polls and is scraped (median: a single reading
catches whatever a scrape or a poll holds at that instant, +-1.5 MiB here), and per device the marginal
(RSS with N devices - RSS of a serve polling one of them, started alone first and sampled the same way
over two intervals) / (N - 1), the interpreter's baseline excluded.

Run as root:  .venv/bin/python benchmarks/serve_vs_snmp_exporter.py [--agents 12] [--interval 10]
              [--window 60] [--repeats 3]   (--no-netns: the host's interfaces, fewer of them)
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.snmp_poll import Exporter, proc_cpu, run_in_netns  # noqa: E402
from lab import inventory_files as inv  # noqa: E402
from lab.snmp.snmpd import SnmpdAgent, snmpd_agents  # noqa: E402
from tests.peers import free_tcp_port  # noqa: E402

PROFILE = "bench-if-mib"
CPU_TARGET = 0.35  # serve / snmp_exporter CPU per device-poll (issue 9)
RSS_TARGET_KIB = 250  # serve's RSS per added 50-interface device (issue 9)


def proc_rss(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) * 1024  # type: ignore[union-attr]


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read()


ENCODING = {"Accept-Encoding": "gzip"}  # --plain: {} (both scraped without compression)


def scrape(url: str) -> bytes:
    """GET as Prometheus does (it asks for gzip: scrape_configs' enable_compression defaults to true)."""
    request = urllib.request.Request(url, headers=ENCODING)
    with urllib.request.urlopen(request, timeout=30) as r:
        return r.read()


def write_inventory(root: Path, agents: list[SnmpdAgent]) -> None:
    """One site, one `if_mib`-only profile, one device per agent (all on 127.0.0.1, own ports)."""
    inv.write_inventory(
        root, sites=[inv.site("bench-site", name="Bench site")],
        credentials={"bench-v2c": inv.snmp_v2c("env:THDMON_BENCH_COMMUNITY")},
        profiles={PROFILE: inv.profile(["if_mib"], description="IF-MIB only")},
        devices=[inv.device(f"bench-sw{k:02d}", "bench-site", address=a.host, snmp_port=a.port, profile=PROFILE,
                            snmp="bench-v2c") for k, a in enumerate(agents)])


class Serve:
    def __init__(self, work: Path, agents: list[SnmpdAgent], interval: int, profile: str | None = None,
                 protocols: str = "snmp") -> None:
        write_inventory(work / "inventory", agents)
        self.port = free_tcp_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "THDMON_STATE_DIR": str(work / "state"),
               "THDMON_BENCH_COMMUNITY": agents[0].community,
               # SNMP only by default, like snmp_exporter; --protocols snmp,icmp adds ICMP's cost to serve's
               "THDMON_COLLECTOR__PROTOCOLS": protocols,
               "THDMON_COLLECTOR__FAST_INTERVAL": str(interval),
               # the slow class reads only the system group here: keep it out of the window
               "THDMON_COLLECTOR__SLOW_INTERVAL": "86400"}
        self.log = (work / "serve.log").open("wb")
        # --profile-serve: the whole serve under cProfile (slower; for where the time goes, not the ratio)
        prof = ["-m", "cProfile", "-o", profile] if profile else []
        self.proc = subprocess.Popen([sys.executable, *prof, "-m", "thdmon", "--inventory", str(work / "inventory"),
                                      "serve", "--listen", f"127.0.0.1:{self.port}", "--traps", "off"],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=work)

    def metrics(self) -> str:
        return fetch(f"http://127.0.0.1:{self.port}/metrics").decode()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def series_of(text: str, name: str) -> dict[str, float]:
    """{label text: value} of one metric in a text exposition (enough for our self-metrics)."""
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


@dataclass
class Scraper:
    """Threads that GET each url every `interval` s, url k on phase k/len(urls) of the interval."""

    urls: list[str]
    interval: float
    done: int = 0
    errors: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _loop(self, url: str, phase: float) -> None:
        due = time.monotonic() + phase
        while not self.stop.wait(max(0.0, due - time.monotonic())):
            try:
                scrape(url)
                ok = True
            except OSError:
                ok = False
            with self.lock:
                self.done += ok
                self.errors += not ok
            due += self.interval

    def start(self) -> None:
        for k, url in enumerate(self.urls):
            threading.Thread(target=self._loop, args=(url, k * self.interval / len(self.urls)), daemon=True).start()


def wait_all_up(serve: Serve, devices: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            up = series_of(serve.metrics(), "thdmon_device_up")
        except OSError:
            up = {}
        if len(up) == devices and all(v == 1.0 for v in up.values()):
            return
        time.sleep(0.5)
    raise RuntimeError(f"not every device up in thdmon serve after {timeout:.0f} s (see {serve.log.name})")


def polls_ok(serve: Serve) -> float:
    return sum(v for k, v in series_of(serve.metrics(), "thdmon_collector_polls_total").items() if 'result="ok"' in k)


class RssSampler:
    """VmRSS of a process every `period` s, in a thread, until stopped; the median of the readings."""

    def __init__(self, pid: int, period: float = 0.25) -> None:
        self.readings: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(pid, period), daemon=True)
        self._thread.start()

    def _run(self, pid: int, period: float) -> None:
        while not self._stop.wait(period):
            self.readings.append(proc_rss(pid))

    def median(self) -> int:
        self._stop.set()
        self._thread.join()
        return int(statistics.median(self.readings))


def rss_of_one_device(agents: list[SnmpdAgent], work: Path, interval: int, protocols: str) -> int:
    """Median VmRSS of a serve polling the first agent only, scraped, over two intervals (the baseline)."""
    work.mkdir()
    serve = Serve(work, agents[:1], interval, protocols=protocols)
    try:
        wait_all_up(serve, 1, timeout=3 * interval + 30)
        scraper = Scraper([f"http://127.0.0.1:{serve.port}/metrics"], interval)
        scraper.start()
        time.sleep(interval)  # as the measured serve: at its cruising cadence first
        sampler = RssSampler(serve.proc.pid)
        time.sleep(2 * interval)
        scraper.stop.set()
        return sampler.median()
    finally:
        serve.stop()


def measure(args: argparse.Namespace, agents: list[SnmpdAgent], work: Path) -> int:
    n = len(agents)
    baseline = rss_of_one_device(agents, work / "one", args.interval, args.protocols)
    exp = Exporter(work)
    serve = Serve(work, agents, args.interval, args.profile_serve, args.protocols)
    try:
        wait_all_up(serve, n, timeout=3 * args.interval + 30)
        sample_exp = fetch(f"http://127.0.0.1:{exp.port}/snmp?target={agents[0].endpoint}&module=if_mib").decode()
        exp_series = sum(1 for line in sample_exp.splitlines() if line and not line.startswith("#"))
        page = serve.metrics()
        serve_series = sum(1 for line in page.splitlines() if "bench-sw00" in line)
        exporter = Scraper([f"http://127.0.0.1:{exp.port}/snmp?target={a.endpoint}&module=if_mib" for a in agents],
                           args.interval)
        prometheus = Scraper([f"http://127.0.0.1:{serve.port}/metrics"], args.interval)
        exporter.start()
        prometheus.start()
        time.sleep(args.interval)  # warm-up: both at their cruising cadence
        interfaces = sum(1 for line in sample_exp.splitlines() if line.startswith("ifIndex{"))
        how = "plain" if args.plain else "asking for gzip"
        print(f"{n} snmpd agents, {interfaces} interfaces each; scraped {how}; interval {args.interval} s, "
              f"window {args.window} s x {args.repeats}; series per device: serve {serve_series} (with identity "
              f"labels and liveness lines), snmp_exporter {exp_series}")
        print(f"{'repeat':>6}{'serve ms/dev-poll':>19}{'exporter ms/dev-poll':>22}{'ratio':>8}"
              f"{'serve polls':>13}{'exporter scrapes':>18}")
        ratios, serve_ms, exp_ms = [], [], []
        sampler = RssSampler(serve.proc.pid)
        for k in range(args.repeats):
            c_serve, c_exp, p0, s0 = proc_cpu(serve.proc.pid), exp.cpu(), polls_ok(serve), exporter.done
            time.sleep(args.window)
            d_serve, d_exp = proc_cpu(serve.proc.pid) - c_serve, exp.cpu() - c_exp
            polls, scrapes = polls_ok(serve) - p0, exporter.done - s0
            nominal = n * args.window / args.interval
            serve_ms.append(d_serve / nominal * 1e3)
            exp_ms.append(d_exp / nominal * 1e3)
            ratios.append(serve_ms[-1] / exp_ms[-1])
            print(f"{k + 1:>6}{serve_ms[-1]:>19.2f}{exp_ms[-1]:>22.2f}{ratios[-1]:>8.2f}{polls:>13.0f}{scrapes:>18}")
        exporter.stop.set()
        prometheus.stop.set()
        rss = sampler.median()
        ratio = statistics.median(ratios)
        print(f"\nmedian CPU per device per cycle: serve {statistics.median(serve_ms):.2f} ms, snmp_exporter "
              f"{statistics.median(exp_ms):.2f} ms; ratio serve/exporter {ratio:.2f} -> "
              f"{'MET' if ratio <= CPU_TARGET else 'NOT MET'} (target <= {CPU_TARGET})")
        print(f"serve RSS (median) {rss / 2**20:.1f} MiB ({baseline / 2**20:.1f} MiB with one device): "
              f"{(rss - baseline) / max(n - 1, 1) / 2**10:.0f} KiB per added device (target <= {RSS_TARGET_KIB}); "
              f"snmp_exporter RSS {proc_rss(exp.proc.pid) / 2**20:.1f} MiB; scrape errors: exporter "
              f"{exporter.errors}, serve {prometheus.errors}")
        return 0
    finally:
        serve.stop()
        exp.stop()


def run(args: argparse.Namespace) -> int:
    if args.plain:
        ENCODING.clear()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=False, capture_output=True)
    with tempfile.TemporaryDirectory(prefix="thdmon-bench-serve-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        agents = stack.enter_context(snmpd_agents(args.agents, work / "agents"))
        return measure(args, agents, work)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=12, help="snmpd agents = devices (default 12)")
    parser.add_argument("--interval", type=int, default=10, help="poll and scrape interval, s (default 10)")
    parser.add_argument("--window", type=float, default=60.0, help="measured window, s (default 60)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--protocols", default="snmp", help="serve's collector.protocols (default snmp, as the "
                        "exporter; snmp,icmp counts ICMP probes in serve's CPU too)")
    parser.add_argument("--veth-pairs", type=int, default=24, help="48 interfaces + lo + br0 = 50")
    parser.add_argument("--no-netns", action="store_true", help="use the host's interfaces")
    parser.add_argument("--profile-serve", metavar="FILE", help="run serve under cProfile, stats to FILE")
    parser.add_argument("--plain", action="store_true", help="scrape both without asking for gzip (Prometheus "
                        "asks for it unless a scrape config says enable_compression: false)")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    return run_in_netns(parser.parse_args(), run, __file__, "thdmon-bench-serve")


if __name__ == "__main__":
    sys.exit(main())
