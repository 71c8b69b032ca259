#!/usr/bin/env bash
# PAP against CHAP through the shipped FreeRADIUS, and a login storm.
#
#   bench/run-freeradius.sh [USERS] [LOGINS]     (defaults: 1000, 4000)
#
# Starts `switchboard serve` (release, SQLite, a password key) and
# FreeRADIUS with deploy/freeradius, creates USERS subscribers on a PAP
# profile and USERS on a CHAP profile through the API, then with radclient:
# 1. LOGINS PAP logins and LOGINS CHAP logins, 32 in flight: logins/s;
# 2. a storm: every PAP subscriber logging in at once (radclient -p USERS),
#    NAS timeout 300 ms and 3 tries, then the same with CHAP: accepted;
# 3. accounting: LOGINS Interim-Updates (one session per PAP subscriber),
#    32 in flight: how fast FreeRADIUS answers them (written to its buffer
#    on disk) and how fast its replay brings them into Switchboard (read
#    from /metrics).
# Reads the server's peak RSS. Writes bench/results/freeradius.md.
# Needs freeradius, freeradius-rest, freeradius-utils.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${1:-1000}
LOGINS=${2:-4000}
. bench/lib.sh
command -v freeradius >/dev/null && command -v radclient >/dev/null || { echo "bench: FreeRADIUS is not installed" >&2; exit 1; }
cargo build --release -q -p switchboard --bin switchboard
BIN=target/release/switchboard
export SWITCHBOARD_PASSWORD_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export SWITCHBOARD_METRICS_TOKEN=bench-metrics
SECRET=bench-secret

$BIN migrate >/dev/null
TOKEN=$(isp_token)
PORT=$(free_port)
$BIN serve --no-worker --listen "127.0.0.1:$PORT" >/dev/null 2>&1 &
SERVE_PID=$!; pids+=($SERVE_PID)
wait_http "http://127.0.0.1:$PORT/healthz"
V="http://127.0.0.1:$PORT/api/v1"
profile() {
  curl -sf -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"name\": \"Bench $1\", \"download_kbps\": 100000, \"upload_kbps\": 20000, \"price_pence\": 3000, \"simultaneous_use\": 100, \"auth_type\": \"$1\"}" \
    "$V/profiles" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["id"])'
}
PAP=$(profile pap); CHAP=$(profile chap)
echo "bench: creating $USERS PAP and $USERS CHAP subscribers"
for kind in pap chap; do
  id=$PAP; [ $kind = chap ] && id=$CHAP
  seq 0 $((USERS - 1)) | xargs -P 4 -I{} curl -sf -o /dev/null -H "X-Auth-Token: $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"username\": \"$kind-{}\", \"password\": \"bench-password\", \"profile_id\": $id}" "$V/users"
done

AUTH=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ACCT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/run"
SWITCHBOARD_URL="http://127.0.0.1:$PORT" SWITCHBOARD_RADIUS_TOKEN=$TOKEN RADIUS_SECRET=$SECRET RADIUS_NAS_NETWORK=127.0.0.1 \
  RADIUS_LISTEN=127.0.0.1 RADIUS_AUTH_PORT=$AUTH RADIUS_ACCT_PORT=$ACCT RADIUS_RUN_DIR="$WORK/run" \
  freeradius -f -l stdout -d deploy/freeradius >"$WORK/radius.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  echo "Message-Authenticator = 0x00" | radclient -t 1 -r 1 "127.0.0.1:$AUTH" status $SECRET >/dev/null 2>&1 && break
  sleep 0.2
done

