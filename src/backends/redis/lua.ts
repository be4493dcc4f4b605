/**
 * The Lua scripts. Every state change that touches more than one key is one script, so a crash or a
 * lost connection between two commands cannot lose or duplicate a job. ioredis `defineCommand` loads
 * each script once and runs it by EVALSHA (re-sending the source on NOSCRIPT, e.g. after a restart).
 *
 * Conventions shared by every script:
 * - KEYS[1] is the queue's `meta` key: it routes the call to the queue's slot on Redis Cluster. The
 *   other keys are built from ARGV[1], the queue's hash tag, so they are in the same slot.
 * - ARGV[1] base `{prefix:queue}`, ARGV[2] now in epoch ms ('' = the Redis server's clock, TIME),
 *   ARGV[3] queue, ARGV[4] origin (this backend handle's id), ARGV[5] pub/sub channel; script
 *   arguments follow from ARGV[6].
 * - Scripts check everything before they write: Redis does not roll a script back on error.
 * - `#!lua` (Redis 7 function flags syntax): a script that may write is refused up front when Redis
 *   is out of memory, instead of failing half-way.
 * - Optional strings travel as '' (absent) or '+value'.
 */

/** Job hash fields, in the order `row()` returns them (row-mapping.ts reads them by this order). */
export const FIELDS = [
  'id',
  'q',
  'type',
  'st',
  'in',
  'out',
  'err',
  'prog',
  'pri',
  'att',
  'max',
  'bo',
  'to',
  'ik',
  'md',
  'ten',
  'cAt',
  'rAt',
  'sAt',
  'fAt',
  'uAt',
  'lt',
  'lx',
  'wid',
  // The request hash of a job with an idempotency key (SLUICE_IDEMPOTENCY_MISMATCH).
  'rh',
] as const;

/** Arguments per job in the enqueue script. */
export const ENQUEUE_ARITY = 13;

/** Arguments per idempotency check in the enqueue script (see ENQUEUE). */
export const ENQUEUE_CHECK_ARITY = 4;

const PRELUDE = `#!lua
local base = ARGV[1]
local queue = ARGV[3]
local function k(s) return base .. ':' .. s end
local function jk(id) return base .. ':j:' .. id end
local SHIFT = 4398046511104
local now
if ARGV[2] ~= '' then
  now = tonumber(ARGV[2])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local FIELDS = {${FIELDS.map((f) => `'${f}'`).join(', ')}}
local function row(id) return redis.call('HMGET', jk(id), unpack(FIELDS)) end
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
-- FIELDS position of the tenant in row().
local TEN = ${FIELDS.indexOf('ten') + 1}
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
local function fenced(id, token)
  local v = redis.call('HMGET', jk(id), 'st', 'lt', 'type', 'pri', 'rAt', 'ten')
  if v[1] == 'running' and v[2] == token then return v end
  return nil
end
local function endLease(id)
  redis.call('HDEL', jk(id), 'lt', 'lx')
  redis.call('ZREM', k('run'), id)
end
`;

/**
 * ARGV[6] n jobs, ARGV[7] c checks. Then the checks, ENQUEUE_CHECK_ARITY arguments each (the job's
 * index in the whole batch, its queue's base, `tenant \0 key`, '' or '+request hash'): when a
 * stored job holds one of those keys with another request hash (a job with none matches any),
 * nothing is written and the reply is {now, 'mismatch', index, stored id} (a bulk is all or none;
 * on a single node each queue's script checks every queue's keys, so all of one MULTI agree). Then
 * the jobs, ENQUEUE_ARITY arguments each. Then, on a single Redis node only, the global indexes
 * (docs/redis.md): the queue-set key and each job's id-shard key, which this script writes itself for
 * the jobs it creates; on a Cluster they live in other slots and the client writes them beforehand.
 */
