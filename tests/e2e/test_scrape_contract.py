"""The scrape contract (docs/exporter.md): a real Prometheus with the shipped `exporters/prometheus.yml`
scrapes each collector whole, in two parts (the liveness job and the bulk job, each series from exactly
one of them), first one collector, then two shards, from the file_sd that `thdmon inventory export
--format file_sd --group-by collector` writes.

lab (one commune, its PoP and data-centre cores: 9 devices on 2 shards) -> three `thdmon serve`
(1/1, 1/2, 2/2) -> Debian's prometheus. Only the jobs' scrape intervals and timeouts are shortened (2 s /
1.5 s) and their file_sd path pointed at the test's file; the rest is as shipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from inventory import load_inventory
from inventory.shard import devices_of_shard, parse
from lab.inventory_files import chosen_devices
from lab.sample import generate
from lab.subset import sample_inventory, sample_subset, start_serve, stop
from metrics import catalogue
from tests.conftest import ROOT, require
from tests.peers import free_tcp_port, prometheus_query, until
from thdmon.cli import main

pytestmark = pytest.mark.slow

COMMUNE = "Pierrefitte-sur-Seine"  # its 9 devices fall 3 / 6 on two shards
FRAGMENT = ROOT / "exporters" / "prometheus.yml"
BULK, LIVENESS = "thdmon", "thdmon_liveness"  # the jobs, and the part of the page each scrapes


@dataclass
class Chain:
    devices: list[str]
    serves: dict[str, int]  # shard -> /metrics port
    prom_port: int
    collectors_file: Path

    def query(self, expr: str) -> list[dict]:
        return prometheus_query(self.prom_port, expr)

    def point_at(self, shards: list[str]) -> None:
        """Regenerate the collectors' file_sd with the real CLI (Prometheus watches the file)."""
        tmp = self.collectors_file.with_suffix(".tmp")
        args = [a for s in shards for a in ("--collector", f"127.0.0.1:{self.serves[s]}")]
        assert main(["inventory", "export", "--format", "file_sd", "--group-by", "collector", *args,
                     "-o", str(tmp)]) == 0
        tmp.replace(self.collectors_file)


def _fragment(collectors_file: Path) -> str:
    config = yaml.safe_load(FRAGMENT.read_text(encoding="utf-8"))
    assert [job["job_name"] for job in config["scrape_configs"]] == [BULK, LIVENESS]
    for job in config["scrape_configs"]:
        assert job["file_sd_configs"] == [{"files": ["/etc/prometheus/thdmon-collectors.json"]}]
        job.update(scrape_interval="2s", scrape_timeout="1500ms", file_sd_configs=[{"files": [str(collectors_file)]}])
    return yaml.safe_dump(config)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    require(shutil.which("prometheus") is not None, "prometheus not installed (apt-get install prometheus)")
    work = tmp_path_factory.mktemp("scrape")
    inv = sample_inventory()
    with sample_subset(work, inv, chosen_devices(inv, COMMUNE)) as subset:
        devices = subset.devices
        settings = {"THDMON_COLLECTOR__FAST_INTERVAL": "10", "THDMON_COLLECTOR__SLOW_INTERVAL": "20",
                    "THDMON_COLLECTOR__PROTOCOLS": "snmp", "THDMON_COLLECTOR__TIMEOUT": "1"}
        procs = []
        serves = {}
        for shard in ("1/1", "1/2", "2/2"):
            serves[shard] = port = free_tcp_port()
            procs.append(start_serve(work, subset, port, settings, args=["--shard", shard],
                                     log=work / f"serve-{shard.replace('/', 'of')}.log"))
        chain = Chain(devices, serves, free_tcp_port(), work / "collectors.json")
        chain.point_at(["1/1"])
        config = work / "prometheus.yml"
        config.write_text(_fragment(chain.collectors_file), encoding="utf-8")
        with (work / "prometheus.log").open("wb") as out:
            procs.append(subprocess.Popen(
                ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={work / 'tsdb'}",
                 f"--web.listen-address=127.0.0.1:{chain.prom_port}"], stdout=out, stderr=subprocess.STDOUT))
        try:
            yield chain
        finally:
            stop(*procs)


