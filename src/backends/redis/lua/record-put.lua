-- Writes one record (RedisRecords.putRecord; layout and expiry: lua/record-prelude.lua). ARGV[2] the
-- record's key, ARGV[3] its value as JSON text, ARGV[4] ttlMs ('' = none), ARGV[5] '1' = only when
-- no live record has the key (an expired one is replaced). Returns 1 when written, 0 when not.
local field, value, ttlArg = ARGV[2], ARGV[3], ARGV[4]
local old = redis.call('HGET', key, field)
if ARGV[5] == '1' and live(old) then return 0 end
local pttl = redis.call('PTTL', key)
if ttlArg == '' then
  redis.call('HSET', key, field, '{"v":' .. value .. '}')
  -- A record without expiry keeps its namespace for good.
  if pttl >= 0 then redis.call('PERSIST', key) end
  return 1
end
local ttl = tonumber(ttlArg)
redis.call('HSET', key, field, '{"e":' .. string.format('%.17g', now + ttl) .. ',"v":' .. value .. '}')
if redis.call('HLEN', key) == 1 then
  redis.call('PEXPIRE', key, ttlArg)
elseif pttl >= 0 then
  -- Every record expires: the key lives until the latest one does (when this put shortened the
  -- latest, a little longer: the space is freed late, reads are unaffected).
  if ttl > pttl then redis.call('PEXPIRE', key, ttlArg) end
elseif old and expiresAt(old) == nil then
  -- The record had no expiry and now has one: it may have been the namespace's last such.
  settleExpiry()
end
return 1
