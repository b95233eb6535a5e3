-- wrk script: POST the JSON body in $BODY_FILE (see {{n}} below); prints one RESULT {json} line at the end.
local f = assert(io.open(os.getenv("BODY_FILE"), "r")); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body; wrk.headers["Content-Type"] = "application/json"
-- A body with {{n}} gets a new number there in every request, as a new user message would.
local head, tail = body:match("^(.-){{n}}(.*)$")
if head then
  local n = 0
  request = function()
    n = n + 1
    return wrk.format(nil, nil, nil, head .. n .. tail)
  end
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,"non2xx":%d,"connect_err":%d,"read_err":%d,"write_err":%d,"timeout_err":%d,"bytes":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.status, e.connect, e.read, e.write, e.timeout, summary.bytes))
end
