-- Claim (ARGV[6] = 'claim') or peek (ARGV[6] = 'peek', for claims over several queues: the client
-- merges the queues' candidates, then claims from each what the merge gave it). Both first promote
-- due scheduled jobs to ready, at most 1000 per call. A claim gets one fresh lease token (the last
-- argument) and gives the i-th job that token with i in its last four hex digits (see lease-token.ts).
-- ARGV[7] limit, [8] leaseMs, [9] workerId, [10] tenant ('' = any tenant, '+t' = only tenant t's
-- jobs, read from the tenant's ready sets), [11] ntypes (-1 = any type), types..., token.
-- A claim answers {now, rows}: each leased job's row followed by the seq of its job.started.
local mode, limit, leaseMs, workerId = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
local tenant, ntypes = opt(ARGV[10]), tonumber(ARGV[11])
if redis.call('HGET', k('meta'), 'paused') == '1' then return {now, {}} end
local due = redis.call('ZRANGEBYSCORE', k('sched'), '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(due) do
  local v = redis.call('HMGET', jk(id), 'type', 'pri', 'rAt', 'ten')
  toReady(id, v[1], v[2], v[3], v[4])
  redis.call('HSET', jk(id), 'st', 'queued', 'uAt', now)
end
if #due > 0 then redis.call('ZREM', k('sched'), unpack(due)) end
local types
local tokens = 12
if ntypes < 0 then
  -- A tenant's ready types are among the queue's (each of its ready jobs is in its type's set too).
  types = redis.call('SMEMBERS', k('types'))
else
  types = {}
  for i = 1, ntypes do types[i] = ARGV[11 + i] end
  tokens = 12 + ntypes
end
local cands = {}
for _, t in ipairs(types) do
  local key
  if tenant then key = tk(tenant, t) else key = k('r:' .. t) end
  local r = redis.call('ZRANGE', key, 0, limit - 1, 'WITHSCORES')
  for i = 1, #r, 2 do cands[#cands + 1] = {tonumber(r[i + 1]), r[i], t} end
end
table.sort(cands, function(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  return a[2] < b[2]
end)
local taken = {}
if mode == 'peek' then
  for i = 1, math.min(limit, #cands) do
    taken[#taken + 1] = cands[i][1]
    taken[#taken + 1] = cands[i][2]
  end
  return {now, taken}
end
local lx = now + leaseMs
local workerJson = cjson.encode(workerId)
local touched = {}
for i = 1, math.min(limit, #cands) do
  local c = cands[i]
  local id = c[2]
  -- A tenant's entry whose job is not ready (left by a version that kept no tenant sets) is dropped
  -- and skipped: only a job still in its type's set is leased.
  if fromReady(id, c[3], tenant) then
    local key = jk(id)
    touched[c[3]] = true
    local att = redis.call('HINCRBY', key, 'att', 1)
    local token = string.sub(ARGV[tokens], 1, 32) .. string.format('%04x', #taken) .. string.sub(ARGV[tokens], 37)
    redis.call('HSET', key, 'st', 'running', 'lt', token, 'lx', lx, 'sAt', now, 'uAt', now, 'wid', workerId)
    redis.call('HDEL', key, 'prog')
    redis.call('ZADD', k('run'), lx, id)
    local r = row(id)
    if not tenant and r[F.ten] then redis.call('ZREM', tk(r[F.ten], c[3]), id) end
    r[#FIELDS + 1] = logStarted(id, att, workerJson, lx)
    taken[#taken + 1] = r
  end
end
for t in pairs(touched) do
  if redis.call('ZCARD', k('r:' .. t)) == 0 then redis.call('SREM', k('types'), t) end
end
return {now, taken}
