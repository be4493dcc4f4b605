-- Items: id, token, mode ('s' succeed | 'x' output too large: fail permanently), payload.
-- Answers {now, one entry per item}: 0 (lease lost), else the seq of the event it logged
-- (job.succeeded / job.failed), or with ARGV[6] = '1' the finished row followed by that seq.
local wantRows = ARGV[6] == '1'
local out = {now}
for i = 7, #ARGV, 4 do
  local id, mode, payload = ARGV[i], ARGV[i + 2], ARGV[i + 3]
  local v = fenced(id, ARGV[i + 1])
  if v then
    local key = jk(id)
    local seq
    if mode == 's' then
      redis.call('HSET', key, 'st', 'succeeded', 'fAt', now, 'uAt', now)
      if payload == '' then redis.call('HDEL', key, 'out') else redis.call('HSET', key, 'out', payload) end
      redis.call('ZADD', k('done:succeeded'), now, id)
      seq = logEvent(id, 'job.succeeded', v[7], fieldOrEmpty('output', payload))
    else
      redis.call('HSET', key, 'st', 'failed', 'err', payload, 'fAt', now, 'uAt', now)
      redis.call('ZADD', k('done:failed'), now, id)
      seq = logEvent(id, 'job.failed', v[7], '{"error":' .. payload .. '}')
    end
    endLease(id)
    events[#events + 1] = {'f', id, seq}
    if wantRows then
      local r = row(id)
      r[#FIELDS + 1] = seq
      out[#out + 1] = r
    else
      out[#out + 1] = seq
    end
  else
    out[#out + 1] = 0
  end
end
publish()
return out
