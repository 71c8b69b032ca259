# Shared by the bench scripts (sourced from the repository root): a scratch
# directory and SQLite database, processes stopped on exit, free ports and
# waiting for a server to answer. Needs wrk (apt-get install wrk).
command -v wrk >/dev/null || { echo "bench: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/switchboard-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
export SWITCHBOARD_DATABASE_URL="sqlite://$WORK/bench.db"
export SWITCHBOARD_LOG=warn
# One client drives each benchmark far past a real client's default rate
# limits (100 a second): lift them, so the limiter's cost is measured and
# not its refusals.
export SWITCHBOARD_RATE_PER_SECOND=1000000000 SWITCHBOARD_RATE_QUOTA=4000000000 SWITCHBOARD_RATE_QUOTA_WINDOW=1
# Throughput runs measure answers, not shedding (bench/run-storm.sh does).
export SWITCHBOARD_MAX_IN_FLIGHT=4096
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "bench: $1 did not come up" >&2; exit 1; }
