#!/usr/bin/env bash
# make test: the contract lint, C unit tests (plain and sanitized), the
# matching engine's tests, a short run of the libFuzzer targets, and the
# HTTP suite against the plain and the sanitized module, and the
# docker-compose stack. Each suite starts what it needs and stops it again.
set -euo pipefail
cd "$(dirname "$0")/.."

section() { printf '\n== %s\n' "$*"; }

section "OpenAPI lint"
make --no-print-directory -s lint-openapi

section "unit tests"
make --no-print-directory -s build
make --no-print-directory -s unit-test
make --no-print-directory -s unit-test SAN=1

if [ -f matcher/engine/engine.mk ]; then
	section "matching engine"
	make --no-print-directory -s engine-test
	make --no-print-directory -s engine-test SAN=1
	make --no-print-directory -s engine-valgrind
fi

section "ch-matcher"
make --no-print-directory -s matcher-test
make --no-print-directory -s matcher-test SAN=1

section "fuzzing (smoke)"
make --no-print-directory -s fuzz-smoke

section "HTTP tests (release build)"
/usr/bin/python3 -m pytest -q -p no:cacheprovider tests/api

section "HTTP tests (ASan + UBSan build)"
make --no-print-directory -s build/san/api.so build/san/ch-matcher SAN=1
CH_TEST_MODULE=$PWD/build/san/api.so \
CH_MATCHER_BIN=$PWD/build/san/ch-matcher \
CH_PRELOAD="$(cc -print-file-name=libasan.so)" \
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/api

section "docker-compose stack"
make --no-print-directory -s compose-test
