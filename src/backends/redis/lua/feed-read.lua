-- Reads the queue's feed after a stream id: ARGV[6] after ('' = from the oldest entry), [7] most
-- events to answer, [8] most entries to examine, [9] tenant ('' = any, '+t' = only t's events),
-- [10] ntypes (-1 = any type), types... Each entry is resolved to its event in the job's log; an
-- entry whose job was deleted, or that the filters leave out, is examined and passed.
-- Answers {the last id examined or nil, 1 when the end of the stream was reached else 0, events},
-- each event {stream id, feed order, job id, seq, tenant or nil, event JSON}.
local after, want, budget, tenant, ntypes = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]), opt(ARGV[9]), tonumber(ARGV[10])
local allowed = nil
if ntypes >= 0 then
  allowed = {}
  for i = 1, ntypes do allowed[ARGV[10 + i]] = true end
end
local from = '-'
if after ~= '' then from = '(' .. after end
local tenants = {}
local found = {}
local scanned = 0
local last = false
local ended = 0
while #found < want do
  local count = math.min(budget - scanned, math.max(want - #found, 16))
  if count <= 0 then break end
  local page = redis.call('XRANGE', k('feed'), from, '+', 'COUNT', count)
  local examined = 0
  for _, entry in ipairs(page) do
    examined = examined + 1
    scanned = scanned + 1
    last = entry[1]
    -- Fields as XADD wrote them: j <job id> s <seq> o <feed order>.
    local f = entry[2]
    local id, seq = f[2], tonumber(f[4])
    local json = redis.call('LINDEX', k('ev:' .. id), seq - 1)
    if json then
      local ten = tenants[id]
      if ten == nil then
        ten = redis.call('HGET', jk(id), 'ten')
        tenants[id] = ten
      end
      if (not tenant or ten == tenant) and (not allowed or allowed[string.match(json, '^{"type":"([^"]+)"')]) then
        found[#found + 1] = {entry[1], f[6], id, seq, ten, json}
        if #found >= want then break end
      end
    end
  end
  if examined < #page then break end
  if #page < count then ended = 1; break end
  from = '(' .. last
end
return {last, ended, found}
