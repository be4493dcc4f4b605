-- Appends usage entries to the usage log (KEYS[1], a sorted set by time) in one call. ARGV[1] now in
-- epoch ms ('' = the Redis server's clock, TIME); then pairs of (at or '' = now, member).
local key = KEYS[1]
local now = string.format('%d', clockNow(ARGV[1]))
for i = 2, #ARGV, 2 do
  local at = ARGV[i]
  if at == '' then at = now end
  redis.call('ZADD', key, at, ARGV[i + 1])
end
return (#ARGV - 1) / 2
