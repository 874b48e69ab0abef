# daemon.mk: build and test the ch-matcher daemon (make include).
#
# Included by the top-level Makefile after engine.mk; also works alone from
# the repository root: make -f matcher/daemon/daemon.mk matcher [SAN=1].
#
#   matcher           build/ch-matcher (SAN=1: build/san/ch-matcher)
#   matcher-test      build and run the daemon's unit tests (SAN=1: ASan +
#                     UBSan)
#   matcher-valgrind  run the unit tests under valgrind
#   matcher-clean     remove the daemon's build outputs

# Including this file must not change the includer's default goal.
MATCHER_SAVED_GOAL := $(.DEFAULT_GOAL)

# The engine's library and flags; the top-level Makefile has them already.
ifndef ENGINE_LIB
include matcher/engine/engine.mk
endif

MATCHER_DIR := matcher/daemon
MATCHER_FLAVOUR := $(if $(filter 1,$(SAN)),san,normal)
MATCHER_OUT := build/matcher/$(MATCHER_FLAVOUR)
MATCHER_BIN := $(if $(filter 1,$(SAN)),build/san/ch-matcher,build/ch-matcher)
MATCHER_VERSION := $(if $(CH_VERSION),$(CH_VERSION),dev)

MATCHER_PG_INC := $(or $(shell pg_config --includedir 2>/dev/null), \
	/usr/include/postgresql)

MATCHER_SRCS := $(wildcard $(MATCHER_DIR)/*.c)
MATCHER_HDRS := $(wildcard $(MATCHER_DIR)/*.h) $(ENGINE_DIR)/engine.h \
	$(wildcard common/*.h)
# The X_FILE rule and the database password, shared with the API.
MATCHER_COMMON_OBJS := $(MATCHER_OUT)/common/envfile.o \
	$(MATCHER_OUT)/common/conninfo.o
MATCHER_OBJS := $(patsubst $(MATCHER_DIR)/%.c,$(MATCHER_OUT)/%.o,\
	$(MATCHER_SRCS)) $(MATCHER_COMMON_OBJS)
# The pure part: a job's input document to the engine and its result.
MATCHER_INPUT_OBJS := $(patsubst $(MATCHER_DIR)/%.c,$(MATCHER_OUT)/%.o,\
	$(wildcard $(MATCHER_DIR)/input*.c))
MATCHER_TEST_SRCS := $(wildcard tests/unit/test_matcher_*.c)
MATCHER_TESTS := $(patsubst tests/unit/%.c,$(MATCHER_OUT)/%,\
	$(MATCHER_TEST_SRCS))

MATCHER_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -g -pthread \
	$(ENGINE_WARN) $(ENGINE_SANFLAGS) -I$(MATCHER_DIR) -I$(ENGINE_DIR) \
	-Icommon -I$(MATCHER_PG_INC) \
	-DCH_MATCHER_VERSION='"$(MATCHER_VERSION)"'
MATCHER_LDLIBS := -lpq -lcjson -lpthread -lm
MATCHER_TEST_LDLIBS := -lcmocka -lcjson -lm

.PHONY: matcher matcher-test matcher-valgrind matcher-clean

matcher: $(MATCHER_BIN)

$(MATCHER_OUT)/%.o: $(MATCHER_DIR)/%.c $(MATCHER_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MATCHER_CFLAGS) -c $< -o $@

$(MATCHER_OUT)/common/%.o: common/%.c $(MATCHER_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MATCHER_CFLAGS) -c $< -o $@

$(MATCHER_BIN): $(MATCHER_OBJS) $(ENGINE_LIB)
	@mkdir -p $(@D)
	$(CC) $(ENGINE_SANFLAGS) -pthread -o $@ $(MATCHER_OBJS) \
	    $(ENGINE_LIB) $(MATCHER_LDLIBS)

# The unit tests link only the pure part (input*.c) and the engine.
$(MATCHER_OUT)/test_matcher_%: tests/unit/test_matcher_%.c \
    $(MATCHER_INPUT_OBJS) $(ENGINE_LIB) $(MATCHER_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MATCHER_CFLAGS) -c $< -o $@.o
	$(CC) $(ENGINE_SANFLAGS) -o $@ $@.o $(MATCHER_INPUT_OBJS) \
	    $(ENGINE_LIB) $(MATCHER_TEST_LDLIBS)

matcher-test: $(MATCHER_TESTS)
	@fail=0; for t in $(MATCHER_TESTS); do \
	    echo "== $$t"; ./$$t || fail=1; \
	done; \
	if [ $$fail -ne 0 ]; then echo "matcher tests FAILED"; exit 1; fi; \
	echo "matcher tests passed ($(MATCHER_FLAVOUR))"

matcher-valgrind:
	@$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) \
	    SAN= $(patsubst tests/unit/%.c,build/matcher/normal/%,\
	    $(MATCHER_TEST_SRCS))
	@fail=0; for t in $(patsubst tests/unit/%.c,build/matcher/normal/%,\
	    $(MATCHER_TEST_SRCS)); do \
	    echo "== valgrind $$t"; $(ENGINE_VALGRIND) ./$$t || fail=1; \
	done; \
	if [ $$fail -ne 0 ]; then echo "matcher valgrind FAILED"; exit 1; fi; \
	echo "matcher tests clean under valgrind"

matcher-clean:
	rm -rf build/matcher build/ch-matcher build/san/ch-matcher

.DEFAULT_GOAL := $(MATCHER_SAVED_GOAL)
