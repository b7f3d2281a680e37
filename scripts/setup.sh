#!/usr/bin/env bash
# Installs and starts what the test suite and the demo need on a fresh Debian machine of this project's kind:
# a JDK 17 and Maven (normally present), a running PostgreSQL on 127.0.0.1:5432 with trust auth, and Debian's
# prometheus and prometheus-alertmanager (binaries only: tests and the demo run them with their own config,
# data directory and loopback ports, never as the Debian services), and Debian's chromium and chromium-driver for
# the web page's browser tests (WebUiIT, headless).
set -euo pipefail

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v pg_ctlcluster >/dev/null 2>&1 || need_apt+=(postgresql)
need_monitoring=()
{ [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ]; } || need_monitoring+=(prometheus)
{ [ -x /usr/bin/prometheus-alertmanager ] && [ -x /usr/bin/amtool ]; } || need_monitoring+=(prometheus-alertmanager)
need_browser=()
[ -x /usr/bin/chromium ] || need_browser+=(chromium)
[ -x /usr/bin/chromedriver ] || need_browser+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ] || [ ${#need_monitoring[@]} -gt 0 ] || [ ${#need_browser[@]} -gt 0 ]; then
  apt-get update -qq
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
if [ ${#need_monitoring[@]} -gt 0 ]; then
  echo "setup: installing ${need_monitoring[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_monitoring[@]}"
  # On a machine with systemd the packages start their services (ports 9090, 9093): stop and disable the ones
  # just installed, the tests and the demo run their own.
  if [ -d /run/systemd/system ]; then
    for unit in "${need_monitoring[@]}"; do
      systemctl disable --now "$unit.service" >/dev/null 2>&1 || true
    done
  fi
fi

if [ ${#need_browser[@]} -gt 0 ]; then
  echo "setup: installing ${need_browser[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_browser[@]}"
fi

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "setup: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start
  for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q && break
    sleep 1
  done
fi
pg_isready -h 127.0.0.1 -p 5432

# A second PostgreSQL cluster, "storm" on 127.0.0.1:5434, that the storm test stops and starts (the shared
# 5432 cluster is never stopped). Created once; trust auth for local connections and 127.0.0.1, like main.
pg_version="$(ls /etc/postgresql | head -n 1)"
# Starts cluster $1 of $pg_version unless it answers on port $2, and waits (30 s at most) until it does.
start_cluster() {
  if ! pg_isready -h 127.0.0.1 -p "$2" -q 2>/dev/null; then
    echo "setup: starting PostgreSQL cluster $pg_version/$1"
    pg_ctlcluster --skip-systemctl-redirect "$pg_version" "$1" start
    for _ in $(seq 1 30); do
      pg_isready -h 127.0.0.1 -p "$2" -q && break
      sleep 1
    done
  fi
  pg_isready -h 127.0.0.1 -p "$2"
}
if [ ! -d "/etc/postgresql/$pg_version/storm" ]; then
  echo "setup: creating PostgreSQL cluster $pg_version/storm on port 5434"
  pg_createcluster "$pg_version" storm -p 5434 >/dev/null
  hba="/etc/postgresql/$pg_version/storm/pg_hba.conf"
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' > "$hba"
  chown postgres:postgres "$hba"
fi
start_cluster storm 5434

# A third PostgreSQL cluster, "cdc" on 127.0.0.1:5435, with logical decoding for the Debezium PostgreSQL source
# in the replication-slot tests (wal_level=logical needs a restart, so it is not set on the shared 5432
# cluster). Trust auth for local connections, 127.0.0.1 and replication connections from 127.0.0.1.
if [ ! -d "/etc/postgresql/$pg_version/cdc" ]; then
  echo "setup: creating PostgreSQL cluster $pg_version/cdc on port 5435"
  pg_createcluster "$pg_version" cdc -p 5435 >/dev/null
  conf_d="/etc/postgresql/$pg_version/cdc/conf.d"
  mkdir -p "$conf_d"
  printf 'wal_level = logical\nmax_replication_slots = 10\nmax_wal_senders = 10\nlisten_addresses = %s\n' \
    "'127.0.0.1'" > "$conf_d/cdc.conf"
  chown -R postgres:postgres "$conf_d"
  hba="/etc/postgresql/$pg_version/cdc/pg_hba.conf"
  printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nlocal replication all trust\nhost replication all 127.0.0.1/32 trust\n' > "$hba"
  chown postgres:postgres "$hba"
fi
start_cluster cdc 5435
/usr/bin/prometheus --version 2>&1 | head -n 1
/usr/bin/prometheus-alertmanager --version 2>&1 | head -n 1
/usr/bin/chromedriver --version 2>&1 | head -n 1
