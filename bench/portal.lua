package.path = "bench/?.lua;" .. package.path
local report = require("report")

-- wrk script: the staff portal, logged in (BENCH_COOKIE), on the seeded
-- load data. BENCH_KIND picks what each request is:
--   search-cli   the search box with a random synthetic CLI, typed +44 7400 …
--   search-name  the search box with a random synthetic customer's name, whole
--   search-part  the search box with part of one ("Customer 0001200"): a scan
--   search-user  the search box with a random synthetic ISP user name
--   customer     a random synthetic customer's page
--   connection   a random synthetic connection's page
local kind = os.getenv("BENCH_KIND") or "search-cli"
local count = tonumber(os.getenv("BENCH_COUNT") or "1000000")
local subs = tonumber(os.getenv("BENCH_SUBS") or "100000")
local cust_first = tonumber(os.getenv("BENCH_CUST_FIRST") or "1")
local cust_last = tonumber(os.getenv("BENCH_CUST_LAST") or "1")
local conn_first = tonumber(os.getenv("BENCH_CONN_FIRST") or "1")
local conn_last = tonumber(os.getenv("BENCH_CONN_LAST") or "1")
local headers = { ["Cookie"] = os.getenv("BENCH_COOKIE") or "" }

report.seed_threads()

function request()
  local path
  if kind == "search-cli" then
    local n = math.random(0, count - 1)
    path = string.format("/portal/search?q=%%2B44+74+%08d", n)
  elseif kind == "search-name" then
    local n = math.random(0, count / 100 - 1) * 100
    path = string.format("/portal/search?q=Synthetic+Customer+%07d+Ltd", n)
  elseif kind == "search-part" then
    local n = math.random(0, count / 100 - 1) * 100
    path = string.format("/portal/search?q=Customer+%07d", n)
  elseif kind == "search-user" then
    local n = math.random(0, subs - 1)
    path = string.format("/portal/search?q=load%07d%%40fibre.example", n)
  elseif kind == "customer" then
    path = string.format("/portal/customers/%d", math.random(cust_first, cust_last))
  else
    path = string.format("/portal/connections/%d", math.random(conn_first, conn_last))
  end
  return wrk.format("GET", path, headers)
end

done = report.done
