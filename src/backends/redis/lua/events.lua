-- One job's events after a seq: ARGV[6] id, [7] tenant ('' = any, '+t' = only t's job), [8] after
-- (a seq), [9] most events. Answers nil for an unknown (or another tenant's) job, else {tenant or
-- nil, the events' JSON from seq after + 1 on}.
local id, tenant, after, limit = ARGV[6], opt(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local v = redis.call('HMGET', jk(id), 'id', 'ten')
if not v[1] or (tenant and v[2] ~= tenant) then return false end
-- LRANGE's stop counts from the end when negative: no range for a limit of 0.
if limit <= 0 then return {v[2], {}} end
return {v[2], redis.call('LRANGE', k('ev:' .. id), after, after + limit - 1)}
