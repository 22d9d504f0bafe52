#!/usr/bin/env python3
"""Client CPU of one IF-MIB poll: thdmon's gufo and pysnmp engines vs net-snmp and snmp_exporter.

One run, the same agents for everyone: net-snmp snmpd instances on 127.0.0.1 inside a private network
namespace holding ~50 interfaces (veth pairs and a bridge: this kernel has no `dummy` link type), so each
agent looks like a 48-port access switch. Every method walks ifTable + ifXTable of an agent:

  thdmon-gufo / thdmon-pysnmp  in-process engine + decode into catalogue Samples (end to end);
                                CPU = this process's CPU time
  snmpbulkwalk                 net-snmp's C client, one process per table (raw walk, no samples);
                                CPU = getrusage(RUSAGE_CHILDREN)
  snmp_exporter                prometheus-snmp-exporter 0.21 scraped over HTTP (walk + metrics text);
                                CPU = the exporter process's utime+stime from /proc

Phase 1 polls one device at a time, phase 2 polls N devices at once (several snmpd). Medians over
repeats, ratios against snmp_exporter, and an extrapolation to 5,000 devices x 500 varbinds / 60 s.

Run as root:  .venv/bin/python benchmarks/snmp_poll.py [--agents 8] [--devices 32] [--repeats 7]
(--no-netns measures against the host's own interfaces instead).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402

from benchmarks.snmp_exporter_conf import write_exporter_config  # noqa: E402
from collector import loop  # noqa: E402
from collector.snmp.decode import decode  # noqa: E402
from collector.snmp.engine import Varbind  # noqa: E402
from collector.snmp.gufo_engine import GufoEngine  # noqa: E402
from collector.snmp.profile import modules  # noqa: E402
from collector.snmp.pysnmp_engine import PysnmpEngine  # noqa: E402
from collector.snmp.target import Target  # noqa: E402
from lab.snmp.snmpd import SnmpdAgent, snmpd_agents  # noqa: E402
from tests.peers import free_tcp_port  # noqa: E402

MODULE = modules()["if_mib"]
WALK = MODULE.walk  # ifTable, ifXTable
FLEET_DEVICES, FLEET_VARBINDS, FLEET_INTERVAL = 5000, 500, 60.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    name: str
    cpu: list[float] = field(default_factory=list)  # seconds per device-poll, one per repeat
    wall: list[float] = field(default_factory=list)  # seconds per round (phase 2) or per poll (phase 1)
    varbinds: int = 0
    samples: int = 0

    def med(self, values: list[float]) -> float:
        return statistics.median(values) if values else float("nan")


# -- the methods ------------------------------------------------------------------------------------

async def thdmon_poll(engine: GufoEngine | PysnmpEngine, target: Target, samples: bool = True) -> tuple[int, int]:
    varbinds: list[Varbind] = []
    for root in WALK:
        varbinds += await engine.bulk_walk(target, root, max_repetitions=25)
    if not samples:
        return len(varbinds), 0
    result = decode(MODULE, varbinds, time.time())
    return len(varbinds), len(result.samples)


def bench_thdmon(name: str, engine_cls: type, targets: list[Target], repeats: int, batch: int,
                 samples: bool = True) -> Result:
    """`samples=False` stops after the walk: the engine's own share of an end-to-end poll."""
    res = Result(name)

    async def main() -> None:
        engine = engine_cls()
        res.varbinds, res.samples = await thdmon_poll(engine, targets[0], samples)  # warm-up, engine init
        for t in targets:
            await thdmon_poll(engine, t, samples)
        for _ in range(repeats):
            c0, w0 = time.process_time(), time.perf_counter()
            if len(targets) == 1:
                for _ in range(batch):
                    await thdmon_poll(engine, targets[0], samples)
                polls = batch
            else:
                for _ in range(batch):
                    await asyncio.gather(*(thdmon_poll(engine, t, samples) for t in targets))
                polls = batch * len(targets)
            res.cpu.append((time.process_time() - c0) / polls)
            res.wall.append((time.perf_counter() - w0) / batch)
        await engine.close()

    loop.run(main())  # the loop thdmon's collector runs on (uvloop)
    return res


