package.path = "bench/?.lua;" .. package.path
local report = require("report")

-- wrk script: FreeRADIUS's calls to Switchboard, as rlm_rest sends them.
-- BENCH_KIND=authorize or authenticate: an Access-Request (PAP) for a random subscriber
-- among BENCH_USERS (bench-0 .. bench-N-1); BENCH_KIND=accounting: an
-- Interim-Update for one of BENCH_USERS open sessions (an upsert each).
local kind = os.getenv("BENCH_KIND") or "authorize"
local token = os.getenv("BENCH_TOKEN")
local users = tonumber(os.getenv("BENCH_USERS") or "1000")
local headers = {["Content-Type"] = "application/json", ["X-Auth-Token"] = token,
                 ["X-FreeRADIUS-Section"] = kind}
local counter = 0

report.seed_threads()

local function attr(name, ty, value)
  return string.format('"%s":{"type":"%s","value":[%s]}', name, ty, value)
end

function request()
  local n = math.random(0, users - 1)
  local user = string.format('"bench-%d"', n)
  local body
  if kind ~= "accounting" then
    body = "{" .. attr("User-Name", "string", user) .. "," .. attr("User-Password", "string", '"bench-password"') ..
      "," .. attr("NAS-IP-Address", "ipaddr", '"10.0.0.1"') .. "," .. attr("Calling-Station-Id", "string", '"AA-BB-CC-00-00-01"') .. "}"
  else
    counter = counter + 1
    body = "{" .. attr("Acct-Status-Type", "integer", '"Interim-Update"') .. "," .. attr("User-Name", "string", user) ..
      "," .. attr("Acct-Session-Id", "string", string.format('"s-%d"', n)) .. "," .. attr("NAS-IP-Address", "ipaddr", '"10.0.0.1"') ..
      "," .. attr("Acct-Input-Octets", "integer", tostring(counter)) .. "," .. attr("Acct-Output-Octets", "integer", tostring(counter * 3)) ..
      "," .. attr("Acct-Session-Time", "integer", tostring(counter)) .. "}"
  end
  return wrk.format("POST", "/radius/" .. kind, headers, body)
end

done = report.done
