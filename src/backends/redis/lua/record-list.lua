-- The namespace's live records (RedisRecords.listRecords; layout: lua/record-prelude.lua), as
-- key, stored text, key, stored text, ... in no order: Lua compares strings by the server's locale,
-- so the client sorts by UTF-8 bytes and pages.
local flat = redis.call('HGETALL', key)
local out = {}
for i = 1, #flat, 2 do
  if live(flat[i + 1]) then
    out[#out + 1] = flat[i]
    out[#out + 1] = flat[i + 1]
  end
end
return out
