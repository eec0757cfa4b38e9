-- wrk script for `make bench` (bench/run.py): counts every response that is not 2xx and prints one
-- machine-readable summary line that bench/run.py parses, instead of wrk's text for people.
--
--   wrk ... -s bench/report.lua http://127.0.0.1:8100/path          the same address every time (warm cache)
--   wrk ... -s bench/report.lua http://127.0.0.1:8100/path -- cold RUN
--       a new address each time: ?bench=RUN-<thread>-<n>, RUN a token new to each run
--
-- The summary line: BENCH requests=<n> duration_us=<n> non2xx=<n> socket_errors=<n> p50_us=<n> p99_us=<n>
-- status_<code>=<n> (one per status seen that is not 2xx), for example:
--   BENCH requests=4210 duration_us=2000512 non2xx=0 socket_errors=0 p50_us=1830 p99_us=5210

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  table.insert(threads, thread)
end

-- Per-thread globals: done() reads them with thread:get().
non2xx = 0
statuses = {}
local cold = false
local run = ""
local counter = 0
local fixed = nil

function init(args)
  cold = args[1] == "cold"
  run = args[2] or ""
  fixed = wrk.format()
end

-- The cold address: the path with a parameter no other request had, so each is a cache miss
-- (bench/run.py's cold_path() makes the same).
function cold_path(path, run, thread_id, n)
  local separator = path:find("?", 1, true) and "&" or "?"
  return path .. separator .. "bench=" .. run .. "-" .. thread_id .. "-" .. n
end

function request()
  if not cold then
    return fixed
  end
  counter = counter + 1
  return wrk.format(nil, cold_path(wrk.path, run, id, counter))
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  local seen = {}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    for status, count in pairs(thread:get("statuses")) do
      seen[status] = (seen[status] or 0) + count
    end
  end
  local errors = summary.errors
  local line = string.format(
    "BENCH requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p99_us=%d",
    summary.requests,
    summary.duration,
    bad,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50),
    latency:percentile(99)
  )
  for status, count in pairs(seen) do
    line = line .. string.format(" status_%d=%d", status, count)
  end
  io.write(line .. "\n")
end
