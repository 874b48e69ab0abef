# fuzz.mk: libFuzzer targets for the parsers of untrusted input (make
# include; needs the top-level Makefile's WARNINGS, PURE_SRC, COMMON_SRC,
# API_HDR and the engine's ENGINE_SRCS).
#
#   fuzz-build   build/fuzz/<target> with ASan + UBSan, and its dictionary
#                build/fuzz/dict/<target>.dict
#   fuzz         each target for FUZZ_SECONDS (600), one after another,
#                on a scratch copy of tests/fuzz/corpus/<target>/
#   fuzz-smoke   the same for FUZZ_SMOKE_SECONDS (20); fails on any
#                crash, leak, timeout or undefined behaviour
#   fuzz-clean   remove build/fuzz
#
# FUZZ_TARGETS picks targets (make fuzz FUZZ_TARGETS=fuzz_token);
# tests/fuzz/run.sh prints the figures and where findings are.

# Including this file must not change the includer's default goal.
FUZZ_SAVED_GOAL := $(.DEFAULT_GOAL)

# libFuzzer comes with clang's runtime libraries, not with gcc.
FUZZ_DEB_PKGS := clang libclang-rt-14-dev

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 600
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_TARGETS ?= fuzz_codec fuzz_schema fuzz_token fuzz_matcher_input

FUZZ_DIR := tests/fuzz
FUZZ_OUT := build/fuzz
FUZZ_SANITIZE := -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer
# -O1 keeps the sanitizers' reports readable and the runs fast.
FUZZ_CFLAGS := -O1 -g $(FUZZ_SANITIZE) $(WARNINGS) -I$(FUZZ_DIR)
FUZZ_API_CFLAGS := -std=gnu11 $(FUZZ_CFLAGS) -Iapi -Icommon -I$(PG_INC) \
	-DCH_VERSION='"$(CH_VERSION)"' \
	-DCH_SCHEMA_VERSION=$(SCHEMA_VERSION)
FUZZ_MATCHER_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L \
	-ffp-contract=off $(FUZZ_CFLAGS) -Imatcher/daemon -Imatcher/engine

FUZZ_API_OBJS := $(PURE_SRC:api/%.c=$(FUZZ_OUT)/obj/api/%.o) \
	$(COMMON_SRC:common/%.c=$(FUZZ_OUT)/obj/common/%.o)
# ch-matcher's input documents (matcher/daemon/input*.c) and the engine.
FUZZ_MATCHER_OBJS := \
	$(patsubst matcher/daemon/%.c,$(FUZZ_OUT)/obj/matcher/%.o,\
	$(wildcard matcher/daemon/input*.c)) \
	$(ENGINE_SRCS:matcher/engine/%.c=$(FUZZ_OUT)/obj/engine/%.o)
FUZZ_MATCHER_HDRS := $(wildcard matcher/daemon/*.h matcher/engine/*.h)

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-clean

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_OUT)/%) \
    $(FUZZ_TARGETS:%=$(FUZZ_OUT)/dict/%.dict)

fuzz: deps fuzz-build
	@$(FUZZ_DIR)/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: deps fuzz-build
	@$(FUZZ_DIR)/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

fuzz-clean:
	rm -rf $(FUZZ_OUT)

$(FUZZ_OUT)/obj/api/%.o: api/%.c $(API_HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_API_CFLAGS) -c $< -o $@

$(FUZZ_OUT)/obj/common/%.o: common/%.c $(API_HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_API_CFLAGS) -c $< -o $@

$(FUZZ_OUT)/obj/matcher/%.o: matcher/daemon/%.c $(FUZZ_MATCHER_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_MATCHER_CFLAGS) -c $< -o $@

$(FUZZ_OUT)/obj/engine/%.o: matcher/engine/%.c $(FUZZ_MATCHER_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_MATCHER_CFLAGS) -c $< -o $@

$(FUZZ_OUT)/obj/fuzz_matcher_input.o: $(FUZZ_DIR)/fuzz_matcher_input.c \
    $(FUZZ_DIR)/fuzz.h $(FUZZ_MATCHER_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_MATCHER_CFLAGS) -c $< -o $@

# The schema target reads the contract the build converts to JSON.
$(FUZZ_OUT)/obj/fuzz_schema.o: build/openapi.json
$(FUZZ_OUT)/obj/fuzz_schema.o: FUZZ_API_CFLAGS += \
	-DCONTRACT_JSON='"$(CURDIR)/build/openapi.json"'

$(FUZZ_OUT)/obj/%.o: $(FUZZ_DIR)/%.c $(FUZZ_DIR)/fuzz.h $(API_HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_API_CFLAGS) -c $< -o $@

$(FUZZ_OUT)/fuzz_matcher_input: $(FUZZ_OUT)/obj/fuzz_matcher_input.o \
    $(FUZZ_MATCHER_OBJS)
	$(FUZZ_CC) $(FUZZ_SANITIZE) -o $@ $^ -lcjson -lm

$(FUZZ_OUT)/fuzz_%: $(FUZZ_OUT)/obj/fuzz_%.o $(FUZZ_API_OBJS)
	$(FUZZ_CC) $(FUZZ_SANITIZE) -o $@ $^ $(PURE_LIBS)

$(FUZZ_OUT)/dict/fuzz_schema.dict: build/openapi.json \
    $(FUZZ_DIR)/contract_dict.py
	@mkdir -p $(@D)
	$(PYTHON) $(FUZZ_DIR)/contract_dict.py $< $@

$(FUZZ_OUT)/dict/%.dict: $(FUZZ_DIR)/%.dict
	@mkdir -p $(@D)
	cp $< $@

.DEFAULT_GOAL := $(FUZZ_SAVED_GOAL)
