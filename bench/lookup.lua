package.path = "bench/?.lua;" .. package.path
local report = require("report")

-- wrk script: GetConnectionByCLI (or the bare floor) for random CLIs among
-- the seeded synthetic connections 07400000000 .. 07400000000+COUNT-1.
local path = os.getenv("BENCH_PATH") or "/api/Connections/GetConnectionByCLI"
local token = os.getenv("BENCH_TOKEN")
local count = tonumber(os.getenv("BENCH_COUNT") or "100000")
local headers = {}
if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end

report.seed_threads()

function request()
  local n = math.random(0, count - 1)
  return wrk.format("GET", string.format("%s?cli=074%08d", path, n), headers)
end

done = report.done
