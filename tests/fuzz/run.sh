#!/usr/bin/env bash
# Runs libFuzzer targets one after another, each for SECONDS on a scratch
# copy of its seed corpus, and prints per target the executions, speed,
# coverage and findings. Exits 1 when any target found something.
#
#   tests/fuzz/run.sh SECONDS TARGET...     (from the repository root;
#                                            make fuzz / make fuzz-smoke)
#
# Binaries are build/fuzz/<target>, dictionaries build/fuzz/dict/; seeds are
# tests/fuzz/corpus/<target>/. What a run leaves (log, grown corpus,
# crash-/leak-/timeout-/oom- inputs) is in build/fuzz/run/<target>/: the
# committed corpus never grows by accident. FUZZ_ARGS adds libFuzzer
# options (e.g. FUZZ_ARGS=-seed=1).
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ $# -lt 2 ]; then
	echo "usage: $0 SECONDS TARGET..." >&2
	exit 2
fi
seconds=$1
shift

# Longest input per target: room for every structure its parser knows
# (a token is at most TOKEN_MAX bytes); longer ones only slow the search.
max_len() {
	case $1 in
	fuzz_codec)		echo 2048 ;;
	fuzz_token)		echo 4097 ;;
	fuzz_schema)		echo 8192 ;;
	fuzz_matcher_input)	echo 16384 ;;
	*)			echo 4096 ;;
	esac
}

# The number after "name:" where it last occurs in a libFuzzer log.
field() {
	grep -a -Eo "$1: *[0-9]+" "$2" | tail -n 1 | grep -Eo '[0-9]+$'
}

status=0
summary=()
for t in "$@"; do
	bin=build/fuzz/$t
	dir=build/fuzz/run/$t
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is missing (make fuzz-build)" >&2
		exit 2
	fi
	rm -rf "$dir"
	mkdir -p "$dir/corpus"
	if [ -d "tests/fuzz/corpus/$t" ]; then
		cp -R "tests/fuzz/corpus/$t/." "$dir/corpus/"
	fi
	dict=()
	if [ -f "build/fuzz/dict/$t.dict" ]; then
		dict=("-dict=build/fuzz/dict/$t.dict")
	fi

	echo "== $t: ${seconds}s"
	# A finding stops the target: its input is in $dir for the report.
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	    "$bin" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
	    -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
	    -print_final_stats=1 -artifact_prefix="$dir/" ${FUZZ_ARGS:-} \
	    "$dir/corpus" >"$dir/fuzz.log" 2>&1
	rc=$?

	log=$dir/fuzz.log
	execs=$(field 'stat::number_of_executed_units' "$log")
	speed=$(field 'stat::average_exec_per_sec' "$log")
	cov=$(field 'cov' <(grep -a -E '^#[0-9]+' "$log"))
	ft=$(field 'ft' <(grep -a -E '^#[0-9]+' "$log"))
	units=$(find "$dir/corpus" -type f | wc -l)
	findings=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o \
	    -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
	nfind=$(printf '%s' "$findings" | grep -c . || true)

	line=$(printf '%-20s %11s execs %7s exec/s  cov %5s  ft %6s' \
	    "$t" "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}")
	line="$line  corpus $units  findings $nfind"
	echo "$line"
	summary+=("$line")
	if [ "$rc" -ne 0 ] || [ "$nfind" -ne 0 ]; then
		status=1
		echo "-- $t failed (exit $rc); from $log:"
		grep -a -E -e '^SUMMARY|ERROR: libFuzzer|==ERROR' \
		    -e 'runtime error|property failed|Test unit written' \
		    "$log" | head -n 20 | sed 's/^/   /'
		for f in $findings; do
			echo "   reproduce: $bin $f"
		done
	fi
done

echo
echo "== fuzzing summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit $status
