-- Newest first from the list index, below a cursor id, filtered. Scans at most ARGV[8] ids; when it
-- stops on that budget it returns the last id it examined, so the client knows how far this queue's
-- answer is complete. Each row is row()'s fields followed by the byte sizes of 'in' and 'out'
-- (HSTRLEN, which reads no value); 'in' and 'out' themselves come back only when ARGV[12] names
-- them ('i', 'o'), so a page of summaries does not carry every job's input and output.
local cursor, want, budget, status, typ, tenant = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9], opt(ARGV[10]), opt(ARGV[11])
local fields = {unpack(FIELDS)}
-- A field name no hash has reads as nil, keeping every row the same shape.
if not string.find(ARGV[12], 'i', 1, true) then fields[F['in']] = '-' end
if not string.find(ARGV[12], 'o', 1, true) then fields[F.out] = '-' end
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
