-- Deletes finished jobs older than the ages given, with their event logs; returns the deleted ids
-- (for the id index). ARGV[6] finished age, [7] failed age, [8] most jobs, [9] most feed entries to
-- examine when trimming the feed.
local finishedBefore, failedBefore, limit = now - tonumber(ARGV[6]), now - tonumber(ARGV[7]), tonumber(ARGV[8])
local trimBudget = tonumber(ARGV[9])
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
    redis.call('UNLINK', jk(id), k('ev:' .. id))
    deleted[#deleted + 1] = id
  end
  if #ids > 0 then
    redis.call('ZREM', idx, unpack(ids))
    redis.call('ZREM', k('all'), unpack(ids))
  end
end
-- The feed holds references only: a deleted job's entries read as gone (readers skip them). Its
-- head is trimmed (XTRIM MINID) up to the first entry whose job is still kept: trimming by age would
-- also drop kept jobs' events, which the feed returns until their job goes. An emptied stream keeps
-- its key, and so its last id: later entries still sort after every cursor handed out.
local feed = k('feed')
local from = '-'
local scanned = 0
local keep, lastStale = nil, nil
while not keep and scanned < trimBudget do
  local page = redis.call('XRANGE', feed, from, '+', 'COUNT', math.min(256, trimBudget - scanned))
  if #page == 0 then break end
  for _, entry in ipairs(page) do
    if redis.call('EXISTS', k('ev:' .. entry[2][2])) == 1 then keep = entry[1]; break end
    scanned = scanned + 1
    lastStale = entry[1]
  end
  from = '(' .. page[#page][1]
end
if lastStale then
  if keep then
    redis.call('XTRIM', feed, 'MINID', keep)
  else
    -- Every entry examined was stale (all of them, or the budget ran out: the next sweep goes on).
    redis.call('XTRIM', feed, 'MINID', lastStale)
    redis.call('XDEL', feed, lastStale)
  end
end
return deleted
