-- Running jobs whose lease expired: back to ready, or failed on their last attempt.
local limit, err = tonumber(ARGV[6]), ARGV[7]
local ids = redis.call('ZRANGEBYSCORE', k('run'), '-inf', now, 'LIMIT', 0, limit)
local requeued, failed = {}, {}
for _, id in ipairs(ids) do
  local key = jk(id)
  local v = redis.call('HMGET', key, 'att', 'max', 'type', 'pri', 'rAt', 'ten')
  redis.call('HDEL', key, 'lt', 'lx')
  if tonumber(v[1]) < tonumber(v[2]) then
    redis.call('HSET', key, 'st', 'queued', 'err', err, 'uAt', now)
    toReady(id, v[3], v[4], v[5], v[6])
    events[#events + 1] = {'r', id}
    requeued[#requeued + 1] = id
  else
    redis.call('HSET', key, 'st', 'failed', 'err', err, 'fAt', now, 'uAt', now)
    redis.call('ZADD', k('done:failed'), now, id)
    events[#events + 1] = {'f', id}
    failed[#failed + 1] = row(id)
  end
end
if #ids > 0 then redis.call('ZREM', k('run'), unpack(ids)) end
publish()
return {now, requeued, failed, #ids}
