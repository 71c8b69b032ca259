#!/usr/bin/env bash
# Order flow and provisioning benchmark, with the write floor of the same
# stack measured beside it in the same run.
#
#   bench/run-orders.sh [SECONDS] [CONCURRENCY]     (defaults: 10, 32)
#
# 1. `switchboard serve --no-worker` (release, SQLite, log level warn) takes
#    CONCURRENCY clients each looping CreateDraftOrder + 3 AddMobileToOrder
#    + SubmitOrder for SECONDS (crates/api/examples/order_load.rs):
#    orders/s and the p50/p99 of a whole order.
# 2. The worker drains the orders just submitted over instant simulated
#    networks, 2 lanes of 16-job batches (crates/api/examples/provision_drain.rs):
#    mobiles/s from submitted to live.
# 3. The floor: a bare axum handler doing one INSERT per request on the same
#    database (crates/api/examples/bare_insert.rs), driven by wrk with the
#    same concurrency. An order is five write requests, so the floor allows
#    floor_rps / 5 orders/s.
# Prints a table and writes it to bench/results/orders.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
CONC=${2:-32}
. bench/lib.sh
cargo build --release -q -p switchboard --bin switchboard
cargo build --release -q -p switchboard-api --example order_load --example provision_drain --example bare_insert
BIN=target/release/switchboard
EX=target/release/examples
field() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }

$BIN demo >/dev/null
$BIN demo --numbers 200000 >/dev/null
new_client 2 orders,customers,connections

P1=$(free_port)
$BIN serve --no-worker --listen "127.0.0.1:$P1" >/dev/null 2>&1 &
SERVE_PID=$!; pids+=($SERVE_PID)
wait_http "http://127.0.0.1:$P1/healthz"
TOKEN=$(access_token "http://127.0.0.1:$P1")
TARIFF=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$P1/api/Tariffs/ListTariffsForNetwork?network=Vodafone" | python3 -c 'import json,sys; print([t["tariffId"] for t in json.load(sys.stdin)["items"] if t["name"] == "Business SIM 30GB"][0])')

echo "bench: order flow, $CONC clients, ${SECS}s"
ORDERS=$($EX/order_load "http://127.0.0.1:$P1" "$TOKEN" 1000 "$TARIFF" "$CONC" "$SECS" | grep '^ORDERS')
kill $SERVE_PID; wait $SERVE_PID 2>/dev/null || true

echo "bench: provisioning the submitted orders"
PROV=$($EX/provision_drain "sqlite://$WORK/bench.db" 2 16 | grep '^PROVISION')

P2=$(free_port)
$EX/bare_insert "sqlite://$WORK/bench.db" "127.0.0.1:$P2" >/dev/null 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$P2/bare-insert"
echo "bench: bare insert floor, $CONC connections, ${SECS}s"
BARE=$(wrk -t2 -c"$CONC" -d"${SECS}s" -s bench/insert.lua "http://127.0.0.1:$P2/bare-insert" | grep '^BENCH')

ops=$(field "$ORDERS" orders_per_s); bare_rps=$(field "$BARE" rps)
allow=$(python3 -c "print(round($bare_rps / 5))")
share=$(python3 -c "print(round(100 * $ops / ($bare_rps / 5)))")
mkdir -p bench/results
{
  echo "# Order flow and provisioning benchmark"
  echo
  echo "- when: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); SQLite (WAL); ${SECS}s runs, $CONC clients"
  echo
  echo "| measure | result |"
  echo "| --- | --- |"
  echo "| orders submitted (draft + 3 mobiles + submit) | $(field "$ORDERS" orders) orders, $ops orders/s, $(field "$ORDERS" requests_per_s) write requests/s, p50 $(field "$ORDERS" p50_ms) ms, p99 $(field "$ORDERS" p99_ms) ms, $(field "$ORDERS" errors) failed |"
  echo "| bare single-row INSERT floor (wrk) | $bare_rps requests/s, p99 $(field "$BARE" p99_ms) ms: allows $allow orders/s at five writes an order |"
  echo "| order flow against the floor | $share% of what five bare inserts an order allow |"
  echo "| provisioning, zero latency, 2 lanes of 16-job batches | $(field "$PROV" mobiles) mobiles in $(field "$PROV" seconds)s: $(field "$PROV" mobiles_per_s) mobiles/s |"
} | tee bench/results/orders.md
