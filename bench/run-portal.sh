#!/usr/bin/env bash
# The staff portal on the issue's data: CONNECTIONS synthetic connections
# (`demo --connections`, 100 per customer) and SUBSCRIBERS synthetic ISP
# subscribers (`demo --subscribers`) in a fresh SQLite file, a partner
# admin logged in, and wrk driving the search box (a CLI, a customer's
# name, an ISP user name) and the customer and connection pages at low
# concurrency, so latency is the server's render time rather than queueing.
# In the same run the floor, crates/api/examples/bare_lookup.rs (one
# indexed query answered as JSON by a bare axum handler), is driven the
# same way.
#
#   bench/run-portal.sh [CONNECTIONS] [SUBSCRIBERS] [SECONDS]
#   (defaults 1000000, 100000, 10)
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-1000000}
SUBS=${2:-100000}
SECS=${3:-10}
CONNS=${BENCH_CONNS:-4}
. bench/lib.sh
cargo build --release -q -p switchboard --bin switchboard
cargo build --release -q -p switchboard-api --example bare_lookup
BIN=$PWD/target/release/switchboard
BARE=$PWD/target/release/examples/bare_lookup

start=$(date +%s)
$BIN demo >/dev/null
$BIN demo --connections "$COUNT" >/dev/null
$BIN demo --subscribers "$SUBS" >/dev/null
seed_secs=$(( $(date +%s) - start ))
PARTNER=$(load_partner)
echo "bench-password-0001" | $BIN portal-user create --partner "$PARTNER" --username bench.admin --role partner-admin --password-stdin >/dev/null
read -r CUST_FIRST CUST_LAST CONN_FIRST CONN_LAST < <(python3 - "$WORK/bench.db" "$PARTNER" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); p = int(sys.argv[2])
c = db.execute("SELECT MIN(id), MAX(id) FROM customers WHERE partner_id = ?", (p,)).fetchone()
k = db.execute("SELECT MIN(id), MAX(id) FROM connections WHERE partner_id = ?", (p,)).fetchone()
print(c[0], c[1], k[0], k[1])
PY
)

P1=$(free_port)
$BIN serve --listen "127.0.0.1:$P1" >"$WORK/serve.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$P1/healthz"
P2=$(free_port)
$BARE "sqlite://$WORK/bench.db" "127.0.0.1:$P2" >/dev/null 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$P2/bare?cli=07400000000"

# Log in as a browser does: the form's CSRF cookie, then the form.
jar="$WORK/cookies"
page=$(curl -s -c "$jar" "http://127.0.0.1:$P1/portal/login")
csrf=$(echo "$page" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
curl -s -b "$jar" -c "$jar" -o /dev/null -d "csrf=$csrf&username=bench.admin&password=bench-password-0001" "http://127.0.0.1:$P1/portal/login"
COOKIE="sb_session=$(awk '$6 == "sb_session" {print $7}' "$jar")"
[ "$COOKIE" != "sb_session=" ] || { echo "bench: portal login failed" >&2; exit 1; }

run() { # kind
  BENCH_KIND=$1 BENCH_COOKIE=$COOKIE BENCH_COUNT=$COUNT BENCH_SUBS=$SUBS \
  BENCH_CUST_FIRST=$CUST_FIRST BENCH_CUST_LAST=$CUST_LAST BENCH_CONN_FIRST=$CONN_FIRST BENCH_CONN_LAST=$CONN_LAST \
    wrk -t2 -c"$CONNS" -d"${SECS}s" -s bench/portal.lua "http://127.0.0.1:$P1" | grep '^BENCH'
}
floor() {
  BENCH_PATH=/bare BENCH_TOKEN="" BENCH_COUNT=$COUNT wrk -t2 -c"$CONNS" -d"${SECS}s" -s bench/lookup.lua "http://127.0.0.1:$P2" | grep '^BENCH'
}
field() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }

declare -A target=([search-cli]=100 [search-name]=100 [search-part]=100 [search-user]=100 [customer]=300 [connection]=300)
mkdir -p bench/results
{
  echo "# Staff portal benchmark"
  echo
  echo "- when: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "- data: $COUNT connections ($(( COUNT / 100 )) customers) and $SUBS subscribers in SQLite, seeded in ${seed_secs}s; wrk -t2 -c$CONNS, ${SECS}s each, loopback"
  echo
  echo "| request | requests/s | p50 ms | p95 ms | p99 ms | errors | p95 target |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for k in search-cli search-name search-part search-user customer connection; do
    r=$(run "$k")
    echo "| $k | $(field "$r" rps) | $(field "$r" p50_ms) | $(field "$r" p95_ms) | $(field "$r" p99_ms) | $(field "$r" errors_status) | < ${target[$k]} ms |"
  done
  r=$(floor)
  echo "| floor: bare lookup (one indexed query, JSON) | $(field "$r" rps) | $(field "$r" p50_ms) | $(field "$r" p95_ms) | $(field "$r" p99_ms) | $(field "$r" errors_status) | |"
} | tee bench/results/portal-latest.md
