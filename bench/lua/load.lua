-- wrk script for every scenario: one thread, paths cycled (or each used once), JSON summary.
-- args: method, prefix, ids file ("-": the prefix is the whole path), once ("1": stop the
-- thread when the ids run out, so no id is asked for twice), body ("-": none).
-- wrk still reports the full -d duration after such a stop, so the summary says "exhausted"
-- and the harness refuses that run rather than publish a rate over the wrong time.
local paths = {}
local index = 0
local once = false
exhausted = 0 -- global: done() reads it with thread:get
local method = "GET"
local body = nil

function init(args)
  method = args[1]
  if args[3] ~= "-" then
    for line in io.lines(args[3]) do
      paths[#paths + 1] = args[2] .. line
    end
  else
    paths[1] = args[2]
  end
  once = args[4] == "1"
  if args[5] ~= "-" then
    body = args[5]
    wrk.headers["Content-Type"] = "application/json"
  end
end

function request()
  index = index + 1
  if index > #paths then
    if once then
      exhausted = 1
      wrk.thread:stop()
      index = #paths
    else
      index = 1
    end
  end
  return wrk.format(method, paths[index], nil, body)
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency, requests)
  local e = summary.errors
  local exhausted = 0
  for _, thread in ipairs(threads) do
    exhausted = exhausted + (thread:get("exhausted") or 0)
  end
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "status_errors": %d, ' ..
    '"socket_errors": %d, "p50_us": %d, "p99_us": %d, "exhausted": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), exhausted))
end
