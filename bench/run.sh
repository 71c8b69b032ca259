#!/usr/bin/env bash
# Load benchmark for GetConnectionByCLI, with the floor of the same stack
# measured beside it in the same run.
#
#   bench/run.sh [CONNECTIONS] [SECONDS]     (defaults: 100000, 10)
#
# Seeds CONNECTIONS synthetic connections into a fresh SQLite database,
# starts `switchboard serve` (release build, log level warn) and the bare
# handler (crates/api/examples/bare_lookup.rs: same table, same query, same
# JSON, no auth or middleware), and drives each with wrk at 32 and 128
# connections, random CLIs, a bearer token for the real endpoint. Prints
# requests/s, p50 and p99, the ratio to the floor, and idle RSS; writes the
# same to bench/results/latest.md. Needs wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-100000}
SECS=${2:-10}
. bench/lib.sh

cargo build --release -q -p switchboard --bin switchboard
cargo build --release -q -p switchboard-api --example bare_lookup
BIN=target/release/switchboard
BARE=target/release/examples/bare_lookup
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }

echo "bench: seeding $COUNT synthetic connections"
seed_start=$(date +%s.%N)
$BIN demo --connections "$COUNT" >/dev/null
seed_secs=$(python3 -c "import time; print(round(time.time() - $seed_start, 1))")
new_client "$(load_partner)" connections

P1=$(free_port)
$BIN serve --listen "127.0.0.1:$P1" >/dev/null 2>&1 &
pids+=($!); SERVE_PID=$!
wait_http "http://127.0.0.1:$P1/healthz"
sleep 1
IDLE_RSS=$(rss_mb $SERVE_PID)
TOKEN=$(access_token "http://127.0.0.1:$P1")
curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$P1/api/Connections/GetConnectionByCLI?cli=07400000000" >/dev/null

P2=$(free_port)
$BARE "sqlite://$WORK/bench.db" "127.0.0.1:$P2" >/dev/null 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$P2/bare?cli=07400000000"

run() { # name url path token conns
  BENCH_PATH=$3 BENCH_TOKEN=$4 BENCH_COUNT=$COUNT wrk -t2 -c"$5" -d"${SECS}s" -s bench/lookup.lua "$2" | grep '^BENCH' | sed "s/^BENCH/$1 c=$5/"
}

results=()
for c in 32 128; do
  results+=("$(run switchboard "http://127.0.0.1:$P1" /api/Connections/GetConnectionByCLI "$TOKEN" $c)")
  results+=("$(run bare "http://127.0.0.1:$P2" /bare "" $c)")
done
LOADED_RSS=$(rss_mb $SERVE_PID)

field() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
mkdir -p bench/results
{
  echo "# GetConnectionByCLI benchmark"
  echo
  echo "- when: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "- data: $COUNT synthetic connections in SQLite (WAL), seeded in ${seed_secs}s; wrk -t2, ${SECS}s per run, random CLIs, loopback"
  echo
  echo "| server | connections | requests/s | p50 ms | p99 ms | non-2xx | % of bare |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for c in 32 128; do
    for r in "${results[@]}"; do
      case "$r" in "switchboard c=$c "*) sb=$r;; "bare c=$c "*) bare=$r;; esac
    done
    pct=$(python3 -c "print(round(100 * $(field "$sb" rps) / $(field "$bare" rps)))")
    echo "| switchboard (Bearer JWT) | $c | $(field "$sb" rps) | $(field "$sb" p50_ms) | $(field "$sb" p99_ms) | $(field "$sb" errors_status) | $pct% |"
    echo "| bare axum + sqlx floor | $c | $(field "$bare" rps) | $(field "$bare" p50_ms) | $(field "$bare" p99_ms) | $(field "$bare" errors_status) | 100% |"
  done
  echo
  echo "- switchboard RSS: ${IDLE_RSS} MB idle after start, ${LOADED_RSS} MB after the runs"
} | tee bench/results/latest.md
