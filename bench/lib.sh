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

# Setup every benchmark shares (BIN is the switchboard binary).
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
# The partner `demo --connections` seeds the synthetic connections under.
load_partner() { $BIN partner list --json | python3 -c 'import json,sys; print([p["id"] for p in json.load(sys.stdin) if p["name"] == "Load Test Partner"][0])'; }
# An OAuth client of partner $1 with scopes $2: sets CID and CSECRET.
new_client() {
  local c; c=$($BIN client create --partner "$1" --scopes "$2" --description bench --json)
  CID=$(echo "$c" | json_field client_id); CSECRET=$(echo "$c" | json_field client_secret)
}
# An access token for CID:CSECRET from the server at $1.
access_token() { curl -s -u "$CID:$CSECRET" -d grant_type=client_credentials "$1/token" | json_field access_token; }
# A new ISP partner with an API user holding `isp`: prints its API token.
isp_token() {
  local partner; partner=$($BIN partner create "Bench Broadband" --json | json_field id)
  $BIN user create --partner "$partner" --username bench-radius --scopes isp >/dev/null
  $BIN token create --user bench-radius --description bench --json | json_field token
}
