#!/usr/bin/env bash
# make bench: HTTP throughput of the API against PostgreSQL's own ceiling,
# measured in one run on one machine. Prints "bench <name> <value> <unit>".
#
# Baseline: pgbench -S -M prepared with as many clients as Kore has
# database connections (workers x pgsql_conn_max). The ratio of a one-row
# API endpoint to it shows what HTTP, JSON and Kore add to the query.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

duration=${CH_BENCH_SECONDS:-10}
workers=${CH_WORKERS:-2}
conn_max=${CH_PG_CONN_MAX:-2}
clients=$((workers * conn_max))
run_dir=$(mktemp -d /tmp/ch-bench.XXXXXX)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pg_bin=/usr/lib/postgresql/15/bin

export CH_RUN_DIR=$run_dir CH_PORT=$port CH_WORKERS=$workers \
    CH_PG_CONN_MAX=$conn_max CH_API_MODULE=$top/build/bench/api.so
unset CH_DATABASE_URL

cleanup() {
	scripts/stack.sh down >/dev/null 2>&1 || true
	if [ -L "$run_dir/pg" ]; then
		rm -rf "$(readlink -f "$run_dir/pg")"
	fi
	rm -rf "$run_dir"
}
trap cleanup EXIT

scripts/stack.sh up >/dev/null
base=http://127.0.0.1:$port

# pgbench's tables live in their own database of the same cluster.
sock=$(readlink -f "$run_dir/pg")/sock
psql -X -q -h "$sock" -U postgres -d postgres -c 'CREATE DATABASE pgbench'
"$pg_bin/pgbench" -h "$sock" -U postgres -i -q -s 10 pgbench >/dev/null 2>&1

rps() {
	# Warm up so every pooled connection is open and every statement
	# prepared before measuring. Extra arguments go to wrk (headers).
	local url=$1
	shift
	wrk -t2 -c64 -d1s "$@" "$url" >/dev/null 2>&1
	wrk -t2 -c64 -d"${duration}s" "$@" "$url" | awk '
	    /Non-2xx/ { bad = $NF }
	    /Requests\/sec/ { rps = $2 }
	    END { if (bad > 0) { print "non-2xx answers: " bad > "/dev/stderr";
	          exit 1 } printf "%.0f\n", rps }'
}

tps=$("$pg_bin/pgbench" -h "$sock" -U postgres -S -M prepared -n \
    -c "$clients" -j 2 -T "$duration" pgbench |
    awk '/^tps/ { printf "%.0f\n", $3 }')
health=$(rps "$base/healthz")
district=$(rps "$base/v1/districts/16067")
district_c=$(rps "$base/bench/districts-cjson/16067")
places=$(rps "$base/v1/places?district=16067&limit=20")
# An authenticated one-query endpoint: JWT verification plus the account
# and session lookup, next to the unauthenticated one-query district.
token=$(scripts/stack.sh token coordinator 16051)
me=$(rps "$base/v1/me" -H "Authorization: Bearer $token")
# Connecting Partners reads, authenticated: one offer (the first demo
# offer) and a page of 20 offers of one district.
offer=$(rps "$base/v1/offers/d0000000-0000-4000-8000-000000000001" \
    -H "Authorization: Bearer $token")
offers=$(rps "$base/v1/offers?district_id=16067&limit=20" \
    -H "Authorization: Bearer $token")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'; }

echo "bench pgbench_select_tps $tps tx/s"
echo "bench kore_healthz $health req/s"
echo "bench district_get $district req/s"
echo "bench district_get_json_in_c $district_c req/s"
echo "bench places_list_20 $places req/s"
echo "bench district_get_vs_pgbench $(ratio "$district" "$tps") ratio"
echo "bench json_pg_vs_c $(ratio "$district" "$district_c") ratio"
echo "bench me_get_authenticated $me req/s"
echo "bench me_vs_district_get $(ratio "$me" "$district") ratio"
echo "bench me_vs_healthz $(ratio "$me" "$health") ratio"
echo "bench offer_get_authenticated $offer req/s"
echo "bench offer_get_vs_pgbench $(ratio "$offer" "$tps") ratio"
echo "bench offers_list_20 $offers req/s"
echo "bench offers_list_20_vs_pgbench $(ratio "$offers" "$tps") ratio"

# ---------------------------------------------------------------------
# Matching: end-to-end suggest jobs (POST, then GET with Prefer: wait)
# through Kore, PostgreSQL and the ch-matcher pool that `stack.sh up`
# started (CH_MATCHER_WORKERS, default 2), against a baseline read of a
# finished job in the same run. bench/matching.py prints its own lines.
/usr/bin/python3 bench/matching.py "$base"

# The same jobs from wrk (a C client with a Lua script), so the two cores
# go to the stack rather than to Python: jobs finished per second, from
# the job records of the measured window.
admin=$(scripts/stack.sh db-admin-url)
bench_people=$(psql "$admin" -X -q -A -t -c "SELECT string_agg(p.id::text, ',')
    FROM ch.participant p WHERE p.district_id = '16051'
    AND p.status IN ('waiting', 'placed')")
bench_token=$(scripts/stack.sh token assistant 16051)
psql "$admin" -X -q -c "UPDATE ch.proposal SET status = 'expired'
    WHERE status IN ('pending', 'approved')"
t0=$(psql "$admin" -X -q -A -t -c "SELECT clock_timestamp()")
CH_BENCH_TOKEN=$bench_token CH_BENCH_PEOPLE=$bench_people \
    wrk -t1 -c8 -d"${duration}s" -s bench/matching_jobs.lua "$base" >/dev/null
t1=$(psql "$admin" -X -q -A -t -c "SELECT clock_timestamp()")
psql "$admin" -X -q -A -t -c "SELECT 'bench matching_suggest_jobs_wrk ' ||
    round(count(*) / extract(epoch FROM '$t1'::timestamptz
	- '$t0'::timestamptz)) || ' jobs/s'
    FROM ch.matching_job WHERE finished_at BETWEEN '$t0' AND '$t1'
    AND status = 'succeeded'"
