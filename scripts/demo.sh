#!/usr/bin/env bash
# The main job on its embedded defaults (runbookd.yaml: SQLite under ./data, the shipped rules)
# against a real Kafka broker and Kafka Connect worker with a connector that really fails.
# See src/test/java/io/runbookd/it/Demo.java for the steps; it stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp -q -DskipTests test-compile
exec mvn -B -ntp -q exec:java -Dexec.classpathScope=test -Dexec.mainClass=io.runbookd.it.Demo \
  -Dexec.args="${1:-runbookd.yaml}" -Dexec.cleanupDaemonThreads=false
