-- Shared by the wrk scripts: one BENCH line the bench scripts parse.
local report = {}

function report.done(summary, latency, requests)
  io.write(string.format("BENCH requests=%d errors_status=%d errors_connect=%d duration_us=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f p95_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(95) / 1000))
end

return report
