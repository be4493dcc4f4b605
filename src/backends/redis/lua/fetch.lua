-- Reads jobs by id (a missing one comes back as a row of nils).
local rows = {}
for i = 6, #ARGV do rows[#rows + 1] = row(ARGV[i]) end
return {now, rows}
