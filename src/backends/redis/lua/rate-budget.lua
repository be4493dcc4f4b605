-- One provider scope's rate budget (the policy of core/rate-budget.ts, applyRateBudget, in Lua) on
-- one hash of its own: KEYS[1] is the scope's key (a hash tag of its own: any Cluster slot).
-- ARGV[1] now ('' = the Redis server's clock), ARGV[2] the action as JSON. Numbers are stored and
-- returned as '%.17g' strings: exact doubles (Lua's tostring and script replies would round them).
-- Hash fields: f factor, b blockedUntil, t:<bucket> tokens, u:<bucket> updatedAt.
local key = KEYS[1]
local now = clockNow(ARGV[1])
local action = cjson.decode(ARGV[2])
local function num(x) return string.format('%.17g', x) end
local stored = redis.call('HGETALL', key)
local factor, blockedUntil = 1, 0
local buckets = {}
for i = 1, #stored, 2 do
  local f, v = stored[i], stored[i + 1]
  local p = string.sub(f, 1, 2)
  if f == 'f' then factor = tonumber(v)
  elseif f == 'b' then blockedUntil = tonumber(v)
  elseif p == 't:' or p == 'u:' then
    local name = string.sub(f, 3)
    buckets[name] = buckets[name] or {}
    if p == 't:' then buckets[name].tokens = tonumber(v) else buckets[name].updatedAt = tonumber(v) end
  end
end
local function bucket(req)
  local size = math.max(1, req.burst * factor)
  local perMs = (req.ratePerMinute * factor) / 60000
  local s = buckets[req.key]
  local tokens, updatedAt
  if s and s.tokens and s.updatedAt then
    tokens = math.min(size, s.tokens + math.max(0, now - s.updatedAt) * perMs)
    updatedAt = math.max(s.updatedAt, now)
  else
    tokens = size
    updatedAt = now
  end
  local current = {tokens = tokens, updatedAt = updatedAt}
  buckets[req.key] = current
  return current, size, perMs
end
local granted, waitMs = 1, 0
local kind = action.kind
if kind == 'acquire' then
  if now < blockedUntil then
    granted, waitMs = 0, blockedUntil - now
  else
    local refilled = {}
    for i, req in ipairs(action.buckets) do
      local current, size, perMs = bucket(req)
      refilled[i] = {req, current, size, perMs}
    end
    for _, r in ipairs(refilled) do
      local need = math.min(r[1].cost, r[3])
      if r[2].tokens < need then
        local w = 60000
        if r[4] > 0 then w = math.ceil((need - r[2].tokens) / r[4]) end
        waitMs = math.max(waitMs, w)
      end
    end
    if waitMs > 0 then
      granted = 0
    else
      for _, r in ipairs(refilled) do r[2].tokens = r[2].tokens - r[1].cost end
    end
  end
elseif kind == 'adjust' then
  local current, size = bucket(action.bucket)
  current.tokens = math.min(size, current.tokens + action.delta)
elseif kind == 'decrease' then
  factor = math.max(action.minFactor, factor * action.multiplier)
  blockedUntil = math.max(blockedUntil, now + math.max(0, action.blockMs))
  for name, b in pairs(buckets) do
    if b.tokens and b.updatedAt then
      buckets[name] = {tokens = math.min(b.tokens, 0), updatedAt = math.max(b.updatedAt, now)}
    end
  end
elseif kind == 'increase' then
  factor = math.min(1, factor + action.step)
elseif kind ~= 'read' then
  return redis.error_reply('unknown rate budget action')
end
local h = {'f', num(factor), 'b', num(blockedUntil)}
for name, b in pairs(buckets) do
  if b.tokens and b.updatedAt then
    h[#h + 1] = 't:' .. name; h[#h + 1] = num(b.tokens)
    h[#h + 1] = 'u:' .. name; h[#h + 1] = num(b.updatedAt)
  end
end
redis.call('HSET', key, unpack(h))
return {granted, num(waitMs), num(factor), num(blockedUntil)}