const ENQUEUE = `${PRELUDE}
local n = tonumber(ARGV[6])
local c = tonumber(ARGV[7])
for i = 0, c - 1 do
  local a = 8 + i * ${ENQUEUE_CHECK_ARITY}
  local cbase = ARGV[a + 1]
  local holder = redis.call('HGET', cbase .. ':idem', ARGV[a + 2])
  if holder then
    local stored = redis.call('HGET', cbase .. ':j:' .. holder, 'rh')
    if stored and stored ~= opt(ARGV[a + 3]) then return {now, 'mismatch', ARGV[a], holder} end
  end
end
local jobs = 7 + c * ${ENQUEUE_CHECK_ARITY}
local out = {now}
local created = 0
local indexes = jobs + 1 + n * ${ENQUEUE_ARITY}
local queuesKey = ARGV[indexes]
if queuesKey then redis.call('SADD', queuesKey, queue) end
for i = 0, n - 1 do
  local o = jobs + i * ${ENQUEUE_ARITY}
  local id, typ, input, pri, max, bo = ARGV[o + 1], ARGV[o + 2], ARGV[o + 3], ARGV[o + 4], ARGV[o + 5], ARGV[o + 6]
  local to, ik, md, ten, runAt, delay = ARGV[o + 7], opt(ARGV[o + 8]), ARGV[o + 9], opt(ARGV[o + 10]), ARGV[o + 11], ARGV[o + 12]
  local rh = opt(ARGV[o + 13])
  local idemField = nil
  local existing = nil
  if ik then
    idemField = (ten or '') .. '\\0' .. ik
    existing = redis.call('HGET', k('idem'), idemField)
  end
  if existing then
    out[#out + 1] = row(existing)
  elseif redis.call('EXISTS', jk(id)) == 1 then
    -- The same call arriving twice (a resend after a lost reply): the job is stored once.
    out[#out + 1] = 1
  else
    local rAt
    if runAt ~= '' then rAt = tonumber(runAt) else rAt = now + tonumber(delay) end
    local st = 'queued'
    if rAt > now then st = 'scheduled' end
    local h = {'id', id, 'q', queue, 'type', typ, 'st', st, 'in', input, 'pri', pri, 'att', 0, 'max', max, 'bo', bo,
      'cAt', now, 'rAt', rAt, 'uAt', now}
    if to ~= '' then h[#h + 1] = 'to'; h[#h + 1] = to end
    if ik then h[#h + 1] = 'ik'; h[#h + 1] = ik; redis.call('HSET', k('idem'), idemField, id) end
    if md ~= '' then h[#h + 1] = 'md'; h[#h + 1] = md end
    if ten then h[#h + 1] = 'ten'; h[#h + 1] = ten end
    if rh then h[#h + 1] = 'rh'; h[#h + 1] = rh end
    redis.call('HSET', jk(id), unpack(h))
    redis.call('ZADD', k('all'), 0, id)
    if st == 'scheduled' then redis.call('ZADD', k('sched'), rAt, id) else toReady(id, typ, pri, rAt, ten) end
    if queuesKey then redis.call('HSET', ARGV[indexes + 1 + i], id, queue) end
    created = created + 1
    out[#out + 1] = 1
  end
end
if created > 0 then events[1] = {'e', created} end
publish()
return out
`;

/**
 * Claim (ARGV[6] = 'claim') or peek (ARGV[6] = 'peek', for claims over several queues: the client
 * merges the queues' candidates, then claims from each what the merge gave it). Both first promote
 * due scheduled jobs to ready, at most 1000 per call. A claim gets one fresh lease token (the last
 * argument) and gives the i-th job that token with i in its last four hex digits (see lease-token.ts).
 * ARGV[7] limit, [8] leaseMs, [9] workerId, [10] tenant ('' = any tenant, '+t' = only tenant t's
 * jobs, read from the tenant's ready sets), [11] ntypes (-1 = any type), types..., token.
 */
