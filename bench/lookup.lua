-- wrk script: GetConnectionByCLI (or the bare floor) for random CLIs among
-- the seeded synthetic connections 07400000000 .. 07400000000+COUNT-1.
local path = os.getenv("BENCH_PATH") or "/api/Connections/GetConnectionByCLI"
local token = os.getenv("BENCH_TOKEN")
local count = tonumber(os.getenv("BENCH_COUNT") or "100000")
local headers = {}
if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed or os.time())
end

function request()
  local n = math.random(0, count - 1)
  return wrk.format("GET", string.format("%s?cli=074%08d", path, n), headers)
end

done = function(summary, latency, requests)
  io.write(string.format("BENCH requests=%d errors_status=%d errors_connect=%d duration_us=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
