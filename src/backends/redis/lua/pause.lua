-- Sets the queue's paused flag: ARGV[6] '1' or '0'.
redis.call('HSET', k('meta'), 'paused', ARGV[6], 'uAt', now)
events[1] = {'z', ARGV[6]}
publish()
return 1
