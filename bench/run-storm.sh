#!/usr/bin/env bash
# Load shedding under a connection storm: GetConnectionByCLI from CONNS
# keep-alive connections at once (crates/api/examples/storm.rs), admitted
# answers and shed ones (503) timed apart; the server's peak RSS; then the
# same lookups from 32 connections with wrk, to show it recovered.
#
#   bench/run-storm.sh [CONNS] [SECONDS] [MAX_IN_FLIGHT]   (defaults: 2048, 10, server default)
set -euo pipefail
cd "$(dirname "$0")/.."
CONNS=${1:-2048}
SECS=${2:-10}
COUNT=20000
. bench/lib.sh
if [ -n "${3:-}" ]; then export SWITCHBOARD_MAX_IN_FLIGHT=$3; else unset SWITCHBOARD_MAX_IN_FLIGHT; fi
cargo build --release -q -p switchboard --bin switchboard
cargo build --release -q -p switchboard-api --example storm
BIN=target/release/switchboard
field() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }

$BIN demo --connections "$COUNT" >/dev/null
new_client "$(load_partner)" connections
P=$(free_port)
$BIN serve --no-worker --listen "127.0.0.1:$P" >/dev/null 2>&1 &
SERVE_PID=$!; pids+=($SERVE_PID)
wait_http "http://127.0.0.1:$P/healthz"
TOKEN=$(access_token "http://127.0.0.1:$P")

echo "bench: storm of $CONNS connections for ${SECS}s, clients that ask again at once"
STORM=$(target/release/examples/storm "127.0.0.1:$P" "$TOKEN" "$COUNT" "$CONNS" "$SECS" | grep '^STORM')
sleep 1
echo "bench: storm of $CONNS connections for ${SECS}s, clients that wait Retry-After"
POLITE=$(target/release/examples/storm "127.0.0.1:$P" "$TOKEN" "$COUNT" "$CONNS" "$SECS" polite | grep '^STORM')
PEAK=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$SERVE_PID/status)
sleep 1
echo "bench: after the storm, 32 connections for ${SECS}s"
AFTER=$(BENCH_PATH=/api/Connections/GetConnectionByCLI BENCH_TOKEN=$TOKEN BENCH_COUNT=$COUNT wrk -t2 -c32 -d"${SECS}s" -s bench/lookup.lua "http://127.0.0.1:$P" | grep '^BENCH')
RSS=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$SERVE_PID/status)
mkdir -p bench/results
{
  echo "# Connection storm benchmark"
  echo
  echo "- when: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(nproc) cores; SQLite, $COUNT connections; in-flight bound ${SWITCHBOARD_MAX_IN_FLIGHT:-default}"
  echo
  echo "| measure | result |"
  echo "| --- | --- |"
  for run in "$STORM" "$POLITE"; do
    case "$(field "$run" polite)" in true) who="clients waiting Retry-After";; *) who="clients asking again at once";; esac
    echo "| storm, $CONNS connections, ${SECS}s, $who: admitted | $(field "$run" admitted) answered 200 ($(field "$run" admitted_per_s)/s), p50 $(field "$run" admitted_p50_ms) ms, p99 $(field "$run" admitted_p99_ms) ms, max $(field "$run" admitted_max_ms) ms |"
    echo "| storm, $who: shed | $(field "$run" shed) answered 503, p50 $(field "$run" shed_p50_ms) ms, p99 $(field "$run" shed_p99_ms) ms, max $(field "$run" shed_max_ms) ms; after the first second p50 $(field "$run" shed_later_p50_ms) ms, p99 $(field "$run" shed_later_p99_ms) ms |"
    echo "| storm, $who: anything else | $(field "$run" other) other statuses, $(field "$run" errors) connection errors |"
  done
  echo "| server peak RSS (VmHWM) | $PEAK MB |"
  echo "| after the storm, 32 connections (wrk) | $(field "$AFTER" rps) req/s, p99 $(field "$AFTER" p99_ms) ms, $(field "$AFTER" errors_status) non-2xx; RSS $RSS MB |"
} | tee bench/results/storm.md
