-- Shared by the record scripts (lua/record-*.lua, RedisRecords): KEYS[1] is one namespace's hash
-- (a hash tag of its own: any Cluster slot), ARGV[1] now in epoch ms ('' = the Redis server's
-- clock, TIME); the script's own arguments follow from ARGV[2].
-- A field is one record: its key -> '{"e":EXPIRES,"v":VALUE}', or '{"v":VALUE}' without expiry;
-- EXPIRES is epoch ms as '%.17g'. The expiry leads the text, so a script reads it without decoding
-- the value.
-- The key's own TTL frees the namespace once all of its records have expired: it is set while every
-- record has an expiry (until the latest, as a PEXPIRE relative to now, so that it holds on an
-- injected clock too) and removed by a record without one.
local key = KEYS[1]
local now = clockNow(ARGV[1])

-- Milliseconds as Redis reads them: a whole number, never in exponent form (Lua's own number to
-- string conversion, '%.14g', would write a long TTL as 1e+15).
local function ms(x) return string.format('%d', x) end

-- A stored record's expiry in epoch ms, or nil when it has none.
local function expiresAt(doc)
  local e = string.match(doc, '^{"e":([^,]+),')
  if e then return tonumber(e) end
  return nil
end

-- Whether a stored record (false: none) is live at now.
local function live(doc)
  if not doc then return false end
  local e = expiresAt(doc)
  return e == nil or e > now
end

-- After a write that may have taken away the namespace's last record without expiry: a record
-- without one keeps the key for good; otherwise the expired records go and the key expires with the
-- latest record left. O(records in the namespace), which is small by contract.
local function settleExpiry()
  local flat = redis.call('HGETALL', key)
  local latest
  local expired = {}
  for i = 1, #flat, 2 do
    local e = expiresAt(flat[i + 1])
    if e == nil then
      redis.call('PERSIST', key)
      return
    end
    if e <= now then
      expired[#expired + 1] = flat[i]
    elseif latest == nil or e > latest then
      latest = e
    end
  end
  for _, field in ipairs(expired) do redis.call('HDEL', key, field) end
  if latest ~= nil then redis.call('PEXPIRE', key, ms(math.ceil(latest - now))) end
end