def _netsnmp_cmd(agent: SnmpdAgent, root: str) -> list[str]:
    return ["snmpbulkwalk", "-v2c", "-c", "public", "-On", "-Cr25", "-t5", "-r1", f"{agent.host}:{agent.port}", root]


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def bench_netsnmp(agents: list[SnmpdAgent], repeats: int, batch: int, varbinds: int) -> Result:
    res = Result("snmpbulkwalk", varbinds=varbinds)
    env = {**os.environ, "MIBS": ""}
    for _ in range(repeats):
        c0, w0 = _children_cpu(), time.perf_counter()
        for _ in range(batch):
            procs = [subprocess.Popen(_netsnmp_cmd(a, root), stdout=subprocess.DEVNULL, env=env)
                     for a in agents for root in WALK[:1]]
            for p in procs:
                p.wait()
            procs = [subprocess.Popen(_netsnmp_cmd(a, root), stdout=subprocess.DEVNULL, env=env)
                     for a in agents for root in WALK[1:]]
            for p in procs:
                p.wait()
        res.cpu.append((_children_cpu() - c0) / (batch * len(agents)))
        res.wall.append((time.perf_counter() - w0) / batch)
    return res


def proc_cpu(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Exporter:
    def __init__(self, workdir: Path) -> None:
        conf = workdir / "snmp.yml"
        write_exporter_config(conf)
        self.port = free_tcp_port()
        self.log = (workdir / "exporter.log").open("wb")
        self.proc = subprocess.Popen(
            ["prometheus-snmp-exporter", f"--config.file={conf}", f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 15
        while time.monotonic() < end:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("snmp_exporter did not start")

    def cpu(self) -> float:
        return proc_cpu(self.proc.pid)

    def scrape(self, agent: SnmpdAgent) -> str:
        url = f"http://127.0.0.1:{self.port}/snmp?target={agent.host}:{agent.port}&module=if_mib"
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.read().decode()

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()
        self.log.close()


def bench_exporter(exp: Exporter, agents: list[SnmpdAgent], repeats: int, batch: int, varbinds: int) -> Result:
    res = Result("snmp_exporter", varbinds=varbinds)
    body = exp.scrape(agents[0])
    res.samples = sum(1 for line in body.splitlines() if line and not line.startswith("#"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(agents)) as pool:
        for _ in range(repeats):
            c0, w0 = exp.cpu(), time.perf_counter()
            for _ in range(batch):
                list(pool.map(exp.scrape, agents))
            res.cpu.append((exp.cpu() - c0) / (batch * len(agents)))
            res.wall.append((time.perf_counter() - w0) / batch)
    return res


# -- report -----------------------------------------------------------------------------------------

def report(title: str, results: list[Result], devices: int) -> None:
    ref = next(r for r in results if r.name == "snmp_exporter")
    ref_cpu = ref.med(ref.cpu)
    print(f"\n{title}")
    print(f"{'method':<15}{'varbinds':>9}{'samples':>9}{'CPU ms/poll':>13}{'us/varbind':>12}{'varbinds/CPU-s':>16}"
          f"{'wall ms':>10}{'CPU vs exporter':>17}")
    for r in results:
        cpu = r.med(r.cpu)
        print(f"{r.name:<15}{r.varbinds:>9}{r.samples:>9}{cpu * 1e3:>13.2f}{cpu / r.varbinds * 1e6:>12.2f}"
              f"{r.varbinds / cpu:>16,.0f}{r.med(r.wall) * 1e3:>10.1f}{cpu / ref_cpu:>16.2f}x")
    print(f"(wall ms = one {'poll' if devices == 1 else f'round of {devices} concurrent polls'}; medians of "
          f"{len(ref.cpu)} repeats)")


def extrapolate(results: list[Result]) -> None:
    rate = FLEET_DEVICES * FLEET_VARBINDS / FLEET_INTERVAL
    print(f"\nExtrapolation: {FLEET_DEVICES} devices x {FLEET_VARBINDS} varbinds every {FLEET_INTERVAL:.0f} s "
          f"= {rate:,.0f} varbinds/s (per-varbind CPU of the concurrent phase)")
    for r in results:
        cores = r.med(r.cpu) / r.varbinds * rate
        print(f"  {r.name:<15}{cores:>7.3f} core")


def verdict(single: list[Result], multi: list[Result]) -> None:
    by = {r.name: r for r in single}
    gufo, exp = by["thdmon-gufo"], by["snmp_exporter"]
    ratio = gufo.med(gufo.cpu) / exp.med(exp.cpu)
    walk = by["gufo walk only"]
    walk_ratio = walk.med(walk.cpu) / exp.med(exp.cpu)
    rate = FLEET_DEVICES * FLEET_VARBINDS / FLEET_INTERVAL
    g2, w2 = (next(r for r in multi if r.name == n) for n in ("thdmon-gufo", "gufo walk only"))
    cores, walk_cores = (r.med(r.cpu) / r.varbinds * rate for r in (g2, w2))
    print(f"\nTarget 1: thdmon CPU per device-poll < 0.5 x snmp_exporter: end to end {ratio:.2f}x -> "
          f"{'MET' if ratio < 0.5 else 'NOT MET'}; engine (walk only) {walk_ratio:.2f}x -> "
          f"{'MET' if walk_ratio < 0.5 else 'NOT MET'}")
    print(f"Target 2: 5000 x 500 / 60 s within 0.2 core: end to end {cores:.3f} core -> "
          f"{'MET' if cores < 0.2 else 'NOT MET'}; engine (walk only) {walk_cores:.3f} core -> "
          f"{'MET' if walk_cores < 0.2 else 'NOT MET'}")


# -- main -------------------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=False)
    with tempfile.TemporaryDirectory(prefix="thdmon-bench-") as tmp:
        work = Path(tmp)
        with snmpd_agents(args.agents, work / "agents") as agents:
            exp = Exporter(work)
            try:
                return _measure(args, agents, exp)
            finally:
                exp.stop()


def _target(agent: SnmpdAgent, i: int) -> Target:
    return Target(f"sw{i}", agent.host, agent.port, community=SecretStr("public"), timeout=5.0, retries=1)


def _measure(args: argparse.Namespace, agents: list[SnmpdAgent], exp: Exporter) -> int:
    one = [_target(agents[0], 0)]
    fleet = [_target(agents[i % len(agents)], i) for i in range(args.devices)]
    fleet_agents = [agents[i % len(agents)] for i in range(args.devices)]
    r = args.repeats
    print(f"agents: {len(agents)} snmpd; interfaces per agent: {_if_count(agents[0])}; repeats: {r}")

    single: list[Result] = [bench_thdmon("thdmon-gufo", GufoEngine, one, r, 20)]
    vb = single[0].varbinds
    single += [bench_thdmon("gufo walk only", GufoEngine, one, r, 20, samples=False),
               bench_thdmon("thdmon-pysnmp", PysnmpEngine, one, r, 2),
               bench_netsnmp(agents[:1], r, 10, vb), bench_exporter(exp, agents[:1], r, 10, vb)]
    report("Phase 1: one device at a time (IF-MIB ifTable + ifXTable)", single, 1)

    multi: list[Result] = [bench_thdmon("thdmon-gufo", GufoEngine, fleet, r, 2)]
    multi += [bench_thdmon("gufo walk only", GufoEngine, fleet, r, 2, samples=False),
              bench_thdmon("thdmon-pysnmp", PysnmpEngine, fleet, max(3, r // 2), 1),
              bench_netsnmp(fleet_agents, r, 1, vb), bench_exporter(exp, fleet_agents, r, 1, vb)]
    report(f"Phase 2: {args.devices} devices polled concurrently ({len(agents)} snmpd)", multi, args.devices)
    extrapolate(multi)
    verdict(single, multi)
    return 0


def _if_count(agent: SnmpdAgent) -> int:
    out = subprocess.run(["snmpget", "-v2c", "-c", "public", "-Oqv", f"{agent.host}:{agent.port}",
                          "1.3.6.1.2.1.2.1.0"], capture_output=True, text=True, env={**os.environ, "MIBS": ""})
    return int(out.stdout.strip() or 0)


def make_netns(name: str, pairs: int) -> None:
    subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
    lines = ["link set lo up", "link add br0 type bridge", "link set br0 up"]
    for i in range(pairs):
        lines += [f"link add ge{i}a type veth peer name ge{i}b", f"link set ge{i}a up", f"link set ge{i}b up"]
    subprocess.run(["ip", "-n", name, "-batch", "-"], input="\n".join(lines) + "\n", text=True, check=True,
                   capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=8, help="snmpd instances (default 8)")
    parser.add_argument("--devices", type=int, default=32, help="devices polled at once in phase 2 (default 32)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--veth-pairs", type=int, default=24, help="48 interfaces + lo + br0 = 50")
    parser.add_argument("--no-netns", action="store_true", help="use the host's interfaces")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    return run_in_netns(parser.parse_args(), run, __file__, "thdmon-bench")


def run_in_netns(args: argparse.Namespace, body: Callable[[argparse.Namespace], int], script: str,
                 prefix: str) -> int:
    """Run `body` inside a fresh network namespace (the script re-executed with --inside), else here."""
    if args.inside or args.no_netns:
        return body(args)
    name = f"{prefix}-{os.getpid()}"
    try:
        make_netns(name, args.veth_pairs)
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        print(f"network namespace unavailable ({exc}); measuring against the host's interfaces", file=sys.stderr)
        return body(args)
    try:
        argv = [sys.executable, str(Path(script).resolve()), "--inside", *sys.argv[1:]]
        return subprocess.run(["ip", "netns", "exec", name, *argv], check=False).returncode
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


if __name__ == "__main__":
    sys.exit(main())
