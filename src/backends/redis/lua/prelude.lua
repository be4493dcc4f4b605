-- The prelude of every queue script (all but rate-budget.lua and usage-record.lua), after the
-- constants lua.ts generates from TypeScript: FIELDS (the job hash fields, in row() order), F (field
-- name -> position in FIELDS) and a script's own constants. See lua.ts for the argument conventions.
-- The last argument of every queue script is the feed order of its call (lua.ts): taken off here,
-- so that each script's own arguments end where they did.
local feedOrder = table.remove(ARGV)
local base = ARGV[1]
local queue = ARGV[3]
local function k(s) return base .. ':' .. s end
local function jk(id) return base .. ':j:' .. id end
local SHIFT = 4398046511104
local now = clockNow(ARGV[2])
local function row(id) return redis.call('HMGET', jk(id), unpack(FIELDS)) end
-- A number as JSON text, integers in full (Lua's tostring keeps 14 significant digits).
local function num(x) return string.format('%.17g', x) end
-- The job's event log (ports/event-log.ts): one JSON event per change, pushed on `{p:q}:ev:<id>` (its
-- seq is the list's length after the push) in the same script as the change, and a reference to it
-- (job id, seq, feed order) added to the queue's feed stream. `data` is JSON text, built by
-- concatenation: the caller's JSON (outputs, errors, progress) is stored as sent, never re-encoded.
-- `attempt` is nil for the events that belong to no attempt. Answers the seq.
local function logEvent(id, typ, attempt, data, order)
  local e = '{"type":"' .. typ .. '","at":' .. num(now)
  if attempt then e = e .. ',"attempt":' .. attempt end
  local seq = redis.call('RPUSH', k('ev:' .. id), e .. ',"data":' .. data .. '}')
  redis.call('XADD', k('feed'), '*', 'j', id, 's', seq, 'o', order or feedOrder)
  return seq
end
-- `job.started` of a claim: the attempt it starts and its lease.
local function logStarted(id, att, workerJson, lx)
  return logEvent(id, 'job.started', att, '{"workerId":' .. workerJson .. ',"leaseExpiresAt":' .. num(lx) .. '}')
end
-- JSON text that may be '' (absent): `{"name":text}`, or `{}` for absent (JSON has no undefined).
local function fieldOrEmpty(name, text)
  if text == '' then return '{}' end
  return '{"' .. name .. '":' .. text .. '}'
end
-- Claim order in one number: priority DESC (-1000..1000) then runAt ASC (epoch ms < 2^42, year 2109).
-- (1000 - priority) * 2^42 + runAt < 2001 * 2^42 < 2^53, so every score is an exact double; equal
-- scores fall back to member order, and ids are UUIDv7: the oldest job first.
local function score(pri, runAt)
  local p = tonumber(pri)
  if p > 1000 then p = 1000 elseif p < -1000 then p = -1000 end
  local r = tonumber(runAt)
  if r < 0 then r = 0 elseif r >= SHIFT then r = SHIFT - 1 end
  return (1000 - p) * SHIFT + r
end
-- One tenant's ready jobs of one type (tenant-scoped claims). The tenant's byte length comes first,
-- so no other (tenant, type) pair spells the same key: 'a:b' + 'c' and 'a' + 'b:c' stay apart.
local function tk(ten, typ) return base .. ':tr:' .. #ten .. ':' .. ten .. ':' .. typ end
-- Every ready job is in its type's set; a job with a tenant is also in its tenant's set of that type.
local function toReady(id, typ, pri, runAt, ten)
  local s = score(pri, runAt)
  redis.call('ZADD', k('r:' .. typ), s, id)
  redis.call('SADD', k('types'), typ)
  if ten then redis.call('ZADD', tk(ten, typ), s, id) end
end
-- Takes a job out of the ready sets; answers whether it was ready (in its type's set).
local function fromReady(id, typ, ten)
  if ten then redis.call('ZREM', tk(ten, typ), id) end
  return redis.call('ZREM', k('r:' .. typ), id) == 1
end
local function opt(s) if s == '' then return nil end return string.sub(s, 2) end
local events = {}
local function publish()
  if #events > 0 then
    redis.call('PUBLISH', ARGV[5], cjson.encode({o = ARGV[4], q = queue, e = events}))
  end
end
-- The fence of every attempt-scoped write: the job is running under exactly this lease token.
-- v: st, lt, type, pri, rAt, ten, att.
local function fenced(id, token)
  local v = redis.call('HMGET', jk(id), 'st', 'lt', 'type', 'pri', 'rAt', 'ten', 'att')
  if v[1] == 'running' and v[2] == token then return v end
  return nil
end
local function endLease(id)
  redis.call('HDEL', jk(id), 'lt', 'lx')
  redis.call('ZREM', k('run'), id)
end
