#!/usr/bin/env bash
# JMH: cost of choosing a rule for one alert with the shipped rules (labels, target, trace search).
#   scripts/bench-rules.sh [extra JMH options, e.g. -f 2 -wi 5]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -ntp -q -DskipTests test-compile
exec mvn -B -ntp -q exec:exec -Dexec.classpathScope=test -Dexec.executable=java \
  -Dexec.args="-cp %classpath org.openjdk.jmh.Main RuleEvaluationBenchmark $*"