requests() { # kind count: one request per line group, users in turn
  python3 - "$1" "$2" "$USERS" <<'PY'
import sys
kind, count, users = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
attr = "User-Password" if kind == "pap" else "CHAP-Password"
for i in range(count):
    print(f'User-Name = "{kind}-{i % users}"\n{attr} = "bench-password"\n')
PY
}
logins() { # kind count parallel timeout tries -> "accepted seconds"
  requests "$1" "$2" >"$WORK/$1.req"
  local t0 t1 out
  t0=$(date +%s.%N)
  out=$(radclient -s -q -p "$3" -t "$4" -r "$5" -f "$WORK/$1.req" "127.0.0.1:$AUTH" auth $SECRET 2>&1 || true)
  t1=$(date +%s.%N)
  local ok
  ok=$(echo "$out" | awk -F: '/Accepted/ {gsub(/[ \t]/, "", $2); print $2}')
  echo "${ok:-0} $(python3 -c "print(round($t1 - $t0, 2))")"
}
# The server's RSS while it serves logins, sampled every 100 ms.
( while kill -0 $SERVE_PID 2>/dev/null; do awk '/VmRSS/ {print $2}' /proc/$SERVE_PID/status; sleep 0.1; done ) >"$WORK/rss" 2>/dev/null &
pids+=($!)
echo "bench: $LOGINS PAP and $LOGINS CHAP logins, 32 at once"
read -r pap_ok pap_s < <(logins pap "$LOGINS" 32 3 3)
read -r chap_ok chap_s < <(logins chap "$LOGINS" 32 3 3)
echo "bench: storms of $USERS at once (timeout 300 ms, 3 tries)"
read -r spap_ok spap_s < <(logins pap "$USERS" "$USERS" 0.3 3)
read -r schap_ok schap_s < <(logins chap "$USERS" "$USERS" 0.3 3)
echo "bench: $LOGINS accounting records, 32 at once, through the buffer"
stored() { curl -sf -H "Authorization: Bearer bench-metrics" "http://127.0.0.1:$PORT/metrics" \
  | awk '/^switchboard_radius_accounting_records_total/ {n += $2} END {print n + 0}'; }
python3 - "$LOGINS" "$USERS" >"$WORK/acct.req" <<'PY'
import sys
count, users = int(sys.argv[1]), int(sys.argv[2])
for i in range(count):
    print(f'User-Name = "pap-{i % users}"\nAcct-Status-Type = Interim-Update\nAcct-Session-Id = "b{i % users}"\n'
          f'NAS-IP-Address = 127.0.0.1\nAcct-Session-Time = {i}\nAcct-Input-Octets = {i}\n')
PY
before=$(stored)
t0=$(date +%s.%N)
out=$(radclient -s -q -p 32 -t 3 -r 3 -f "$WORK/acct.req" "127.0.0.1:$ACCT" acct $SECRET 2>&1 || true)
t1=$(date +%s.%N)
acked=$(echo "$out" | awk -F: '/Accepted/ {gsub(/[ \t]/, "", $2); print $2}')
for _ in $(seq 1200); do [ $(( $(stored) - before )) -ge "$LOGINS" ] && break; sleep 0.1; done
t2=$(date +%s.%N)
landed=$(( $(stored) - before ))
PEAK=$(sort -n "$WORK/rss" | tail -1 | awk '{printf "%.1f", $1/1024}')
HWM=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$SERVE_PID/status)
rate() { python3 -c "print(round($1 / $2))"; }
mkdir -p bench/results
{
  echo "# PAP and CHAP through FreeRADIUS"
  echo
  echo "- when: $(date -u +%Y-%m-%dT%H:%M:%SZ); machine: $(nproc) cores; SQLite; FreeRADIUS $(freeradius -v 2>/dev/null | head -1 | grep -o 'Version [0-9.]*' || true); radclient on loopback"
  echo
  echo "| measure | PAP | CHAP |"
  echo "| --- | --- | --- |"
  echo "| $LOGINS logins, 32 at once | $pap_ok accepted in ${pap_s}s: $(rate "$pap_ok" "$pap_s")/s | $chap_ok accepted in ${chap_s}s: $(rate "$chap_ok" "$chap_s")/s |"
  echo "| PAP against CHAP | $(python3 -c "print(round(100 * ($pap_ok / $pap_s) / ($chap_ok / $chap_s)))")% | 100% |"
  echo "| storm: $USERS at once, 300 ms timeout, 3 tries | $spap_ok of $USERS accepted (${spap_s}s) | $schap_ok of $USERS accepted (${schap_s}s) |"
  echo "| accounting: $LOGINS Interim-Updates, 32 at once | answered (on disk): ${acked:-0} in $(python3 -c "print(round($t1 - $t0, 2))")s, $(rate "${acked:-0}" "$(python3 -c "print($t1 - $t0)")")/s; in Switchboard: $landed in $(python3 -c "print(round($t2 - $t0, 2))")s, $(rate "$landed" "$(python3 -c "print($t2 - $t0)")")/s | |"
  echo "| server RSS during the logins and storms (peak of 100 ms samples) | $PEAK MB | |"
  echo "| server peak RSS since start (VmHWM: includes creating the subscribers) | $HWM MB | |"
} | tee bench/results/freeradius.md