def _all_up(chain: Chain, targets: int) -> list[dict] | None:
    up = chain.query(f'up{{job=~"{BULK}|{LIVENESS}"}} == 1')
    # up or down: the contract is about scraping, not health. Prometheus asks for gzip and gets one gzip
    # member per family and device (exporters/exposition.py): every device here means it read them all.
    devices = chain.query("thdmon_device_up")
    interfaces = chain.query("count by (device) (thdmon_interface_receive_bytes_total)")
    return devices if len(up) == 2 * targets and len(devices) == len(interfaces) == len(chain.devices) else None


def test_one_collector_then_two_shards_keep_each_device_series_whole(chain: Chain):
    inventory = load_inventory(generate.DATA_DIR, check_secrets=False)
    halves = [[h for h in devices_of_shard(inventory, parse(f"{k}/2")) if h in chain.devices] for k in (1, 2)]
    assert all(halves), halves  # both shards poll something
    devices = until("every device exposed through one collector", lambda: _all_up(chain, 1), timeout=60)
    # the device series carry their identity, not the collector's address or shard
    assert all("instance" not in d["metric"] and "shard" not in d["metric"] for d in devices)
    assert {d["metric"]["job"] for d in devices} == {LIVENESS}
    # each family from exactly one job: the liveness ones from the liveness job, the rest from the bulk one
    jobs = {r["metric"]["__name__"]: r["metric"]["job"] for r in chain.query(
        'count by (__name__, job) ({__name__=~"thdmon_.+"})')}
    assert len(chain.query('count by (__name__) ({__name__=~"thdmon_.+"})')) == len(jobs)
    by_job = {job: {n for n, j in jobs.items() if j == job} for job in (BULK, LIVENESS)}
    live = {m.name for m in catalogue.METRICS if m.liveness}
    assert by_job[LIVENESS] == live & set(jobs) >= {"thdmon_device_up", "thdmon_site_state"}
    assert {"thdmon_collector_devices", "thdmon_interface_receive_bytes_total"} <= by_job[BULK]
    own = chain.query("thdmon_collector_devices")
    assert {d["metric"]["instance"] for d in own} == {f"127.0.0.1:{chain.serves['1/1']}"}
    durations = {r["metric"]["job"]: float(r["value"][1]) for r in chain.query("scrape_duration_seconds")}
    assert durations.keys() == {BULK, LIVENESS} and max(durations.values()) < 1.5
    samples = {r["metric"]["job"]: float(r["value"][1]) for r in chain.query("scrape_samples_scraped")}
    assert samples[LIVENESS] < samples[BULK] / 5  # the small page is small

    chain.point_at(["1/2", "2/2"])
    until("two shards scraped", lambda: len(chain.query(f'up{{job=~"{BULK}|{LIVENESS}"}} == 1')) == 4
          and not chain.query(f'up{{instance="127.0.0.1:{chain.serves["1/1"]}"}}'), timeout=60)
    for job in (BULK, LIVENESS):
        assert {u["metric"]["shard"] for u in chain.query(f'up{{job="{job}"}}')} == {"1/2", "2/2"}
    # a fresh sample of every device through its shard, and still one series per device across the move
    until("devices through the shards", lambda: _all_up(chain, 2), timeout=30)
    for device in chain.devices:
        for metric in ("thdmon_device_up", "thdmon_device_uptime_seconds"):  # liveness, bulk
            history = chain.query(f'{metric}{{device="{device}"}}[2m]')
            assert len(history) == 1, (device, [h["metric"] for h in history])
    by_collector = {d["metric"]["instance"]: sum(float(x["value"][1]) for x in chain.query(
        f'thdmon_collector_devices{{instance="{d["metric"]["instance"]}"}}'))
        for d in chain.query(f'up{{job="{BULK}"}}')}
    assert sorted(by_collector.values()) == sorted(float(len(h)) for h in halves)


def test_a_per_device_scrape_is_refused_saying_why(chain: Chain):
    url = f"http://127.0.0.1:{chain.serves['1/1']}/metrics?target=10.93.0.1:161"
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(url, timeout=5)
    assert err.value.code == 400
    assert b"scrape each collector whole" in err.value.read()


def test_the_collectors_file_sd(capsys: pytest.CaptureFixture[str]):
    assert main(["inventory", "export", "--format", "file_sd", "--group-by", "collector",
                 "--collector", "c1.thd.local:9810", "--collector", "c2.thd.local:9810"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"targets": ["c1.thd.local:9810"], "labels": {"shard": "1/2"}},
        {"targets": ["c2.thd.local:9810"], "labels": {"shard": "2/2"}}]
    assert main(["inventory", "export", "--format", "file_sd", "--group-by", "collector", "--shard", "1/2"]) == 2
