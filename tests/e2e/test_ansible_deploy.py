"""The playbook really run (connection local) for three servers, each rendered into its own temporary root;
every rendered file checked by its own tool; a second run changes nothing; the rendered Prometheus
remote_writes thdmon's series (from the rendered collectors) into a real VictoriaMetrics.

Layout (ansible/README.md, "three servers"): mon-1 collector 1/2, Prometheus, Alertmanager, Grafana,
VictoriaMetrics; mon-2 collector 2/2; mon-3 connection logs, portal, PostgreSQL, its own Prometheus.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, require
from tests.integration.ansible.harness import HOSTS, THDMON, Deployment, prepare, recap
from tests.peers import free_tcp_port, until

pytestmark = pytest.mark.slow

UNITS = {"mon-1": ["thdmon-collector.service", "thdmon-silence-sync.service", "thdmon-silence-sync.timer"],
         "mon-2": ["thdmon-collector.service"],
         "mon-3": ["thdmon-logs.service", "thdmon-portal.service", "thdmon-pg-backup.service",
                   "thdmon-pg-backup.timer"]}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory) -> tuple[Deployment, subprocess.CompletedProcess[str]]:
    d = prepare(tmp_path_factory.mktemp("deploy"))
    run = d.playbook()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    return d, run


def _has(command: str) -> bool:
    out = subprocess.run([str(THDMON), "--help"], capture_output=True, text=True, timeout=60).stdout
    return any(line.strip().startswith(command + " ") for line in out.splitlines())


def test_first_run_renders_every_server_and_leaks_no_secret(deployed):
    d, run = deployed
    counts = recap(run.stdout)
    assert set(counts) == {"localhost", *HOSTS}, run.stdout[-3000:]
    assert all(c["failed"] == 0 and c["unreachable"] == 0 for c in counts.values())
    for value in d.secret_values():
        assert value not in run.stdout and value not in run.stderr, "a vault value reached the output"
    assert (d.root("mon-3") / "etc/thdmon/pgpass").exists()
    assert not (d.root("mon-1") / "etc/thdmon/pgpass").exists()  # no database on that host
    assert not (d.root("mon-2") / "etc/prometheus").exists()     # no Prometheus there


def test_second_run_changes_nothing(deployed):
    d, _ = deployed
    run = d.playbook()
    assert run.returncode == 0, run.stdout[-4000:]
    counts = recap(run.stdout)
    changed = {h: c["changed"] for h, c in counts.items() if c["changed"]}
    assert not changed, "not idempotent: " + "\n".join(
        line for line in run.stdout.splitlines() if line.startswith(("TASK", "changed")))[-4000:]
    for value in d.secret_values():
        assert value not in run.stdout


def test_units_verify_and_are_least_privilege(deployed):
    d, _ = deployed
    for host, units in UNITS.items():
        root = d.root(host)
        (root / "bin").mkdir(exist_ok=True)
        shutil.copy2("/bin/kill", root / "bin/kill")  # the base system's, referenced by ExecReload
        paths = [f"/etc/systemd/system/{u}" for u in units]
        proc = subprocess.run(["systemd-analyze", "verify", "--recursive-errors=no", f"--root={root}", *paths],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and not proc.stderr.strip(), f"{host}: {proc.stderr}"
        for unit in (u for u in units if u.endswith(".service") and "pg-backup" not in u):
            sec = subprocess.run(["systemd-analyze", "security", "--offline=true", f"--root={root}",
                                  "--threshold=25", f"/etc/systemd/system/{unit}"],
                                 capture_output=True, text=True, timeout=120)
            assert sec.returncode == 0, f"{host} {unit} exposure above 2.5: {sec.stdout[-800:]}"
    def settings(host: str, unit: str) -> dict[str, str]:
        lines = (d.root(host) / "etc/systemd/system" / unit).read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    collector = settings("mon-1", "thdmon-collector.service")
    assert collector["CapabilityBoundingSet"] == collector["AmbientCapabilities"] == "CAP_NET_RAW"  # ICMP only
    hardening = (collector["NoNewPrivileges"], collector["ProtectSystem"], collector["PrivateTmp"])
    assert hardening == ("yes", "strict", "yes")
    assert collector["ExecStart"] == "/opt/thdmon/venv/bin/thdmon serve" and collector["User"] == "thdmon"
    rendered = tomllib.loads((d.root("mon-1") / "etc/thdmon/thdmon.toml").read_text())
    assert rendered["collector"]["protocols"] == ["snmp", "icmp", "ssh"]
    sync = settings("mon-1", "thdmon-silence-sync.service")  # the first collector keeps maintenance silences
    assert sync["ExecStart"] == (f"/opt/thdmon/venv/bin/thdmon alerts silence-sync --alertmanager "
                                 f"http://127.0.0.1:{d.ports['alertmanager']}")
    assert sync["CapabilityBoundingSet"] == "" and sync["User"] == "thdmon"
    assert not (d.root("mon-2") / "etc/systemd/system/thdmon-silence-sync.timer").exists()
    logs = settings("mon-3", "thdmon-logs.service")
    assert logs["CapabilityBoundingSet"] == "CAP_NET_BIND_SERVICE"  # syslog on 514
    assert settings("mon-3", "thdmon-portal.service")["CapabilityBoundingSet"] == ""  # nothing at all
    for host in HOSTS:
        assert (d.root(host) / "opt/thdmon/venv/bin/thdmon").exists()


def test_installed_thdmon_loads_the_rendered_settings_inventory_and_secrets(deployed):
    d, _ = deployed
    for host in HOSTS:
        root = d.root(host)
        assert (root / "etc/thdmon/secrets.yaml").stat().st_mode & 0o777 == 0o600
        settings = tomllib.loads((root / "etc/thdmon/thdmon.toml").read_text())
        env = {**os.environ, "THDMON_CONFIG": str(root / "etc/thdmon/thdmon.toml"),
               "THDMON_INVENTORY": str(root / "etc/thdmon/inventory"),
               "THDMON_SECRETS": str(root / "etc/thdmon/secrets.yaml"), "THDMON_STATE_DIR": str(d.base / host)}
        proc = subprocess.run([str(root / "opt/thdmon/venv/bin/thdmon"), "inventory", "check", "--json"], env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"{host}: {proc.stdout} {proc.stderr}"
        assert json.loads(proc.stdout)["ok"] is True
        if host == "mon-3":
            assert settings["connlog"]["db_url"].startswith("postgresql+psycopg://thdmon@127.0.0.1:")
            # facing the parks and the legal officer (their networks are declared), the portal with TLS
            assert settings["connlog"]["radius_listen"] == f"127.0.0.3:{d.ports['radius']}"
            assert settings["portal"]["listen"] == f"127.0.0.3:{d.ports['portal']}"
            assert settings["portal"]["tls_cert"] == "/etc/thdmon/tls/portal.pem"
            assert settings["portal"]["metrics_listen"].startswith("127.0.0.1:")
            assert d.vault["vault_postgresql_password"] not in (root / "etc/thdmon/thdmon.toml").read_text()
    one, two = (tomllib.loads((d.root(h) / "etc/thdmon/thdmon.toml").read_text())["collector"]
                for h in ("mon-1", "mon-2"))
    assert (one["shard"], two["shard"]) == ("1/2", "2/2")
    assert two["trap_listen"] == f"127.0.0.2:{d.ports['trap']}"  # deploy_device_networks send traps
    # mon-1's Prometheus scrapes both collectors: mon-2 binds its address (with basic auth), mon-1 too
    assert two["listen"] == f"127.0.0.2:{d.ports['collector']}" and two["auth_user"] == "prometheus"


def test_prometheus_configurations_pass_promtool(deployed):
    d, _ = deployed
    for host in ("mon-1", "mon-3"):
        config = d.root(host) / "etc/prometheus/prometheus.yml"
        proc = subprocess.run(["promtool", "check", "config", str(config)], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"{host}: {proc.stdout} {proc.stderr}"
    one = yaml.safe_load((d.root("mon-1") / "etc/prometheus/prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in one["scrape_configs"]}
    # The scrape contract (exporters/prometheus.yml): its two jobs (the bulk and the liveness part of each
    # collector's page), each collector a target of both
    assert sorted(name for name in jobs if name.startswith("thdmon")) == ["thdmon", "thdmon_liveness"]
    shipped = yaml.safe_load((ROOT / "exporters/prometheus.yml").read_text())
    contract = {j["job_name"]: j for j in shipped["scrape_configs"]}
    drop_collector = {"source_labels": ["site"], "regex": ".+", "target_label": "collector", "replacement": ""}
    for name, timing, part in (("thdmon", ("60s", "45s"), "bulk"), ("thdmon_liveness", ("15s", "10s"), "liveness")):
        job = jobs[name]
        assert (job["scrape_interval"], job["scrape_timeout"]) == timing
        assert job["params"] == {"part": [part]} == contract[name]["params"]
        assert job["static_configs"] == [
            {"targets": [f"127.0.0.1:{d.ports['collector']}"], "labels": {"collector": "mon-1", "shard": "1/2"}},
            {"targets": [f"127.0.0.2:{d.ports['collector']}"], "labels": {"collector": "mon-2", "shard": "2/2"}}]
        assert job["basic_auth"] == {"username": "prometheus", "password_file": "thdmon.pass"}
        assert job["metric_relabel_configs"] == [*contract[name]["metric_relabel_configs"], drop_collector]
        assert {r["target_label"] for r in job["metric_relabel_configs"]} == {"instance", "shard", "collector"}
    assert "thdmon-logs" not in jobs  # the connection logs are scraped by mon-3's own Prometheus
    icmp = jobs["icmp-mon-2"]  # blackbox_exporter's ICMP over the shard's file_sd targets
    assert icmp["file_sd_configs"] == [{"files": ["thdmon/mon-2.json"], "refresh_interval": "5m"}]
    assert one["remote_write"] == [{"url": f"http://127.0.0.1:{d.ports['victoriametrics']}/api/v1/write"}]
    three = yaml.safe_load((d.root("mon-3") / "etc/prometheus/prometheus.yml").read_text())
    assert {j["job_name"] for j in three["scrape_configs"]} == {"prometheus", "thdmon-logs", "auditor-portal"}
    assert (d.root("mon-1") / "etc/prometheus/thdmon.pass").read_text() == d.vault["vault_metrics_password"]
    assert (d.root("mon-1") / "etc/prometheus/thdmon.pass").stat().st_mode & 0o777 == 0o640
    args = (d.root("mon-1") / "etc/default/prometheus").read_text()
    assert "--storage.tsdb.retention.time=30d" in args


def test_file_sd_per_collector_is_its_shard_of_the_export(deployed):
    d, _ = deployed
    union = []
    for k, host in enumerate(("mon-1", "mon-2"), start=1):
        rendered = json.loads((d.root("mon-1") / f"etc/prometheus/thdmon/{host}.json").read_text())
        proc = subprocess.run([str(THDMON), "--config", "/dev/null", "inventory", "export", "--format", "file_sd",
                               "--no-secrets", "--shard", f"{k}/2", str(d.devices)],
                              capture_output=True, text=True, timeout=120)
        assert rendered == json.loads(proc.stdout)
        union += [g["labels"]["device"] for g in rendered]
    assert sorted(union) == ["rt-pop-bobigny", "sw-col-jean-moulin-1", "sw-lyc-eugene-henaff-1", "wlc-parc-sausset"]


def test_rules_and_alertmanager_pass_promtool_and_amtool(deployed):
    d, run = deployed
    rules = d.root("mon-1") / "etc/prometheus/rules/thdmon-rules.yml"
    if not _has("alerts"):  # a thdmon before `alerts build`: the play says so and deploys the rest
        assert "has no 'alerts' command: no alerts deployed" in run.stdout
        assert not rules.exists() and not (d.root("mon-1") / "etc/prometheus/alertmanager.yml").exists()
        return
    proc = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    am = d.root("mon-1") / "etc/prometheus/alertmanager.yml"
    assert am.stat().st_mode & 0o777 == 0o640
    proc = subprocess.run(["amtool", "check-config", str(am)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    config = yaml.safe_load(am.read_text())
    assert config["global"]["smtp_auth_password_file"] == "/etc/prometheus/alertmanager-smtp.pass"
    smtp = d.root("mon-1") / "etc/prometheus/alertmanager-smtp.pass"
    assert smtp.read_text() == d.vault["vault_alertmanager_smtp_password"] and smtp.stat().st_mode & 0o777 == 0o640
    page = next(r for r in config["receivers"] if r["name"] == "page")
    assert page["webhook_configs"][0]["url"] == d.vault["vault_alertmanager_webhook_urls"]["page"]  # type: ignore[index]
    assert config["global"]["smtp_auth_username"] == "thdmon@thd-ssd.invalid"


def test_grafana_provisioning(deployed):
    d, _ = deployed
    root = d.root("mon-1")
    assert _has("dashboards")  # `thdmon dashboards build` is on main: the play provisions Grafana
    ds = yaml.safe_load((root / "etc/grafana/provisioning/datasources/thdmon.yaml").read_text())
    assert ds["datasources"][0]["url"] == f"http://127.0.0.1:{d.ports['victoriametrics']}"
    provider = yaml.safe_load((root / "etc/grafana/provisioning/dashboards/thdmon.yaml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards/thdmon"
    dashboards = list((root / "var/lib/grafana/dashboards/thdmon").glob("*.json"))
    assert dashboards and all(json.loads(p.read_text())["uid"] for p in dashboards)
    dropin = (root / "etc/systemd/system/grafana-server.service.d/thdmon.conf").read_text()
    assert "GF_SERVER_HTTP_ADDR=127.0.0.1" in dropin and "PASSWORD" not in dropin


def test_firewall_rules_pass_nft_and_open_only_what_is_served(deployed):
    d, _ = deployed
    rules = {}
    for host in HOSTS:
        path = d.root(host) / "etc/nftables.conf"
        proc = subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, f"{host}: {proc.stderr}"
        rules[host] = [line.strip() for line in path.read_text().splitlines() if "dport" in line]
    p = d.ports
    assert rules["mon-2"] == [
        "ip saddr { 10.93.250.0/26 } tcp dport 22 accept comment \"ssh from the administrators\"",
        f"ip saddr {{ 127.0.0.1 }} tcp dport {p['collector']} accept comment \"thdmon serve /metrics to Prometheus\"",
        f"ip saddr {{ 10.93.0.0/16 }} udp dport {p['trap']} accept comment \"SNMP traps from the devices\""]
    three = "\n".join(rules["mon-3"])
    assert f"ip6 saddr {{ 2001:db8:93::/48 }} udp dport {p['radius']}" in three
    assert "tcp dport 514" in three and "udp dport 514" in three
    assert f"ip saddr {{ 10.93.251.16/28 }} tcp dport {p['portal']}" in three
    assert str(p["collector"]) not in three and str(p["postgresql"]) not in three  # its database is local
    one = "\n".join(rules["mon-1"])
    assert f"ip saddr {{ 127.0.0.3 }} tcp dport {p['victoriametrics']}" in one  # mon-3's Prometheus writes there
    assert f"ip saddr {{ 127.0.0.3 }} tcp dport {p['alertmanager']}" in one


def test_backup_script_passes_shellcheck(deployed):
    d, _ = deployed
    require(shutil.which("shellcheck") is not None, "shellcheck missing (apt-get install shellcheck)")
    script = d.root("mon-3") / "usr/local/sbin/thdmon-pg-backup"
    proc = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout


def test_postgresql_config_in_a_real_cluster(deployed, tmp_path_factory):
    """The rendered conf.d and pg_hba.conf in a throwaway cluster: TLS on, thdmon's role logs in with SCRAM
    through the rendered libpq password file and the rendered database URL, and nothing else can."""
    d, _ = deployed
    pg_bin = Path("/usr/lib/postgresql/15/bin")
    require(pg_bin.is_dir() and shutil.which("runuser") is not None, "PostgreSQL 15 server missing")
    base = Path("/tmp") / f"thdmon-ansible-pg-{os.getpid()}"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(mode=0o700)
    shutil.chown(base, "postgres", "postgres")
    run = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    root = d.root("mon-3")
    try:
        subprocess.run([*run, str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "peer"],
                       check=True, capture_output=True, timeout=180)
        (data / "conf.d").mkdir()
        shutil.copy(root / "etc/postgresql/15/main/conf.d/thdmon.conf", data / "conf.d/thdmon.conf")
        shutil.copy(root / "etc/postgresql/15/main/pg_hba.conf", data / "pg_hba.conf")
        with (data / "postgresql.conf").open("a") as f:
            f.write(f"\ninclude_dir = 'conf.d'\nunix_socket_directories = '{base}'\n")
        subprocess.run(["chown", "-R", "postgres:postgres", str(data)], check=True)
        proc = subprocess.run([*run, str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "start"],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (base / "log").read_text()[-2000:]
        port = str(d.ports["postgresql"])
        password = str(d.vault["vault_postgresql_password"]).replace("'", "''")
        sql = f"CREATE ROLE thdmon LOGIN PASSWORD '{password}'; CREATE DATABASE connlog OWNER thdmon;"
        for stmt in sql.split("; "):
            subprocess.run([*run, "psql", "-h", str(base), "-p", port, "-Xqc", stmt], check=True,
                           capture_output=True, timeout=60)
        rules = subprocess.run([*run, "psql", "-h", str(base), "-p", port, "-XtAc",
                                "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL"],
                               capture_output=True, text=True, timeout=60)
        assert rules.stdout.strip() == "0", rules
        pgpass = tmp_path_factory.mktemp("pgpass") / "pgpass"
        shutil.copy(root / "etc/thdmon/pgpass", pgpass)
        pgpass.chmod(0o600)
        url = tomllib.loads((root / "etc/thdmon/thdmon.toml").read_text())["connlog"]["db_url"]
        import psycopg
        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(conninfo, passfile=str(pgpass)) as conn:
            ssl = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
            assert ssl == (True,)  # TLS on, even over loopback with sslmode=prefer
        with pytest.raises(psycopg.OperationalError):  # the role exists only for its database
            psycopg.connect(conninfo.replace("/connlog?", "/postgres?"), passfile=str(pgpass)).close()
    finally:
        subprocess.run([*run, str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def _get(url: str) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return json.load(r)
    except OSError:
        return {}


def _args(path: Path) -> list[str]:
    text = path.read_text()
    line = next(line for line in text.splitlines() if line.startswith("ARGS="))
    return shlex.split(shlex.split(line[len("ARGS="):])[0])


def test_remote_write_to_victoriametrics(deployed, tmp_path):
    """Collectors (installed venv, rendered settings, inventory and secrets) -> the rendered Prometheus
    (basic auth with the vault's password against the rendered hash) -> remote_write -> VictoriaMetrics
    started with its rendered options: thdmon's series of both shards are found there, in one job and without
    the target's labels (the scrape contract's relabelling)."""
    d, _ = deployed
    require(shutil.which("victoria-metrics") is not None, "victoria-metrics missing (apt-get install victoria-metrics)")
    procs: list[subprocess.Popen[bytes]] = []
    root1 = d.root("mon-1")
    try:
        vm_args = [a for a in _args(root1 / "etc/default/victoria-metrics") if not a.startswith("-storageDataPath")]
        assert f"-httpListenAddr=127.0.0.1:{d.ports['victoriametrics']}" in vm_args
        procs.append(subprocess.Popen(["victoria-metrics", *vm_args, f"-storageDataPath={tmp_path / 'vm'}"],
                                      stdout=(tmp_path / "vm.log").open("wb"), stderr=subprocess.STDOUT))
        for host in ("mon-1", "mon-2"):
            root = d.root(host)
            env = {**os.environ, "THDMON_CONFIG": str(root / "etc/thdmon/thdmon.toml"),
                   "THDMON_INVENTORY": str(root / "etc/thdmon/inventory"),
                   "THDMON_SECRETS": str(root / "etc/thdmon/secrets.yaml"),
                   "THDMON_STATE_DIR": str(tmp_path / host), "THDMON_COLLECTOR__TRAP_LISTEN": "off",
                   # no SSH logins against this machine's own sshd from the test's made-up devices
                   "THDMON_COLLECTOR__PROTOCOLS": "snmp,icmp"}
            procs.append(subprocess.Popen([str(root / "opt/thdmon/venv/bin/thdmon"), "serve"], env=env,
                                          stdout=(tmp_path / f"{host}.log").open("wb"), stderr=subprocess.STDOUT))
        prom_port = free_tcp_port()
        prom_args = [a for a in _args(root1 / "etc/default/prometheus") if not a.startswith("--web.listen-address")]
        procs.append(subprocess.Popen(
            ["prometheus", f"--config.file={root1 / 'etc/prometheus/prometheus.yml'}", *prom_args,
             f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=(tmp_path / "prometheus.log").open("wb"), stderr=subprocess.STDOUT))
        vm = f"http://127.0.0.1:{d.ports['victoriametrics']}"

        def series(expr: str) -> list[dict]:
            body = _get(f"{vm}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
            return body.get("data", {}).get("result", []) if body else []

        def both_collectors_up() -> bool:
            got = series('up{job=~"thdmon|thdmon_liveness"} == 1')
            return len(got) == 4  # two collectors, each scraped by both parts' jobs

        # 60 s scrapes: each target's first one falls anywhere in the first minute, devices polled by the next
        until("both collectors scraped with basic auth, in VictoriaMetrics", both_collectors_up, timeout=240)
        devices = until("thdmon_device_up of every enabled device in VictoriaMetrics",
                        lambda: (lambda r: r if len(r) == 4 else None)(series('thdmon_device_up{prometheus="mon-1"}')),
                        timeout=240)
        assert {s["metric"]["device"] for s in devices} == {
            "rt-pop-bobigny", "sw-col-jean-moulin-1", "sw-lyc-eugene-henaff-1", "wlc-parc-sausset"}
        # The device series of both shards in one job (the liveness part's), without the target's labels (the
        # contract's relabelling): a device keeps one series whichever collector polls it.
        assert {s["metric"]["job"] for s in devices} == {"thdmon_liveness"}
        assert all(not {"instance", "shard", "collector"} & s["metric"].keys() for s in devices), devices
        # Which collector polled which device: the collectors' own series keep their target labels.
        counts = series('sum by(job, instance, collector, shard) (thdmon_collector_devices{prometheus="mon-1"})')
        polled = {(s["metric"]["job"], s["metric"]["collector"], s["metric"]["shard"]): int(float(s["value"][1]))
                  for s in counts}
        shard_sizes = {k: len(json.loads((d.root("mon-1") / f"etc/prometheus/thdmon/mon-{k}.json").read_text()))
                       for k in (1, 2)}
        assert polled == {("thdmon", "mon-1", "1/2"): shard_sizes[1], ("thdmon", "mon-2", "2/2"): shard_sizes[2]}
        assert all(shard_sizes.values())  # each collector polls some of the four devices
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
