-- Extends leases: ARGV[6] leaseMs, then pairs (id, lease token). Returns the ids whose lease is gone.
local lx = now + tonumber(ARGV[6])
local lost = {}
for i = 7, #ARGV, 2 do
  local id = ARGV[i]
  if fenced(id, ARGV[i + 1]) then
    redis.call('HSET', jk(id), 'lx', lx)
    redis.call('ZADD', k('run'), 'XX', lx, id)
  else
    lost[#lost + 1] = id
  end
end
return lost