const CLAIM = `${PRELUDE}
local mode, limit, leaseMs, workerId = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
local tenant, ntypes = opt(ARGV[10]), tonumber(ARGV[11])
if redis.call('HGET', k('meta'), 'paused') == '1' then return {now, {}} end
local due = redis.call('ZRANGEBYSCORE', k('sched'), '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(due) do
  local v = redis.call('HMGET', jk(id), 'type', 'pri', 'rAt', 'ten')
  toReady(id, v[1], v[2], v[3], v[4])
  redis.call('HSET', jk(id), 'st', 'queued', 'uAt', now)
end
if #due > 0 then redis.call('ZREM', k('sched'), unpack(due)) end
local types
local tokens = 12
if ntypes < 0 then
  -- A tenant's ready types are among the queue's (each of its ready jobs is in its type's set too).
  types = redis.call('SMEMBERS', k('types'))
else
  types = {}
  for i = 1, ntypes do types[i] = ARGV[11 + i] end
  tokens = 12 + ntypes
end
local cands = {}
for _, t in ipairs(types) do
  local key
  if tenant then key = tk(tenant, t) else key = k('r:' .. t) end
  local r = redis.call('ZRANGE', key, 0, limit - 1, 'WITHSCORES')
  for i = 1, #r, 2 do cands[#cands + 1] = {tonumber(r[i + 1]), r[i], t} end
end
table.sort(cands, function(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  return a[2] < b[2]
end)
local taken = {}
if mode == 'peek' then
  for i = 1, math.min(limit, #cands) do
    taken[#taken + 1] = cands[i][1]
    taken[#taken + 1] = cands[i][2]
  end
  return {now, taken}
end
local lx = now + leaseMs
local touched = {}
for i = 1, math.min(limit, #cands) do
  local c = cands[i]
  local id = c[2]
  -- A tenant's entry whose job is not ready (left by a version that kept no tenant sets) is dropped
  -- and skipped: only a job still in its type's set is leased.
  if fromReady(id, c[3], tenant) then
    local key = jk(id)
    touched[c[3]] = true
    redis.call('HINCRBY', key, 'att', 1)
    local token = string.sub(ARGV[tokens], 1, 32) .. string.format('%04x', #taken) .. string.sub(ARGV[tokens], 37)
    redis.call('HSET', key, 'st', 'running', 'lt', token, 'lx', lx, 'sAt', now, 'uAt', now, 'wid', workerId)
    redis.call('HDEL', key, 'prog')
    redis.call('ZADD', k('run'), lx, id)
    local r = row(id)
    if not tenant and r[TEN] then redis.call('ZREM', tk(r[TEN], c[3]), id) end
    taken[#taken + 1] = r
  end
end
for t in pairs(touched) do
  if redis.call('ZCARD', k('r:' .. t)) == 0 then redis.call('SREM', k('types'), t) end
end
return {now, taken}
`;

/**
 * Leases exactly the listed jobs of this queue that are claimable now (a transport delivered their
 * ids): queued, or scheduled and due; queue not paused; type in the filter; tenant as given. The
 * rest are skipped. ARGV[6] leaseMs, [7] workerId, [8] tenant ('' = any, '+t' = only t's jobs),
 * [9] ntypes (-1 = any type), types..., then pairs (id, lease token).
 */
const CLAIM_IDS = `${PRELUDE}
local leaseMs, workerId, tenant, ntypes = tonumber(ARGV[6]), ARGV[7], opt(ARGV[8]), tonumber(ARGV[9])
if redis.call('HGET', k('meta'), 'paused') == '1' then return {now, {}} end
local allowed = nil
local first = 10
if ntypes >= 0 then
  allowed = {}
  for i = 1, ntypes do allowed[ARGV[9 + i]] = true end
  first = 10 + ntypes
end
local lx = now + leaseMs
local seen = {}
local touched = {}
local taken = {}
for i = first, #ARGV, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  if not seen[id] then
    seen[id] = true
    local key = jk(id)
    local v = redis.call('HMGET', key, 'st', 'type', 'rAt', 'ten')
    local st, typ = v[1], v[2]
    local ok = false
    if st and (not allowed or allowed[typ]) and (not tenant or v[4] == tenant) then
      if st == 'queued' then
        if fromReady(id, typ, v[4]) then ok = true; touched[typ] = true end
      elseif st == 'scheduled' and tonumber(v[3]) <= now then
        redis.call('ZREM', k('sched'), id)
        ok = true
      end
    end
    if ok then
      redis.call('HINCRBY', key, 'att', 1)
      redis.call('HSET', key, 'st', 'running', 'lt', token, 'lx', lx, 'sAt', now, 'uAt', now, 'wid', workerId)
      redis.call('HDEL', key, 'prog')
      redis.call('ZADD', k('run'), lx, id)
      taken[#taken + 1] = row(id)
    end
  end
end
for t in pairs(touched) do
  if redis.call('ZCARD', k('r:' .. t)) == 0 then redis.call('SREM', k('types'), t) end
end
return {now, taken}
`;

