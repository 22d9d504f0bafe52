#!/usr/bin/env bash
# Installs what thdmon and its test suite need on a fresh Debian machine (as root): the real peers the
# tests talk to (Debian packages) and the Python packages (in .venv beside this checkout).
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  snmpd snmp                      # net-snmp agent (SNMPv3, scale) and reference clients (snmpbulkwalk, snmptrap)
  prometheus prometheus-alertmanager prometheus-snmp-exporter
  freeradius-utils freeradius     # radclient: the real RADIUS accounting client
  openssh-server                  # sshd for the SSH collectors' tests
  postgresql                      # production store of the connection logs
  bsdutils                        # util-linux logger (syslog in every framing)
  iproute2                        # network namespaces for benchmarks
  nftables                        # the lab makes a device ICMP-unreachable with a drop rule
  chromium chromium-driver        # the portal's end-to-end tests drive the system Chromium (Selenium)
  slapd ldap-utils                # OpenLDAP server and ldapwhoami for the portal's LDAP bind test
  victoria-metrics                # ansible/: the long-term store Prometheus remote_writes to (e2e)
  shellcheck systemd              # ansible/: rendered scripts and units checked (shellcheck, systemd-analyze)
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  [[ "$p" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing Debian packages (run as root to install them): ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e '.[test]'

# axe-core (npm) for the portal's accessibility checks, in a project-local directory (.node/, ignored by git).
# Node.js (with npm) is part of the machine; Debian's npm package would fight a NodeSource nodejs.
if [[ ! -f .node/node_modules/axe-core/axe.min.js ]]; then
  command -v npm >/dev/null || { echo "npm is missing: install Node.js (with npm) for axe-core" >&2; exit 1; }
  npm install --silent --no-audit --no-fund --prefix .node axe-core@4 >/dev/null
fi
