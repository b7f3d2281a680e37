#!/usr/bin/env bash
# The main job on real input: Prometheus -> Alertmanager -> runbookd -> Kafka Connect, on loopback.
#
# Installs what is missing (scripts/setup.sh: Debian's prometheus and prometheus-alertmanager, PostgreSQL),
# then starts a Kafka broker and a Connect worker (own JVM, JMX exporter agent), Prometheus, Alertmanager
# (with the files in alertmanager/) and runbookd on its embedded defaults; deploys Debezium's JDBC sink into the
# local PostgreSQL, makes its database port refuse connections, and lets the chain heal it. Prints each hop's
# time, the incident's timeline and the URLs to look at. See src/test/java/io/runbookd/e2e/ChainDemo.java.
#
#   scripts/demo.sh                     seconds-scale timings (scrape 1s, for 2s, group_wait 1s)
#   scripts/demo.sh --shipped-timings   the shipped files' own timings (minutes)
#   scripts/demo.sh --exit              stop right after the heal (default when stdin is not a terminal)
#
# Ports on 127.0.0.1: 8083 Connect, 9404 JMX exporter, 9090 Prometheus, 9093 Alertmanager, 9095 runbookd,
# 9096 notification catcher. Everything it starts is stopped when it exits or is interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
echo "demo: building (test classes, Debezium JDBC sink plugin and JMX exporter agent under target/e2e) ..."
mvn -B -ntp -q test-compile
mvn -B -ntp -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/e2e/classpath.txt

pids=target/demo/pids
cleanup() {
  # Whatever the demo's JVM did not stop itself (it was killed, say): only the processes it recorded.
  if [ -f "$pids" ]; then
    while read -r pid; do
      [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done < "$pids"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

java -cp "target/test-classes:target/classes:$(cat target/e2e/classpath.txt)" io.runbookd.e2e.ChainDemo "$@"
