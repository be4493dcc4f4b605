-- Items: id, token, outcome ('r' retry | 'f' fail), delayMs, error JSON.
-- Answers {now, one entry per item}: 0 (lease lost); a retry the seq of its job.retrying; a final
-- failure the finished row (for job:finished) followed by the seq of its job.failed.
local out = {now}
for i = 6, #ARGV, 5 do
  local id, outcome, delay, err = ARGV[i], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4]
  local v = fenced(id, ARGV[i + 1])
  if v then
    local key = jk(id)
    local seq
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
      seq = logEvent(id, 'job.retrying', v[7], '{"error":' .. err .. ',"runAt":' .. num(rAt) .. '}')
      events[#events + 1] = {'r', id, seq}
    else
      redis.call('HSET', key, 'st', 'failed', 'err', err, 'fAt', now, 'uAt', now)
      redis.call('ZADD', k('done:failed'), now, id)
      seq = logEvent(id, 'job.failed', v[7], '{"error":' .. err .. '}')
      events[#events + 1] = {'f', id, seq}
    end
    endLease(id)
    if outcome == 'r' then
      out[#out + 1] = seq
    else
      local r = row(id)
      r[#FIELDS + 1] = seq
      out[#out + 1] = r
    end
  else
    out[#out + 1] = 0
  end
end
publish()
return out
