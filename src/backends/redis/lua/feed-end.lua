-- The id of the newest entry of the queue's feed, or nil when it has none.
local newest = redis.call('XREVRANGE', k('feed'), '+', '-', 'COUNT', 1)
if #newest == 0 then return false end
return newest[1][1]
