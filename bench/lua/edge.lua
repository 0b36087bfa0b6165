-- wrk script of the edge benchmark (bench/ZeroPath.Bench.Edge runs it). Every run uses it, so wrk's own Lua cost is
-- the same on both sides of a comparison. Environment:
--   BENCH_TOKEN_FILE  lines "<token id> <secret>": requests rotate over them (round robin, each thread from its own
--                     offset); without it the request is wrk's static one (-H headers)
--   BENCH_THREADS     wrk's -t, for the offsets and the rate
--   BENCH_RATE        hold this many requests per second in total (delay() schedules each next request)
--   BENCH_COUNT_CODES "1": count answers by status and problem "code"
-- done() prints one line "BENCHJSON {...}" with counts, errors and latency percentiles in microseconds.

local token_file = os.getenv("BENCH_TOKEN_FILE")
local thread_total = tonumber(os.getenv("BENCH_THREADS") or "1") or 1
local rate = tonumber(os.getenv("BENCH_RATE") or "")
local count_codes = os.getenv("BENCH_COUNT_CODES") == "1"

local threads = {}
local next_index = 0

function setup(thread)
  thread:set("index", next_index)
  next_index = next_index + 1
  table.insert(threads, thread)
end

local requests, count, position

function init(args)
  if not token_file then
    return
  end
  requests = {}
  for line in io.lines(token_file) do
    local id, secret = line:match("^(%S+)%s+(%S+)")
    if id then
      requests[#requests + 1] = wrk.format(nil, nil, {
        ["X-ZeroPath-API-Token-Id"] = id,
        ["X-ZeroPath-API-Token-Secret"] = secret,
      })
    end
  end
  count = #requests
  if count == 0 then
    error("no tokens in " .. token_file)
  end
  position = math.floor(count * (index or 0) / thread_total)
end

if token_file then
  function request()
    position = position % count + 1
    return requests[position]
  end
end

if rate then
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clock, bench_timespec *now);
  ]]
  local now_buffer = ffi.new("bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, now_buffer) -- CLOCK_MONOTONIC
    return tonumber(now_buffer.tv_sec) * 1000 + tonumber(now_buffer.tv_nsec) / 1e6
  end
  local interval = thread_total * 1000 / rate
  local next_at = nil

  -- Each answer books the next free slot of this thread's schedule; a thread that fell behind starts again from now
  -- instead of bursting to catch up.
  function delay()
    local now = now_ms()
    if next_at == nil or next_at < now then
      next_at = now
    end
    next_at = next_at + interval
    return math.floor(next_at - now)
  end
end

if count_codes then
  codes = {}
  function response(status, headers, body)
    local code = body and body:match('"code"%s*:%s*"([%w_]+)"') or ""
    local key = tostring(status) .. " " .. code
    codes[key] = (codes[key] or 0) + 1
  end
end

function done(summary, latency, _)
  local fields = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"bytes":%d', summary.bytes),
    string.format('"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
      summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout),
    string.format('"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d}',
      latency.min, latency.mean, latency.stdev, latency.max, latency:percentile(50), latency:percentile(75),
      latency:percentile(90), latency:percentile(99), latency:percentile(99.9)),
  }
  if count_codes then
    local merged = {}
    for _, thread in ipairs(threads) do
      local counted = thread:get("codes") or {}
      for key, value in pairs(counted) do
        merged[key] = (merged[key] or 0) + value
      end
    end
    local parts = {}
    for key, value in pairs(merged) do
      parts[#parts + 1] = string.format('"%s":%d', key, value)
    end
    fields[#fields + 1] = '"codes":{' .. table.concat(parts, ",") .. '}'
  end
  io.write("BENCHJSON {" .. table.concat(fields, ",") .. "}\n")
end
