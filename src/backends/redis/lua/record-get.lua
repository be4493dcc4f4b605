-- One live record (RedisRecords.getRecord; layout: lua/record-prelude.lua). ARGV[2] the record's
-- key. Returns the stored text, or nil when there is no live record.
local doc = redis.call('HGET', key, ARGV[2])
if live(doc) then return doc end
return false
