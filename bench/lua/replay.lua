-- Replays prepared requests, one per line: METHOD <tab> PATH [<tab> BODY].
-- wrk ... -s bench/lua/replay.lua URL -- FILE NTHREADS TOKEN
-- Thread k takes lines k, k+n, k+2n, ... and cycles through them; prepared requests keep
-- the generator's own cost per request to a table lookup. done() prints one JSON line.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local file, nthreads, token = args[1], tonumber(args[2]), args[3]
  local headers = {["Authorization"] = "Bearer " .. token, ["Accept"] = "application/scim+json"}
  local with_body = {["Authorization"] = "Bearer " .. token,
                     ["Content-Type"] = "application/scim+json; charset=utf-8"}
  reqs, idx, bad, sample = {}, 0, 0, ""
  local lines = {}
  for line in io.lines(file) do lines[#lines + 1] = line end
  if #lines < nthreads then nthreads = 1 end  -- too few to share: every thread takes all
  for n, line in ipairs(lines) do
    if (n - 1) % nthreads == tid % nthreads then
      local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
      if body == "" then
        reqs[#reqs + 1] = wrk.format(method, path, headers)
      else
        reqs[#reqs + 1] = wrk.format(method, path, with_body, body)
      end
    end
  end
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

function response(status, headers, body)
  if status >= 300 then
    bad = bad + 1
    if sample == "" then sample = status .. " " .. string.sub(body or "", 1, 300) end
  end
end

local function quote(s)
  return '"' .. s:gsub('\\', '\\\\'):gsub('"', '\\"'):gsub('[%c]', ' ') .. '"'
end

function done(summary, latency, requests)
  local bad_total, samples = 0, ""
  for _, t in ipairs(threads) do
    bad_total = bad_total + t:get("bad")
    if samples == "" then samples = t:get("sample") end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"bad_status":%d,' ..
    '"socket_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"mean_us":%.1f,"max_us":%d,"sample":%s}\n',
    summary.requests, summary.duration, summary.bytes, bad_total,
    e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max, quote(samples)))
end
