#!/usr/bin/env bash
# Usage import: `switchboard usage import` of N generated records into
# SQLite, rated and stored, beside its floor (the same rows inserted into
# the same table of a copy of the same database in one transaction with a
# prepared statement: crates/switchboard/examples/usage_floor.rs), RUNS
# times; the import's peak RSS. With BENCH_POSTGRES_URL (a server URL whose
# user may create databases), the same import into PostgreSQL once.
#
#   bench/run-usage.sh [N] [RUNS]     (defaults: 1000000, 3)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${2:-3}
. bench/lib.sh
cargo build --release -q -p switchboard --bin switchboard --example usage_floor
BIN=$PWD/target/release/switchboard
FLOOR=$PWD/target/release/examples/usage_floor
DB="$WORK/bench.db"
echo "bench: demo data and 20,000 connections; $N records"
$BIN demo >/dev/null
$BIN demo --connections 20000 >/dev/null
$BIN usage generate "$N" --out "$WORK/usage.csv.gz"
field() { echo "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2; }
rows=()
for run in $(seq "$RUNS"); do
  cp "$DB" "$WORK/floor.db"
  F=$($FLOOR "$WORK/floor.db" "$WORK/usage.csv.gz" | grep '^FLOOR')
  rm -f "$WORK"/floor.db*
  cp "$DB" "$WORK/import.db"
  OUT=$(SWITCHBOARD_DATABASE_URL="sqlite://$WORK/import.db" /usr/bin/time -f 'RSS_KB=%M' $BIN usage import "$WORK/usage.csv.gz" 2>&1)
  rm -f "$WORK"/import.db*
  rate=$(echo "$OUT" | grep -o '([0-9]* records/s)' | tr -dc '0-9')
  rss=$(echo "$OUT" | grep -o 'RSS_KB=[0-9]*' | cut -d= -f2)
  floor=$(field "$F" rows_per_s)
  rows+=("| $run | $rate | $floor | $(( 100 * rate / floor ))% | $(( rss / 1024 )) MB |")
  echo "bench: run $run: import $rate/s, floor $floor/s, RSS $(( rss / 1024 )) MB"
done
PG=""
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  name="bench_usage_$$"
  psql -q "$BENCH_POSTGRES_URL" -c "CREATE DATABASE $name" >/dev/null
  url="${BENCH_POSTGRES_URL%/*}/$name"
  SWITCHBOARD_DATABASE_URL=$url $BIN demo >/dev/null
  SWITCHBOARD_DATABASE_URL=$url $BIN demo --connections 20000 >/dev/null
  OUT=$(SWITCHBOARD_DATABASE_URL=$url /usr/bin/time -f 'RSS_KB=%M' $BIN usage import "$WORK/usage.csv.gz" 2>&1)
  psql -q "$BENCH_POSTGRES_URL" -c "DROP DATABASE $name" >/dev/null
  PG="$(echo "$OUT" | grep -o '([0-9]* records/s)' | tr -dc '0-9') records/s, RSS $(( $(echo "$OUT" | grep -o 'RSS_KB=[0-9]*' | cut -d= -f2) / 1024 )) MB"
  echo "bench: PostgreSQL: $PG"
fi
mkdir -p bench/results
{
  echo "# Usage import benchmark"
  echo
  echo "- when: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(nproc) cores; $N records (gzip CSV) for 20,000 connections"
  echo
  echo "| run | import, records/s (SQLite) | floor, rows/s | import / floor | import peak RSS |"
  echo "| --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  if [ -n "$PG" ]; then echo; echo "PostgreSQL: $PG"; fi
} | tee bench/results/usage.md
