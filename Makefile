# Connecting Humans API: build, run, test and benchmark.
#
#   make run     install what is missing, build, serve on 127.0.0.1:8080
#   make test    everything, on a throwaway database; leaves nothing running
#
# See README.md for the other targets and the CH_* variables.

SHELL		:= /bin/bash
CC		?= cc
PYTHON		:= /usr/bin/python3
CH_VERSION	:= 0.1.0
CH_SHARED_DATA	?= $(CURDIR)/../shared/data
export CH_SHARED_DATA

# The newest migration is the schema version this build expects (readyz).
SCHEMA_VERSION	:= $(shell ls db/migrations/[0-9]*.sql | tail -n 1 | \
		    sed -E 's|.*/0*([0-9]+)_.*|\1|')

WARNINGS	:= -Wall -Wextra -Wshadow -Wstrict-prototypes \
		   -Wmissing-prototypes -Wpointer-arith -Wcast-qual \
		   -Wsign-compare -Werror
PG_INC		:= $(or $(shell pg_config --includedir 2>/dev/null), \
		   /usr/include/postgresql)
BASE_CFLAGS	:= -std=gnu11 -O2 -g -fPIC $(WARNINGS) -Iapi -Icommon \
		   -I$(PG_INC) \
		   -DCH_VERSION='"$(CH_VERSION)"' \
		   -DCH_SCHEMA_VERSION=$(SCHEMA_VERSION)
KORE_FEATURES	:= $(shell cat /usr/share/kore/features 2>/dev/null)
PURE_LIBS	:= -lcjson -ljwt -lcrypto -lsodium -lpq -lm
API_LIBS	:= $(PURE_LIBS)

ifeq ($(SAN),1)
BUILD		:= build/san
SAN_FLAGS	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
else
BUILD		:= build/release
SAN_FLAGS	:=
endif

# The X_FILE rule and the database password, shared with ch-matcher.
COMMON_SRC	:= common/envfile.c common/conninfo.c
COMMON_HDR	:= common/envfile.h common/conninfo.h
PURE_SRC	:= api/codec.c api/config.c api/token.c api/schema.c
API_SRC		:= $(PURE_SRC) api/init.c api/router.c api/http_util.c \
		   api/db.c api/auth.c api/password.c api/health.c \
		   api/index.c api/districts.c api/places.c api/sessions.c \
		   api/resource.c api/taxonomies.c \
		   api/matching.c api/metrics.c
API_HDR		:= api/ch.h $(COMMON_HDR)
UNIT_TESTS	:= test_codec test_config test_token test_schema test_envfile \
		   test_conninfo

DEB_PKGS	:= kore libpq-dev libcjson-dev libjwt-dev libsodium-dev \
		   postgresql-15 postgresql-client-15 curl wrk \
		   python3-pytest python3-requests python3-jsonschema \
		   python3-yaml python3-hypothesis python3-psycopg2 \
		   python3-cryptography libssl-dev openssl \
		   libcmocka-dev valgrind \
		   docker.io docker-compose debootstrap

include matcher/engine/engine.mk
include matcher/daemon/daemon.mk
include tests/fuzz/fuzz.mk

.PHONY: all deps build api unit-test test test-api compose-test compose-bench lint-openapi \
	run up down token bench import-places clean

all: build

# ---------------------------------------------------------------- deps
deps: .run/deps.stamp openapi/node_modules/.stamp

.run/deps.stamp: Makefile $(wildcard matcher/engine/engine.mk) \
    tests/fuzz/fuzz.mk
	@missing=$$(for p in $(DEB_PKGS) $(ENGINE_DEB_PKGS) \
	    $(FUZZ_DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
	    grep -q 'install ok installed' || echo $$p; done); \
	if ! command -v npm >/dev/null; then missing="$$missing nodejs npm"; fi; \
	if [ -n "$$missing" ]; then \
	    echo "deps: installing$$(echo $$missing | tr '\n' ' ')"; \
	    [ "$$(id -u)" -eq 0 ] || { echo "deps: run as root or install:" \
	        $$missing >&2; exit 1; }; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends \
	        $$missing >/dev/null || exit 1; \
	fi
	@mkdir -p .run && touch $@

openapi/node_modules/.stamp: openapi/package.json openapi/package-lock.json
	@cd openapi && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

# ---------------------------------------------------------------- build
build: deps api matcher

api: $(BUILD)/api.so build/ch-config-check build/bench/api.so

$(BUILD)/%.o: api/%.c $(API_HDR)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) $(KORE_FEATURES) -DCH_KORE -c $< -o $@

