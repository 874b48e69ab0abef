-- wrk script: suggest jobs end to end, from a client that costs little
-- CPU (the Python clients of bench/matching.py share the two cores with
-- the stack). Each connection POSTs a job and GETs the job it was told
-- about with Prefer: wait=10; the pool's throughput is counted from the
-- job records by scripts/bench.sh, not from wrk's request rate.
--
-- Environment: CH_BENCH_TOKEN (an assistant's access token),
-- CH_BENCH_PEOPLE (comma-separated participant ids of her district).

local token = os.getenv("CH_BENCH_TOKEN")
local people = {}
for id in string.gmatch(os.getenv("CH_BENCH_PEOPLE") or "", "[^,]+") do
	people[#people + 1] = id
end
local waiting = {}
local n = 0

request = function()
	local job = table.remove(waiting)
	if job then
		return wrk.format("GET", job, {
		    ["Authorization"] = "Bearer " .. token,
		    ["Prefer"] = "wait=10" })
	end
	n = n + 1
	return wrk.format("POST", "/v1/matching/jobs", {
	    ["Authorization"] = "Bearer " .. token,
	    ["Content-Type"] = "application/json" },
	    '{"kind":"suggest","programme":"partners","participant_id":"'
	    .. people[(n % #people) + 1] .. '","k":5}')
end

response = function(status, headers, body)
	if status == 202 then
		waiting[#waiting + 1] = headers["Location"]
	end
end
