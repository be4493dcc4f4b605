-- Deletes one record (RedisRecords.deleteRecord; layout and expiry: lua/record-prelude.lua). ARGV[2]
-- the record's key. Returns 1 when a live record was deleted, 0 otherwise (an expired one is
-- deleted too, freeing its space).
local old = redis.call('HGET', key, ARGV[2])
if not old then return 0 end
redis.call('HDEL', key, ARGV[2])
if expiresAt(old) == nil then settleExpiry() end
if live(old) then return 1 end
return 0