# The API serves its own contract: the YAML becomes a JSON byte array.
build/openapi_json.c: openapi/openapi.yaml scripts/embed_openapi.py
	@mkdir -p $(@D)
	$(PYTHON) scripts/embed_openapi.py $< $@

build/openapi_json.o: build/openapi_json.c
	$(CC) -O2 -fPIC -c $< -o $@

$(BUILD)/common/%.o: common/%.c $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(BUILD)/api.so: $(API_SRC:api/%.c=$(BUILD)/%.o) \
    $(COMMON_SRC:common/%.c=$(BUILD)/common/%.o) build/openapi_json.o
	$(CC) -shared $(SAN_FLAGS) -o $@ $^ $(API_LIBS)

# The benchmark flavour adds a route that builds JSON in C (cJSON) to
# compare with JSON built by PostgreSQL; never deployed.
build/bench/%.o: api/%.c $(API_HDR)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(KORE_FEATURES) -DCH_KORE -DCH_BENCH_ROUTES \
	    -c $< -o $@

build/bench/common/%.o: common/%.c $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -c $< -o $@

build/bench/api.so: $(API_SRC:api/%.c=build/bench/%.o) \
    $(COMMON_SRC:common/%.c=build/bench/common/%.o) build/openapi_json.o
	$(CC) -shared -o $@ $^ $(API_LIBS)

build/ch-config-check: api/config_check.c $(PURE_SRC) $(COMMON_SRC) $(API_HDR)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) -o $@ api/config_check.c $(PURE_SRC) \
	    $(COMMON_SRC) $(PURE_LIBS)

# The schema version is compiled in (readyz, the build info of /metrics):
# a new migration rebuilds both.
$(BUILD)/health.o build/bench/health.o $(BUILD)/metrics.o \
    build/bench/metrics.o: $(wildcard db/migrations/*.sql)

# ---------------------------------------------------------------- tests
$(BUILD)/tests/%: tests/unit/%.c $(PURE_SRC) $(COMMON_SRC) $(API_HDR)
	@mkdir -p $(@D)
	$(CC) $(BASE_CFLAGS) $(SAN_FLAGS) -o $@ $< $(PURE_SRC) $(COMMON_SRC) \
	    -lcmocka $(PURE_LIBS)

# The schema tests also check the contract's own request schemas.
$(BUILD)/tests/test_schema: build/openapi.json
$(BUILD)/tests/test_schema: BASE_CFLAGS += \
	-DCONTRACT_JSON='"$(CURDIR)/build/openapi.json"'

build/openapi.json: openapi/openapi.yaml
	@mkdir -p $(@D)
	$(PYTHON) -c 'import json, sys, yaml; \
	    json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2], "w"))' \
	    $< $@

unit-test: deps $(UNIT_TESTS:%=$(BUILD)/tests/%)
	@for t in $(UNIT_TESTS); do $(BUILD)/tests/$$t || exit 1; done

lint-openapi: deps
	@cd openapi && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
	    NO_COLOR=1 ./node_modules/.bin/redocly lint --config redocly.yaml \
	    openapi.yaml 2>&1 | grep -v -e '^ *║' -e '^ *[╔╚]' -e '^$$'; \
	    exit $${PIPESTATUS[0]}

# API tests start their own PostgreSQL cluster and Kore on a free port.
test-api: build
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/api

# The docker-compose stack of docker/, built and run for real (starts
# dockerd when no engine answers, and stops it again).
compose-test: deps
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/compose

test: deps
	@scripts/test.sh

# ---------------------------------------------------------------- run
run: build
	@scripts/stack.sh run

up: build
	@scripts/stack.sh up

down:
	@scripts/stack.sh down

# An access token for a demo account of the running stack, for curl.
token:
	@scripts/stack.sh token "$(ROLE)" "$(DISTRICT)"

import-places: build
	@test -n "$(FILE)" || { echo "usage: make import-places FILE=places.csv"; \
	    exit 2; }
	@scripts/stack.sh db-up >/dev/null
	$(PYTHON) scripts/import_places.py "$$(scripts/stack.sh db-owner-url)" \
	    "$(FILE)"

bench: build
	@scripts/bench.sh
	@$(MAKE) --no-print-directory engine-bench
	@$(MAKE) --no-print-directory compose-bench

# The docker-compose stack on this machine (bench/compose.py).
compose-bench: deps
	@$(PYTHON) bench/compose.py

clean:
	rm -rf build
