-- ARGV[6] n jobs, ARGV[7] c checks. Then the checks, ENQUEUE_CHECK_ARITY arguments each (the job's
-- index in the whole batch, its queue's base, tenant \0 key, '' or '+request hash'): when a
-- stored job holds one of those keys with another request hash (a job with none matches any),
-- nothing is written and the reply is {now, 'mismatch', index, stored id} (a bulk is all or none;
-- on a single node each queue's script checks every queue's keys, so all of one MULTI agree). Then
-- the jobs, ENQUEUE_ARITY arguments each (the last one the job's feed order). Then, on a single
-- Redis node only, the global indexes (docs/redis.md): the queue-set key and each job's id-shard
-- key, which this script writes itself for the jobs it creates; on a Cluster they live in other
-- slots and the client writes them beforehand.
-- Reply: {now, one entry per job}: the stored job's row (an idempotent repeat, which logs nothing),
-- the new job's last seq (job.created, then job.scheduled when it waits), or 0 (a resent call).
local n = tonumber(ARGV[6])
local c = tonumber(ARGV[7])
for i = 0, c - 1 do
  local a = 8 + i * ENQUEUE_CHECK_ARITY
  local cbase = ARGV[a + 1]
  local holder = redis.call('HGET', cbase .. ':idem', ARGV[a + 2])
  if holder then
    local stored = redis.call('HGET', cbase .. ':j:' .. holder, 'rh')
    if stored and stored ~= opt(ARGV[a + 3]) then return {now, 'mismatch', ARGV[a], holder} end
  end
end
local jobs = 7 + c * ENQUEUE_CHECK_ARITY
local out = {now}
local created = 0
local indexes = jobs + 1 + n * ENQUEUE_ARITY
local queuesKey = ARGV[indexes]
if queuesKey then redis.call('SADD', queuesKey, queue) end
for i = 0, n - 1 do
  local o = jobs + i * ENQUEUE_ARITY
  local id, typ, input, pri, max, bo = ARGV[o + 1], ARGV[o + 2], ARGV[o + 3], ARGV[o + 4], ARGV[o + 5], ARGV[o + 6]
  local to, ik, md, ten, runAt, delay = ARGV[o + 7], opt(ARGV[o + 8]), ARGV[o + 9], opt(ARGV[o + 10]), ARGV[o + 11], ARGV[o + 12]
  local rh = opt(ARGV[o + 13])
  -- The job's place in the feed's order: the batch's first stamp plus its index in the whole batch.
  local order = ARGV[o + 14]
  local idemField = nil
  local existing = nil
  if ik then
    idemField = (ten or '') .. '\0' .. ik
    existing = redis.call('HGET', k('idem'), idemField)
  end
  if existing then
    out[#out + 1] = row(existing)
  elseif redis.call('EXISTS', jk(id)) == 1 then
    -- The same call arriving twice (a resend after a lost reply): the job is stored (and logged) once.
    out[#out + 1] = 0
  else
    local rAt
    if runAt ~= '' then rAt = tonumber(runAt) else rAt = now + tonumber(delay) end
    local st = 'queued'
    if rAt > now then st = 'scheduled' end
    local h = {'id', id, 'q', queue, 'type', typ, 'st', st, 'in', input, 'pri', pri, 'att', 0, 'max', max, 'bo', bo,
      'cAt', now, 'rAt', rAt, 'uAt', now}
    if to ~= '' then h[#h + 1] = 'to'; h[#h + 1] = to end
    if ik then h[#h + 1] = 'ik'; h[#h + 1] = ik; redis.call('HSET', k('idem'), idemField, id) end
    if md ~= '' then h[#h + 1] = 'md'; h[#h + 1] = md end
    if ten then h[#h + 1] = 'ten'; h[#h + 1] = ten end
    if rh then h[#h + 1] = 'rh'; h[#h + 1] = rh end
    redis.call('HSET', jk(id), unpack(h))
    redis.call('ZADD', k('all'), 0, id)
    if st == 'scheduled' then redis.call('ZADD', k('sched'), rAt, id) else toReady(id, typ, pri, rAt, ten) end
    if queuesKey then redis.call('HSET', ARGV[indexes + 1 + i], id, queue) end
    local seq = logEvent(id, 'job.created', nil,
      '{"type":' .. cjson.encode(typ) .. ',"status":"' .. st .. '","runAt":' .. num(rAt) .. ',"priority":' .. pri .. '}', order)
    if st == 'scheduled' then seq = logEvent(id, 'job.scheduled', nil, '{"runAt":' .. num(rAt) .. '}', order) end
    created = created + 1
    out[#out + 1] = seq
  end
end
if created > 0 then events[1] = {'e', created} end
publish()
return out
