-- Items: id, token, mode ('s' succeed | 'x' output too large: fail permanently), payload.
local wantRows = ARGV[6] == '1'
local out = {now}
for i = 7, #ARGV, 4 do
  local id, mode, payload = ARGV[i], ARGV[i + 2], ARGV[i + 3]
  if fenced(id, ARGV[i + 1]) then
    local key = jk(id)
    if mode == 's' then
      redis.call('HSET', key, 'st', 'succeeded', 'fAt', now, 'uAt', now)
      if payload == '' then redis.call('HDEL', key, 'out') else redis.call('HSET', key, 'out', payload) end
      redis.call('ZADD', k('done:succeeded'), now, id)
    else
      redis.call('HSET', key, 'st', 'failed', 'err', payload, 'fAt', now, 'uAt', now)
      redis.call('ZADD', k('done:failed'), now, id)
    end
    endLease(id)
    events[#events + 1] = {'f', id}
    if wantRows then out[#out + 1] = row(id) else out[#out + 1] = 1 end
  else
    out[#out + 1] = 0
  end
end
publish()
return out