/**
 * One provider scope's rate budget (the policy of core/rate-budget.ts, applyRateBudget, in Lua) on
 * one hash of its own: KEYS[1] is the scope's key (a hash tag of its own: any Cluster slot).
 * ARGV[1] now ('' = the Redis server's clock), ARGV[2] the action as JSON. Numbers are stored and
 * returned as '%.17g' strings: exact doubles (Lua's tostring and script replies would round them).
 * Hash fields: `f` factor, `b` blockedUntil, `t:<bucket>` tokens, `u:<bucket>` updatedAt.
 */
const RATE_BUDGET = `#!lua
local key = KEYS[1]
local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
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
`;

/**
 * Appends usage entries to the usage log (KEYS[1], a sorted set by time) in one call. ARGV[1] now in
 * epoch ms ('' = the Redis server's clock, TIME); then pairs of (at or '' = now, member).
 */
const USAGE_RECORD = `#!lua
local key = KEYS[1]
local now
if ARGV[1] ~= '' then
  now = ARGV[1]
else
  local t = redis.call('TIME')
  now = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end
for i = 2, #ARGV, 2 do
  local at = ARGV[i]
  if at == '' then at = now end
  redis.call('ZADD', key, at, ARGV[i + 1])
end
return (#ARGV - 1) / 2
`;

const HEARTBEAT = `${PRELUDE}
local lx = now + tonumber(ARGV[6])
local lost = {}
for i = 7, #ARGV, 2 do
  local id = ARGV[i]
  if fenced(id, ARGV[i + 1]) then
    redis.call('HSET', jk(id), 'lx', lx)
    redis.call('ZADD', k('run'), 'XX', lx, id)
  else
    lost[#lost + 1] = id
  end
end
return lost
`;

/** Items: id, token, mode ('s' succeed | 'x' output too large: fail permanently), payload. */
const COMPLETE = `${PRELUDE}
local wantRows = ARGV[6] == '1'
local out = {now}
for i = 7, #ARGV, 4 do
  local id, mode, payload = ARGV[i], ARGV[i + 2], ARGV[i + 3]
  if fenced(id, ARGV[i + 1]) then
    local key = jk(id)
    if mode == 's' then
      redis.call('HSET', key, 'st', 'succeeded', 'fAt', now, 'uAt', now)
      if payload == '' then redis.call('HDEL', key, 'out') else redis.call('HSET', key, 'out', payload) end
      redis.call('ZADD', k('done:succeeded'), now, id)
    else
      redis.call('HSET', key, 'st', 'failed', 'err', payload, 'fAt', now, 'uAt', now)
      redis.call('ZADD', k('done:failed'), now, id)
    end
    endLease(id)
    events[#events + 1] = {'f', id}
    if wantRows then out[#out + 1] = row(id) else out[#out + 1] = 1 end
  else
    out[#out + 1] = 0
  end
end
publish()
return out
`;

/** Items: id, token, outcome ('r' retry | 'f' fail), delayMs, error JSON. */
const FAIL = `${PRELUDE}
local out = {now}
for i = 6, #ARGV, 5 do
  local id, outcome, delay, err = ARGV[i], ARGV[i + 2], tonumber(ARGV[i + 3]), ARGV[i + 4]
  local v = fenced(id, ARGV[i + 1])
  if v then
    local key = jk(id)
    if outcome == 'r' then
      if delay < 0 then delay = 0 end
      local rAt = now + delay
      if rAt > now then
        redis.call('HSET', key, 'st', 'scheduled', 'rAt', rAt, 'err', err, 'uAt', now)
        redis.call('ZADD', k('sched'), rAt, id)
      else
        redis.call('HSET', key, 'st', 'queued', 'rAt', rAt, 'err', err, 'uAt', now)
        toReady(id, v[3], v[4], rAt, v[6])
      end
      events[#events + 1] = {'r', id}
    else
      redis.call('HSET', key, 'st', 'failed', 'err', err, 'fAt', now, 'uAt', now)
      redis.call('ZADD', k('done:failed'), now, id)
      events[#events + 1] = {'f', id}
    end
    endLease(id)
    -- A retry answers 1; a final failure answers the finished job (for job:finished).
    if outcome == 'r' then out[#out + 1] = 1 else out[#out + 1] = row(id) end
  else
    out[#out + 1] = 0
  end
end
publish()
return out
`;

