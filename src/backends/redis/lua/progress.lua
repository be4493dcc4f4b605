-- Records a running attempt's progress: ARGV[6] id, [7] lease token, [8] progress JSON ('' = none).
-- Answers the seq of its job.progress, or 0 (lease lost).
local id, progress = ARGV[6], ARGV[8]
local v = fenced(id, ARGV[7])
if not v then return 0 end
if progress == '' then redis.call('HDEL', jk(id), 'prog') else redis.call('HSET', jk(id), 'prog', progress) end
redis.call('HSET', jk(id), 'uAt', now)
local seq = logEvent(id, 'job.progress', v[7], fieldOrEmpty('progress', progress))
events[1] = {'p', id, progress, seq}
publish()
return seq
