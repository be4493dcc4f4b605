-- ARGV[6] 'ids' | 'scan', [7] limit, [8] offset into the failed index, [9] type, [10] tenant, ids...
-- Answers {moved ids, ids examined, the moved ids' seqs (each job.redriven)}.
local mode, limit, offset, typ, tenant = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]), opt(ARGV[9]), opt(ARGV[10])
-- The new maxAttempts / timeoutMs ('' = keep), replacing what made the jobs fail.
local maxAttempts, timeoutMs = ARGV[11], ARGV[12]
local cands
if mode == 'ids' then
  cands = {}
  for i = 13, #ARGV do cands[#cands + 1] = ARGV[i] end
else
  cands = redis.call('ZRANGE', k('done:failed'), offset, offset + limit - 1)
end
local moved, seqs = {}, {}
for _, id in ipairs(cands) do
  if #moved >= limit then break end
  local key = jk(id)
  local v = redis.call('HMGET', key, 'st', 'type', 'ten', 'pri')
  if v[1] == 'failed' and (not typ or v[2] == typ) and (not tenant or v[3] == tenant) then
    redis.call('HDEL', key, 'err', 'out', 'prog', 'sAt', 'fAt', 'wid', 'lt', 'lx')
    redis.call('HSET', key, 'st', 'queued', 'att', 0, 'rAt', now, 'uAt', now)
    if maxAttempts ~= '' then redis.call('HSET', key, 'max', maxAttempts) end
    if timeoutMs ~= '' then redis.call('HSET', key, 'to', timeoutMs) end
    redis.call('ZREM', k('done:failed'), id)
    toReady(id, v[2], v[4], now, v[3])
    local seq = logEvent(id, 'job.redriven', nil, '{"runAt":' .. num(now) .. '}')
    events[#events + 1] = {'r', id, seq}
    moved[#moved + 1] = id
    seqs[#seqs + 1] = seq
  end
end
if #moved > 0 then events[#events + 1] = {'e', #moved} end
publish()
return {moved, #cands, seqs}
