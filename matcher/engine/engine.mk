# engine.mk: build, test and benchmark the matching engine (make include).
#
# Included by the top-level Makefile; also works alone from the repository
# root: make -f matcher/engine/engine.mk engine-test [SAN=1].
#
#   engine-lib       build/engine/normal/libchengine.a (for ch-matcher)
#   engine-test      build and run every engine test (SAN=1: ASan + UBSan)
#   engine-valgrind  run the unit tests under valgrind
#   engine-bench     print "bench <name> <value> <unit>" lines
#   engine-clean     remove build/engine

# Including this file must not change the includer's default goal.
ENGINE_SAVED_GOAL := $(.DEFAULT_GOAL)

CC ?= cc
CXX ?= g++
CH_SHARED_DATA ?= $(CURDIR)/../shared/data

ENGINE_DEB_PKGS := libcmocka-dev liblemon-dev g++ valgrind

ENGINE_DIR := matcher/engine
ENGINE_TDIR := tests/engine
ENGINE_FLAVOUR := $(if $(filter 1,$(SAN)),san,normal)
ENGINE_OUT := build/engine/$(ENGINE_FLAVOUR)
ENGINE_BENCH_OUT := build/engine/bench

ENGINE_SRCS := $(wildcard $(ENGINE_DIR)/*.c)
ENGINE_HDRS := $(wildcard $(ENGINE_DIR)/*.h) $(wildcard $(ENGINE_TDIR)/*.h)
ENGINE_TEST_SRCS := $(wildcard tests/unit/test_engine_*.c)

ENGINE_WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wsign-compare \
	-Werror
ENGINE_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
ENGINE_SANFLAGS := $(if $(filter 1,$(SAN)),$(ENGINE_SANITIZE))
# No FMA contraction: the same input gives the same distances everywhere.
ENGINE_CFLAGS := -std=c11 -O2 -g -ffp-contract=off $(ENGINE_WARN) \
	$(ENGINE_SANFLAGS) -I$(ENGINE_DIR) -I$(ENGINE_TDIR)
ENGINE_CXXFLAGS := -std=c++14 -O2 -g -Wall -Wextra -Werror \
	-Wno-deprecated-copy -Wno-maybe-uninitialized $(ENGINE_SANFLAGS) -I$(ENGINE_DIR) -I$(ENGINE_TDIR)
ENGINE_BENCH_CFLAGS := -std=c11 -O2 -DNDEBUG -ffp-contract=off \
	$(ENGINE_WARN) -I$(ENGINE_DIR) -I$(ENGINE_TDIR)
ENGINE_LDLIBS := -lcmocka -lm

ENGINE_LIB := $(ENGINE_OUT)/libchengine.a
ENGINE_OBJS := $(patsubst $(ENGINE_DIR)/%.c,$(ENGINE_OUT)/%.o,$(ENGINE_SRCS))
ENGINE_HELPER_OBJS := $(ENGINE_OUT)/instance.o $(ENGINE_OUT)/lemon_ref.o
ENGINE_TESTS := $(patsubst tests/unit/%.c,$(ENGINE_OUT)/%,$(ENGINE_TEST_SRCS))
ENGINE_BENCH_OBJS := \
	$(patsubst $(ENGINE_DIR)/%.c,$(ENGINE_BENCH_OUT)/%.o,$(ENGINE_SRCS)) \
	$(ENGINE_BENCH_OUT)/instance.o $(ENGINE_BENCH_OUT)/lemon_ref.o \
	$(ENGINE_BENCH_OUT)/bench_engine.o

ENGINE_VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect

.PHONY: engine-lib engine-test engine-valgrind engine-bench engine-clean

engine-lib: $(ENGINE_LIB)

$(ENGINE_OUT)/%.o: $(ENGINE_DIR)/%.c $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ENGINE_CFLAGS) -c $< -o $@

$(ENGINE_OUT)/instance.o: $(ENGINE_TDIR)/instance.c $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ENGINE_CFLAGS) -c $< -o $@

$(ENGINE_OUT)/lemon_ref.o: $(ENGINE_TDIR)/lemon_ref.cc $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(CXX) $(ENGINE_CXXFLAGS) -c $< -o $@

$(ENGINE_LIB): $(ENGINE_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $(ENGINE_OBJS)

$(ENGINE_OUT)/test_engine_%: tests/unit/test_engine_%.c $(ENGINE_LIB) \
    $(ENGINE_HELPER_OBJS) $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ENGINE_CFLAGS) -c $< -o $@.o
	$(CXX) $(ENGINE_SANFLAGS) -o $@ $@.o $(ENGINE_HELPER_OBJS) \
	    $(ENGINE_LIB) $(ENGINE_LDLIBS)

engine-test: $(ENGINE_TESTS)
	@fail=0; for t in $(ENGINE_TESTS); do \
	    echo "== $$t"; \
	    CH_SHARED_DATA="$(CH_SHARED_DATA)" ./$$t || fail=1; \
	done; \
	if [ $$fail -ne 0 ]; then echo "engine tests FAILED"; exit 1; fi; \
	echo "engine tests passed ($(ENGINE_FLAVOUR))"

engine-valgrind:
	@$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) \
	    SAN= $(patsubst tests/unit/%.c,build/engine/normal/%,\
	    $(ENGINE_TEST_SRCS))
	@fail=0; for t in $(patsubst tests/unit/%.c,build/engine/normal/%,\
	    $(ENGINE_TEST_SRCS)); do \
	    echo "== valgrind $$t"; \
	    CH_SHARED_DATA="$(CH_SHARED_DATA)" ENGINE_TEST_VALGRIND=1 \
	    $(ENGINE_VALGRIND) ./$$t || fail=1; \
	done; \
	if [ $$fail -ne 0 ]; then echo "engine valgrind FAILED"; exit 1; fi; \
	echo "engine tests clean under valgrind"

$(ENGINE_BENCH_OUT)/%.o: $(ENGINE_DIR)/%.c $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ENGINE_BENCH_CFLAGS) -c $< -o $@

$(ENGINE_BENCH_OUT)/instance.o: $(ENGINE_TDIR)/instance.c $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ENGINE_BENCH_CFLAGS) -c $< -o $@

$(ENGINE_BENCH_OUT)/lemon_ref.o: $(ENGINE_TDIR)/lemon_ref.cc $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(CXX) -std=c++14 -O2 -DNDEBUG -Wall -Wextra -Wno-deprecated-copy \
	    -Wno-maybe-uninitialized \
	    -I$(ENGINE_DIR) -I$(ENGINE_TDIR) -c $< -o $@

$(ENGINE_BENCH_OUT)/bench_engine.o: bench/engine/bench_engine.c \
    $(ENGINE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ENGINE_BENCH_CFLAGS) -c $< -o $@

$(ENGINE_BENCH_OUT)/bench_engine: $(ENGINE_BENCH_OBJS)
	$(CXX) -o $@ $(ENGINE_BENCH_OBJS) -lm

engine-bench: $(ENGINE_BENCH_OUT)/bench_engine
	@CH_SHARED_DATA="$(CH_SHARED_DATA)" ./$(ENGINE_BENCH_OUT)/bench_engine

engine-clean:
	rm -rf build/engine

.DEFAULT_GOAL := $(ENGINE_SAVED_GOAL)
