#!/usr/bin/env bash
# From a threshold-crossing record's import to its webhook's first attempt:
# `switchboard serve` (its worker in-process, as shipped) on SQLite, or on
# PostgreSQL with BENCH_POSTGRES_URL, and the example
# crates/switchboard/examples/alert_latency.rs as partner and receiver:
# N imports one at a time, then N at once, RUNS times.
#
#   bench/run-alerts.sh [N] [RUNS]     (defaults: 200, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
RUNS=${2:-3}
. bench/lib.sh
cargo build --release -q -p switchboard --bin switchboard --example alert_latency
BIN=$PWD/target/release/switchboard
DRIVER=$PWD/target/release/examples/alert_latency
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  name="bench_alerts_$$"
  psql -q "$BENCH_POSTGRES_URL" -c "CREATE DATABASE $name" >/dev/null
  export SWITCHBOARD_DATABASE_URL="${BENCH_POSTGRES_URL%/*}/$name"
  drop_db() { psql -q "$BENCH_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null; }
  trap 'cleanup; drop_db' EXIT
fi
$BIN demo >/dev/null
$BIN demo --connections $(( 2 * N * RUNS )) >/dev/null
PARTNER=$(load_partner)
new_client "$PARTNER" usage,connections
PORT=$(free_port)
SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE=true $BIN serve --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$PORT/healthz"
for run in $(seq "$RUNS"); do
  # Each run takes lines of its own (a line alerts once a period).
  "$DRIVER" "http://127.0.0.1:$PORT" "$SWITCHBOARD_DATABASE_URL" "$PARTNER" "$CID" "$CSECRET" "$N" $(( (run - 1) * 2 * N )) | sed "s/^/run $run: /"
done
