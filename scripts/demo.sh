#!/usr/bin/env bash
# The demo: installs thdmon, starts the simulated département (every sample device answers SNMP on
# 127.0.0.0/8), plays a park's Wi-Fi day into the connection logs, then runs the polling service.
#   /metrics: http://127.0.0.1:9810/metrics   connlog health: http://127.0.0.1:9812/metrics
# Ctrl-C stops everything. THDMON_DEMO_SECONDS=N stops the service after N seconds (for a quick look).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

export THDMON_STATE_DIR="${THDMON_STATE_DIR:-$PWD/var/demo}"
# A full IF-MIB poll of the département is ~1M varbinds: snmpsim serves ~5k/s on 2 cores, so the
# demo polls the fast class every 5 minutes and the slow one every 15.
export THDMON_COLLECTOR__FAST_INTERVAL="${THDMON_COLLECTOR__FAST_INTERVAL:-300}"
export THDMON_COLLECTOR__SLOW_INTERVAL="${THDMON_COLLECTOR__SLOW_INTERVAL:-900}"
mkdir -p "$THDMON_STATE_DIR"
# The sample département and the lab's own secrets (created 0600 in the state directory).
eval "$(.venv/bin/thdmon lab env)"
thdmon() { .venv/bin/thdmon "$@"; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  thdmon lab stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== the sample département"
thdmon inventory check

echo "== starting the simulated network (first start ~1 min: generating and indexing SNMP data)"
thdmon lab start
thdmon lab status | head -20

echo "== one pass over a park (SNMP and ICMP), then a core switch cut off in the lab"
thdmon collect --once --site parc-georges-valbon
thdmon lab fail dc-pleyel-core1 --mode silent        # no SNMP answer
thdmon lab fail dc-pleyel-core1 --mode unreachable   # ICMP echo dropped
thdmon collect --once --device dc-pleyel-core1 --device dc-pleyel-core2 || true
thdmon lab heal dc-pleyel-core1

echo "== configuration backup over SSH: a collège's switches, a change made on one, the diff"
thdmon collect --once --protocol ssh --site col-pantin-jean-zay
thdmon lab config col-pantin-jean-zay-acc1 --replace "    description acces" "    description CDI salle 12"
thdmon collect --once --protocol ssh --device col-pantin-jean-zay-acc1
thdmon config diff col-pantin-jean-zay-acc1
thdmon config log | head -5

echo "== connection logs: a day of Wi-Fi at the parc du Sausset"
# The generator plays the same day at every run: the demo's connection logs start empty each time, or
# a search would show every earlier run's copy of the same sessions. (Never do this to a real store.)
rm -rf "$THDMON_STATE_DIR/connlog.sqlite" "$THDMON_STATE_DIR"/connlog.sqlite-* "$THDMON_STATE_DIR/connlog-spool" \
  "$THDMON_STATE_DIR/connlog-quarantine.log"
# Background services are started directly, not through the shell function: $! must be their own pid.
.venv/bin/thdmon logs serve &
pids+=($!)
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/5514) 2>/dev/null && break
  sleep 0.2
done
yesterday=$(date -u -d yesterday +%F)
.venv/bin/python -m lab.wifi --inventory "$THDMON_INVENTORY" --site parc-du-sausset --date "$yesterday" \
  --clients 150 --truth "$THDMON_STATE_DIR/wifi-truth.json"
sleep 2
echo "(records are chained in order of arrival and sealed per UTC day once the day is closed)"
thdmon logs seal
thdmon logs verify
read -r ip port at mac < <(.venv/bin/python -c 'import json, sys
s = json.load(open(sys.argv[1]))[0]["sessions"][0]
print(s["public_ip"], s["port_start"], int((s["start"] + s["stop"]) / 2), s["client_mac"])' \
  "$THDMON_STATE_DIR/wifi-truth.json")
echo "== requisition: who had $ip port $port at $(date -d "@$at" -Iseconds)? (truth: $mac)"
thdmon logs search --public-ip "$ip" --port "$port" --at "$at" --requisition DEMO-0001 --operator demo

echo "== polling service: http://127.0.0.1:9810/metrics (Ctrl-C to stop)"
if [[ -n "${THDMON_DEMO_SECONDS:-}" ]]; then
  .venv/bin/thdmon serve --traps off &
  pids+=($!)
  sleep "$THDMON_DEMO_SECONDS"
  curl -s http://127.0.0.1:9810/metrics | grep -c '^thdmon_' | sed 's/^/series on \/metrics: /' || true
else
  thdmon serve --traps off
fi