const RELEASE = `${PRELUDE}
local out = {}
for i = 6, #ARGV, 2 do
  local id = ARGV[i]
  local v = fenced(id, ARGV[i + 1])
  if v then
    redis.call('HINCRBY', jk(id), 'att', -1)
    redis.call('HSET', jk(id), 'st', 'queued', 'uAt', now)
    endLease(id)
    toReady(id, v[3], v[4], v[5], v[6])
    events[#events + 1] = {'r', id}
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
publish()
return out
`;

const PROGRESS = `${PRELUDE}
local id, progress = ARGV[6], ARGV[8]
if not fenced(id, ARGV[7]) then return 0 end
if progress == '' then redis.call('HDEL', jk(id), 'prog') else redis.call('HSET', jk(id), 'prog', progress) end
redis.call('HSET', jk(id), 'uAt', now)
events[1] = {'p', id, progress}
publish()
return 1
`;

/** Returns {'nf'}, {'conflict', status} or {'ok', previousStatus, row}. */
const CANCEL = `${PRELUDE}
local id, tenant = ARGV[6], opt(ARGV[7])
local v = redis.call('HMGET', jk(id), 'st', 'ten', 'type')
if not v[1] then return {'nf'} end
if tenant and v[2] ~= tenant then return {'nf'} end
local st = v[1]
if st == 'succeeded' or st == 'failed' or st == 'cancelled' then return {'conflict', st} end
if st == 'queued' then
  fromReady(id, v[3], v[2])
elseif st == 'scheduled' then
  redis.call('ZREM', k('sched'), id)
else
  endLease(id)
  events[#events + 1] = {'c', id}
end
redis.call('HDEL', jk(id), 'lt', 'lx')
redis.call('HSET', jk(id), 'st', 'cancelled', 'fAt', now, 'uAt', now)
redis.call('ZADD', k('done:cancelled'), now, id)
events[#events + 1] = {'f', id}
publish()
return {'ok', st, row(id)}
`;

/** Running jobs whose lease expired: back to ready, or failed on their last attempt. */
const RECLAIM = `${PRELUDE}
local limit, err = tonumber(ARGV[6]), ARGV[7]
local ids = redis.call('ZRANGEBYSCORE', k('run'), '-inf', now, 'LIMIT', 0, limit)
local requeued, failed = {}, {}
for _, id in ipairs(ids) do
  local key = jk(id)
  local v = redis.call('HMGET', key, 'att', 'max', 'type', 'pri', 'rAt', 'ten')
  redis.call('HDEL', key, 'lt', 'lx')
  if tonumber(v[1]) < tonumber(v[2]) then
    redis.call('HSET', key, 'st', 'queued', 'err', err, 'uAt', now)
    toReady(id, v[3], v[4], v[5], v[6])
    events[#events + 1] = {'r', id}
    requeued[#requeued + 1] = id
  else
    redis.call('HSET', key, 'st', 'failed', 'err', err, 'fAt', now, 'uAt', now)
    redis.call('ZADD', k('done:failed'), now, id)
    events[#events + 1] = {'f', id}
    failed[#failed + 1] = row(id)
  end
end
if #ids > 0 then redis.call('ZREM', k('run'), unpack(ids)) end
publish()
return {now, requeued, failed, #ids}
`;

