-- Counts per state. Without a tenant: from the state indexes (cheap). With a tenant: a walk over the
-- queue's jobs (the indexes are not per tenant). Lag: the smallest runAt among ready jobs, found by
-- visiting the first member of each priority band, plus due scheduled jobs.
local tenant = opt(ARGV[6])
local c = {scheduled = 0, queued = 0, running = 0, succeeded = 0, failed = 0, cancelled = 0}
local oldest = -1
local function older(r) if oldest < 0 or r < oldest then oldest = r end end
if not tenant then
  local due = redis.call('ZCOUNT', k('sched'), '-inf', now)
  c.scheduled = redis.call('ZCARD', k('sched')) - due
  c.queued = due
  if due > 0 then older(tonumber(redis.call('ZRANGE', k('sched'), 0, 0, 'WITHSCORES')[2])) end
  for _, t in ipairs(redis.call('SMEMBERS', k('types'))) do
    local key = k('r:' .. t)
    c.queued = c.queued + redis.call('ZCARD', key)
    local lo = '-inf'
    while true do
      local r = redis.call('ZRANGEBYSCORE', key, lo, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
      if #r == 0 then break end
      older(tonumber(redis.call('HGET', jk(r[1]), 'rAt')))
      lo = string.format('%d', (math.floor(tonumber(r[2]) / SHIFT) + 1) * SHIFT)
    end
  end
  c.running = redis.call('ZCARD', k('run'))
  c.succeeded = redis.call('ZCARD', k('done:succeeded'))
  c.failed = redis.call('ZCARD', k('done:failed'))
  c.cancelled = redis.call('ZCARD', k('done:cancelled'))
else
  local offset = 0
  while true do
    local ids = redis.call('ZRANGE', k('all'), offset, offset + 999)
    for _, id in ipairs(ids) do
      local v = redis.call('HMGET', jk(id), 'ten', 'st', 'rAt')
      if v[1] == tenant and v[2] then
        local st, r = v[2], tonumber(v[3])
        if st == 'scheduled' and r <= now then st = 'queued' end
        c[st] = c[st] + 1
        if st == 'queued' then older(r) end
      end
    end
    if #ids < 1000 then break end
    offset = offset + 1000
  end
end
return {now, redis.call('HGET', k('meta'), 'paused') or '', redis.call('EXISTS', k('meta')),
  c.scheduled, c.queued, c.running, c.succeeded, c.failed, c.cancelled, oldest}
