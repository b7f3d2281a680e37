#!/usr/bin/env bash
# Load run of the webhook intake with durable commits, on loopback:
#   scripts/bench-ingest.sh [sqlite|postgres] [clients=16] [seconds=20] [alertsPerWebhook=1]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp -q -DskipTests test-compile
exec mvn -B -ntp -q exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.runbookd.bench.IngestLoad \
  -Dexec.args="${1:-sqlite} ${2:-16} ${3:-20} ${4:-1}" -Dexec.cleanupDaemonThreads=false