/** ARGV[6] 'ids' | 'scan', [7] limit, [8] offset into the failed index, [9] type, [10] tenant, ids... */
const REDRIVE = `${PRELUDE}
local mode, limit, offset, typ, tenant = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]), opt(ARGV[9]), opt(ARGV[10])
-- The new maxAttempts / timeoutMs ('' = keep), replacing what made the jobs fail.
local maxAttempts, timeoutMs = ARGV[11], ARGV[12]
local cands
if mode == 'ids' then
  cands = {}
  for i = 13, #ARGV do cands[#cands + 1] = ARGV[i] end
else
  cands = redis.call('ZRANGE', k('done:failed'), offset, offset + limit - 1)
end
local moved = {}
for _, id in ipairs(cands) do
  if #moved >= limit then break end
  local key = jk(id)
  local v = redis.call('HMGET', key, 'st', 'type', 'ten', 'pri')
  if v[1] == 'failed' and (not typ or v[2] == typ) and (not tenant or v[3] == tenant) then
    redis.call('HDEL', key, 'err', 'out', 'prog', 'sAt', 'fAt', 'wid', 'lt', 'lx')
    redis.call('HSET', key, 'st', 'queued', 'att', 0, 'rAt', now, 'uAt', now)
    if maxAttempts ~= '' then redis.call('HSET', key, 'max', maxAttempts) end
    if timeoutMs ~= '' then redis.call('HSET', key, 'to', timeoutMs) end
    redis.call('ZREM', k('done:failed'), id)
    toReady(id, v[2], v[4], now, v[3])
    events[#events + 1] = {'r', id}
    moved[#moved + 1] = id
  end
end
if #moved > 0 then events[#events + 1] = {'e', #moved} end
publish()
return {moved, #cands}
`;

/** Deletes finished jobs older than the ages given; returns the deleted ids (for the id index). */
const PURGE = `${PRELUDE}
local finishedBefore, failedBefore, limit = now - tonumber(ARGV[6]), now - tonumber(ARGV[7]), tonumber(ARGV[8])
local deleted = {}
for _, pass in ipairs({{'succeeded', finishedBefore}, {'cancelled', finishedBefore}, {'failed', failedBefore}}) do
  local left = limit - #deleted
  if left <= 0 then break end
  local idx = k('done:' .. pass[1])
  local ids = redis.call('ZRANGEBYSCORE', idx, '-inf', '(' .. string.format('%d', pass[2]), 'LIMIT', 0, left)
  for _, id in ipairs(ids) do
    local v = redis.call('HMGET', jk(id), 'ik', 'ten')
    if v[1] then
      local field = (v[2] or '') .. '\\0' .. v[1]
      if redis.call('HGET', k('idem'), field) == id then redis.call('HDEL', k('idem'), field) end
    end
    redis.call('UNLINK', jk(id))
    deleted[#deleted + 1] = id
  end
  if #ids > 0 then
    redis.call('ZREM', idx, unpack(ids))
    redis.call('ZREM', k('all'), unpack(ids))
  end
end
return deleted
`;

const PAUSE = `${PRELUDE}
redis.call('HSET', k('meta'), 'paused', ARGV[6], 'uAt', now)
events[1] = {'z', ARGV[6]}
publish()
return 1
`;

/**
 * Counts per state. Without a tenant: from the state indexes (cheap). With a tenant: a walk over the
 * queue's jobs (the indexes are not per tenant). Lag: the smallest runAt among ready jobs, found by
 * visiting the first member of each priority band, plus due scheduled jobs.
 */
const STATS = `${PRELUDE}
local tenant = opt(ARGV[6])
local c = {scheduled = 0, queued = 0, running = 0, succeeded = 0, failed = 0, cancelled = 0}
local oldest = -1
local function older(r) if oldest < 0 or r < oldest then oldest = r end end
if not tenant then
  local due = redis.call('ZCOUNT', k('sched'), '-inf', now)
  c.scheduled = redis.call('ZCARD', k('sched')) - due
  c.queued = due
  if due > 0 then older(tonumber(redis.call('ZRANGE', k('sched'), 0, 0, 'WITHSCORES')[2])) end
  for _, t in ipairs(redis.call('SMEMBERS', k('types'))) do
    local key = k('r:' .. t)
    c.queued = c.queued + redis.call('ZCARD', key)
    local lo = '-inf'
    while true do
      local r = redis.call('ZRANGEBYSCORE', key, lo, '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
      if #r == 0 then break end
      older(tonumber(redis.call('HGET', jk(r[1]), 'rAt')))
      lo = string.format('%d', (math.floor(tonumber(r[2]) / SHIFT) + 1) * SHIFT)
    end
  end
  c.running = redis.call('ZCARD', k('run'))
  c.succeeded = redis.call('ZCARD', k('done:succeeded'))
  c.failed = redis.call('ZCARD', k('done:failed'))
  c.cancelled = redis.call('ZCARD', k('done:cancelled'))
else
  local offset = 0
  while true do
    local ids = redis.call('ZRANGE', k('all'), offset, offset + 999)
    for _, id in ipairs(ids) do
      local v = redis.call('HMGET', jk(id), 'ten', 'st', 'rAt')
      if v[1] == tenant and v[2] then
        local st, r = v[2], tonumber(v[3])
        if st == 'scheduled' and r <= now then st = 'queued' end
        c[st] = c[st] + 1
        if st == 'queued' then older(r) end
      end
    end
    if #ids < 1000 then break end
    offset = offset + 1000
  end
end
return {now, redis.call('HGET', k('meta'), 'paused') or '', redis.call('EXISTS', k('meta')),
  c.scheduled, c.queued, c.running, c.succeeded, c.failed, c.cancelled, oldest}
`;

