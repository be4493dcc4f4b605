-- Running jobs whose lease expired: back to ready, or failed on their last attempt. Each logs
-- job.lost {error, status}, and a failed one job.failed after it. Answers {now, requeued ids,
-- failed rows (each followed by its last seq), count, the requeued ids' seqs}.
local limit, err = tonumber(ARGV[6]), ARGV[7]
local ids = redis.call('ZRANGEBYSCORE', k('run'), '-inf', now, 'LIMIT', 0, limit)
local requeued, failed, requeuedSeqs = {}, {}, {}
for _, id in ipairs(ids) do
  local key = jk(id)
  local v = redis.call('HMGET', key, 'att', 'max', 'type', 'pri', 'rAt', 'ten')
  redis.call('HDEL', key, 'lt', 'lx')
  if tonumber(v[1]) < tonumber(v[2]) then
    redis.call('HSET', key, 'st', 'queued', 'err', err, 'uAt', now)
    toReady(id, v[3], v[4], v[5], v[6])
    local seq = logEvent(id, 'job.lost', v[1], '{"error":' .. err .. ',"status":"queued"}')
    events[#events + 1] = {'r', id, seq}
    requeued[#requeued + 1] = id
    requeuedSeqs[#requeuedSeqs + 1] = seq
  else
    redis.call('HSET', key, 'st', 'failed', 'err', err, 'fAt', now, 'uAt', now)
    redis.call('ZADD', k('done:failed'), now, id)
    logEvent(id, 'job.lost', v[1], '{"error":' .. err .. ',"status":"failed"}')
    local seq = logEvent(id, 'job.failed', v[1], '{"error":' .. err .. '}')
    events[#events + 1] = {'f', id, seq}
    local r = row(id)
    r[#FIELDS + 1] = seq
    failed[#failed + 1] = r
  end
end
if #ids > 0 then redis.call('ZREM', k('run'), unpack(ids)) end
publish()
return {now, requeued, failed, #ids, requeuedSeqs}
