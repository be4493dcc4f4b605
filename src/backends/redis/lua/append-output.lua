-- Appends output chunks of a running attempt as one job.output.delta: ARGV[6] id, [7] lease token,
-- [8] the chunks as one JSON array. Answers {seq, attempt, now, tenant or nil}, or 0 (lease lost).
local id, chunks = ARGV[6], ARGV[8]
local v = fenced(id, ARGV[7])
if not v then return 0 end
redis.call('HSET', jk(id), 'uAt', now)
local seq = logEvent(id, 'job.output.delta', v[7], '{"chunks":' .. chunks .. '}')
events[1] = {'a', id, seq}
publish()
return {seq, tonumber(v[7]), now, v[6]}
