-- Put before every script (lua.ts): the time a call works at, in epoch ms. `given` is the caller's
-- clock as an argument (an injected clock); '' asks for the Redis server's own (TIME).
local function clockNow(given)
  if given ~= '' then return tonumber(given) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