/**
 * Newest first from the list index, below a cursor id, filtered. Scans at most ARGV[8] ids; when it
 * stops on that budget it returns the last id it examined, so the client knows how far this queue's
 * answer is complete. Each row is row()'s fields followed by the byte sizes of 'in' and 'out'
 * (HSTRLEN, which reads no value); 'in' and 'out' themselves come back only when ARGV[12] names
 * them ('i', 'o'), so a page of summaries does not carry every job's input and output.
 */
const LIST = `${PRELUDE}
local cursor, want, budget, status, typ, tenant = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9], opt(ARGV[10]), opt(ARGV[11])
local fields = {unpack(FIELDS)}
-- A field name no hash has reads as nil, keeping every row the same shape.
if not string.find(ARGV[12], 'i', 1, true) then fields[${FIELDS.indexOf('in') + 1}] = '-' end
if not string.find(ARGV[12], 'o', 1, true) then fields[${FIELDS.indexOf('out') + 1}] = '-' end
local function listed(id)
  local r = redis.call('HMGET', jk(id), unpack(fields))
  r[#r + 1] = redis.call('HSTRLEN', jk(id), 'in')
  r[#r + 1] = redis.call('HSTRLEN', jk(id), 'out')
  return r
end
local max = '+'
if cursor ~= '' then max = '(' .. cursor end
local rows = {}
local scanned = 0
local boundary = false
while #rows < want do
  local chunk = math.min(500, budget - scanned)
  if chunk <= 0 then break end
  local ids = redis.call('ZREVRANGEBYLEX', k('all'), max, '-', 'LIMIT', 0, chunk)
  for _, id in ipairs(ids) do
    scanned = scanned + 1
    max = '(' .. id
    local v = redis.call('HMGET', jk(id), 'st', 'rAt', 'type', 'ten')
    if v[1] then
      local st = v[1]
      if st == 'scheduled' and tonumber(v[2]) <= now then st = 'queued' end
      if (status == '' or st == status) and (not typ or v[3] == typ) and (not tenant or v[4] == tenant) then
        rows[#rows + 1] = listed(id)
        if #rows >= want then break end
      end
    end
  end
  if #ids < chunk then break end
  if #rows < want and scanned >= budget then boundary = string.sub(max, 2) end
end
return {now, boundary, rows}
`;

/** Reads jobs by id (a missing one comes back as a row of nils). */
const FETCH = `${PRELUDE}
local rows = {}
for i = 6, #ARGV do rows[#rows + 1] = row(ARGV[i]) end
return {now, rows}
`;

/**
 * Script name -> source. Each becomes an ioredis command taking one key (the queue's meta key; the
 * rate-budget and usage scripts take their own key).
 */
export const SCRIPTS = {
  sluiceEnqueue: ENQUEUE,
  sluiceClaim: CLAIM,
  sluiceClaimIds: CLAIM_IDS,
  sluiceRateBudget: RATE_BUDGET,
  sluiceUsageRecord: USAGE_RECORD,
  sluiceHeartbeat: HEARTBEAT,
  sluiceComplete: COMPLETE,
  sluiceFail: FAIL,
  sluiceRelease: RELEASE,
  sluiceProgress: PROGRESS,
  sluiceCancel: CANCEL,
  sluiceReclaim: RECLAIM,
  sluiceRedrive: REDRIVE,
  sluicePurge: PURGE,
  sluicePause: PAUSE,
  sluiceStats: STATS,
  sluiceList: LIST,
  sluiceFetch: FETCH,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
