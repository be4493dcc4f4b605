-- Items: id, token, outcome ('r' retry | 'f' fail), delayMs, error JSON.
local out = {now}
for i = 6, #ARGV, 5 do
  local id, outcome, delay, err = ARGV[i], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4]
  local v = fenced(id, ARGV[i + 1])
  if v then
    local key = jk(id)
    if outcome == 'r' then
      if delay < 0 then delay = 0 end
      local rAt = now + delay
      if rAt > now then
        redis.call('HSET', key, 'st', 'scheduled', 'rAt', rAt, 'err', err, 'uAt', now)
        redis.call('ZADD', k('sched'), rAt, id)
      else
        redis.call('HSET', key, 'st', 'queued', 'rAt', rAt, 'err', err, 'uAt', now)
        toReady(id, v[3], v[4], rAt, v[6])
      end
      events[#events + 1] = {'r', id}
    else
      redis.call('HSET', key, 'st', 'failed', 'err', err, 'fAt', now, 'uAt', now)
      redis.call('ZADD', k('done:failed'), now, id)
      events[#events + 1] = {'f', id}
    end
    endLease(id)
    -- A retry answers 1; a final failure answers the finished job (for job:finished).
    if outcome == 'r' then out[#out + 1] = 1 else out[#out + 1] = row(id) end
  else
    out[#out + 1] = 0
  end
end
publish()
return out
