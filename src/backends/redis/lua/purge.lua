-- Deletes finished jobs older than the ages given; returns the deleted ids (for the id index).
local finishedBefore, failedBefore, limit = now - tonumber(ARGV[6]), now - tonumber(ARGV[7]), tonumber(ARGV[8])
local deleted = {}
for _, pass in ipairs({{'succeeded', finishedBefore}, {'cancelled', finishedBefore}, {'failed', failedBefore}}) do
  local left = limit - #deleted
  if left <= 0 then break end
  local idx = k('done:' .. pass[1])
  local ids = redis.call('ZRANGEBYSCORE', idx, '-inf', '(' .. string.format('%d', pass[2]), 'LIMIT', 0, left)
  for _, id in ipairs(ids) do
    local v = redis.call('HMGET', jk(id), 'ik', 'ten')
    if v[1] then
      local field = (v[2] or '') .. '\0' .. v[1]
      if redis.call('HGET', k('idem'), field) == id then redis.call('HDEL', k('idem'), field) end
    end
    redis.call('UNLINK', jk(id))
    deleted[#deleted + 1] = id
  end
  if #ids > 0 then
    redis.call('ZREM', idx, unpack(ids))
    redis.call('ZREM', k('all'), unpack(ids))
  end
end
return deleted
