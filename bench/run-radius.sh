#!/usr/bin/env bash
# Load benchmark for the RADIUS endpoints FreeRADIUS calls (rlm_rest).
#
#   bench/run-radius.sh [USERS] [SECONDS]     (defaults: 200, 10)
#
# Starts `switchboard serve` (release build, log level warn) on a fresh
# SQLite file, creates an ISP with one profile and USERS subscribers through
# the API, and drives with wrk -t2: /radius/authorize (the per-login
# decision, 32 connections), /radius/accounting (Interim-Updates upserting
# USERS open sessions, 32 connections) and /radius/authenticate (the PAP
# check: one Argon2id verification per request, 8 connections). Prints
# requests/s, p50 and p99 and writes them to bench/results/radius.md (not
# committed). Needs wrk and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-200}
SECS=${2:-10}
. bench/lib.sh

cargo build --release -q -p switchboard --bin switchboard
BIN=target/release/switchboard

$BIN migrate >/dev/null
TOKEN=$(isp_token)

PORT=$(free_port)
$BIN serve --no-worker --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$PORT/healthz"
V="http://127.0.0.1:$PORT/api/v1"
PROFILE=$(curl -sf -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
  -d '{"name": "Bench 100", "download_kbps": 100000, "upload_kbps": 20000, "price_pence": 3000, "simultaneous_use": 100}' \
  "$V/profiles" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])')
echo "bench: creating $USERS subscribers"
seq 0 $((USERS - 1)) | xargs -P 4 -I{} curl -sf -o /dev/null -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
  -d "{\"username\": \"bench-{}\", \"password\": \"bench-password\", \"profile_id\": $PROFILE}" "$V/users"

run() { # kind conns
  BENCH_KIND=$1 BENCH_TOKEN=$TOKEN BENCH_USERS=$USERS wrk -t2 -c"$2" -d"${SECS}s" -s bench/radius.lua "http://127.0.0.1:$PORT" \
    | grep '^BENCH' | sed "s/^BENCH/$1 c=$2/"
}
results=("$(run authorize 32)" "$(run accounting 32)" "$(run authenticate 8)")

field() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
mkdir -p bench/results
{
  echo "# RADIUS endpoints benchmark"
  echo
  echo "- when: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "- $USERS subscribers in SQLite (WAL); wrk -t2, ${SECS}s per run, loopback, server and wrk sharing the cores"
  echo
  echo "| endpoint | connections | requests/s | p50 ms | p99 ms | non-2xx |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for r in "${results[@]}"; do
    name=$(echo "$r" | cut -d' ' -f1); c=$(echo "$r" | cut -d' ' -f2 | cut -d= -f2)
    echo "| /radius/$name | $c | $(field "$r" rps) | $(field "$r" p50_ms) | $(field "$r" p99_ms) | $(field "$r" errors_status) |"
  done
} | tee bench/results/radius.md
