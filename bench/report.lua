-- Shared by the wrk scripts: one BENCH line the bench scripts parse.
local report = {}

function report.done(summary, latency, requests)
  io.write(string.format("BENCH requests=%d errors_status=%d errors_connect=%d duration_us=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f p95_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(95) / 1000))
end

-- Gives each wrk thread a seed of its own (set in setup, read in init):
-- without it every thread would draw the same random sequence.
function report.seed_threads()
  function setup(thread)
    thread:set("seed", math.random(1, 1000000))
  end

  function init(args)
    math.randomseed(seed or os.time())
  end
end

return report
