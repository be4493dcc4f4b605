-- Gives leased jobs back to ready without counting the attempt: pairs (id, lease token). Answers,
-- per pair, the seq of its job.released (the attempt it gives back), or 0 (lease lost).
local out = {}
for i = 6, #ARGV, 2 do
  local id = ARGV[i]
  local v = fenced(id, ARGV[i + 1])
  if v then
    redis.call('HINCRBY', jk(id), 'att', -1)
    redis.call('HSET', jk(id), 'st', 'queued', 'uAt', now)
    endLease(id)
    toReady(id, v[3], v[4], v[5], v[6])
    local seq = logEvent(id, 'job.released', v[7], '{}')
    events[#events + 1] = {'r', id, seq}
    out[#out + 1] = seq
  else
    out[#out + 1] = 0
  end
end
publish()
return out
