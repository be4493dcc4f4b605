-- Returns {'nf'}, {'conflict', status} or {'ok', previousStatus, row, seq of its job.cancelled}.
local id, tenant = ARGV[6], opt(ARGV[7])
local v = redis.call('HMGET', jk(id), 'st', 'ten', 'type', 'att')
if not v[1] then return {'nf'} end
if tenant and v[2] ~= tenant then return {'nf'} end
local st = v[1]
if st == 'succeeded' or st == 'failed' or st == 'cancelled' then return {'conflict', st} end
-- The attempt only when a running attempt is cancelled.
local attempt = nil
if st == 'queued' then
  fromReady(id, v[3], v[2])
elseif st == 'scheduled' then
  redis.call('ZREM', k('sched'), id)
else
  endLease(id)
  attempt = v[4]
  events[#events + 1] = {'c', id}
end
redis.call('HDEL', jk(id), 'lt', 'lx')
redis.call('HSET', jk(id), 'st', 'cancelled', 'fAt', now, 'uAt', now)
redis.call('ZADD', k('done:cancelled'), now, id)
local seq = logEvent(id, 'job.cancelled', attempt, '{"from":"' .. st .. '"}')
events[#events + 1] = {'f', id, seq}
publish()
return {'ok', st, row(id), seq}
