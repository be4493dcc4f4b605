-- Records a running attempt's progress: ARGV[6] id, [7] lease token, [8] progress JSON ('' = none).
local id, progress = ARGV[6], ARGV[8]
if not fenced(id, ARGV[7]) then return 0 end
if progress == '' then redis.call('HDEL', jk(id), 'prog') else redis.call('HSET', jk(id), 'prog', progress) end
redis.call('HSET', jk(id), 'uAt', now)
events[1] = {'p', id, progress}
publish()
return 1
