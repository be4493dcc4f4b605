-- Leases exactly the listed jobs of this queue that are claimable now (a transport delivered their
-- ids): queued, or scheduled and due; queue not paused; type in the filter; tenant as given. The
-- rest are skipped. ARGV[6] leaseMs, [7] workerId, [8] tenant ('' = any, '+t' = only t's jobs),
-- [9] ntypes (-1 = any type), types..., then pairs (id, lease token). Answers {now, rows}: each
-- leased job's row followed by the seq of its job.started.
local leaseMs, workerId, tenant, ntypes = tonumber(ARGV[6]), ARGV[7], opt(ARGV[8]), tonumber(ARGV[9])
if redis.call('HGET', k('meta'), 'paused') == '1' then return {now, {}} end
local allowed = nil
local first = 10
if ntypes >= 0 then
  allowed = {}
  for i = 1, ntypes do allowed[ARGV[9 + i]] = true end
  first = 10 + ntypes
end
local lx = now + leaseMs
local workerJson = cjson.encode(workerId)
local seen = {}
local touched = {}
local taken = {}
for i = first, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  if not seen[id] then
    seen[id] = true
    local key = jk(id)
    local v = redis.call('HMGET', key, 'st', 'type', 'rAt', 'ten')
    local st, typ = v[1], v[2]
    local ok = false
    if st and (not allowed or allowed[typ]) and (not tenant or v[4] == tenant) then
      if st == 'queued' then
        if fromReady(id, typ, v[4]) then ok = true; touched[typ] = true end
      elseif st == 'scheduled' and tonumber(v[3]) <= now then
        redis.call('ZREM', k('sched'), id)
        ok = true
      end
    end
    if ok then
      local att = redis.call('HINCRBY', key, 'att', 1)
      redis.call('HSET', key, 'st', 'running', 'lt', token, 'lx', lx, 'sAt', now, 'uAt', now, 'wid', workerId)
      redis.call('HDEL', key, 'prog')
      redis.call('ZADD', k('run'), lx, id)
      local r = row(id)
      r[#FIELDS + 1] = logStarted(id, att, workerJson, lx)
      taken[#taken + 1] = r
    end
  end
end
for t in pairs(touched) do
  if redis.call('ZCARD', k('r:' .. t)) == 0 then redis.call('SREM', k('types'), t) end
end
return {now, taken}
