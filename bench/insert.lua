package.path = "bench/?.lua;" .. package.path
local report = require("report")

-- wrk script: the bare single-row INSERT floor.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"customerId": 1000, "reference": "PO-7781"}'

done = report.done
