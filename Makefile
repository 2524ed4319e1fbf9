# podtune — a Kubernetes mutating admission webhook for Spark and Flink pods.
# Plain make; every library through pkg-config; everything built lands in build/.

CC      ?= cc
PKGS    := libmicrohttpd jansson yaml-0.1 openssl
BUILD   ?= build
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

ifdef SANITIZE
BUILD   := build/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DPODTUNE_VERSION='"$(VERSION)"' $(WARN) \
              -Iinclude $(PKG_CFLAGS) $(SANFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)
LIBS    := $(PKG_LIBS) -lpthread -lm

SRC      := $(wildcard src/*.c)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard test/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:test/unit/%.c=$(BUILD)/test/%)
TOOL_SRC := $(wildcard test/tools/*.c)
TOOL_BIN := $(TOOL_SRC:test/tools/%.c=$(BUILD)/tools/%)
PYTHON   := /usr/bin/python3

.PHONY: all deps test unit cli cases properties fuzz fuzz-long policy-errors integration e2e \
        run certs bench valgrind sanitize lint format-check clean

all: $(BUILD)/podtune $(TOOL_BIN)

deps:
	@bash .ci/deps

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libpodtune.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/podtune: $(BUILD)/obj/main.o $(BUILD)/libpodtune.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/test/%: test/unit/%.c $(BUILD)/libpodtune.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itest/unit -o $@ $< $(BUILD)/libpodtune.a $(ALL_LDFLAGS) $(LIBS) $(CMOCKA_LIBS)

# Small drivers the script-level tests call (e.g. the JSON Patch applier).
$(BUILD)/tools/%: test/tools/%.c $(BUILD)/libpodtune.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libpodtune.a $(ALL_LDFLAGS) $(LIBS)

# ---- tests ---------------------------------------------------------------
# `make test` is the whole suite: dependencies, a warning-free build, unit
# tests, the invalid-policy corpus, golden cases, properties, sanitizers,
# the HTTPS integration tier and the end-to-end tier.
test: deps
	@bash test/run-all

unit: $(UNIT_BIN) $(BUILD)/podtune
	@bash test/run-unit $(BUILD) $(UNIT_BIN)

policy-errors: $(BUILD)/podtune
	@bash test/run-policy-errors $(BUILD)/podtune

cases: $(BUILD)/podtune
	$(BUILD)/podtune test --policies policies test/cases

cli: $(BUILD)/podtune
	@bash test/run-cli $(BUILD)/podtune

properties: $(BUILD)/podtune $(BUILD)/tools/ptpatch
	$(PYTHON) test/jsonpatch_crosscheck.py --ptpatch $(BUILD)/tools/ptpatch
	$(PYTHON) test/properties.py --podtune $(BUILD)/podtune

integration: $(BUILD)/podtune
	$(PYTHON) test/integration/run.py --podtune $(BUILD)/podtune

e2e: $(BUILD)/podtune
	@bash test/e2e/run

# libFuzzer targets (clang): the seeds and saved reproducers once, then a bounded
# run of each from a fixed seed (a count, not a time, so a slow machine does the
# same work). `make fuzz-long` explores by time (FUZZ_SECONDS, default 300 each).
fuzz:
	@bash test/run-fuzz --replay
	@FUZZ_SECONDS=600 FUZZ_ARGS="-seed=1 -runs=$${FUZZ_RUNS:-20000}" bash test/run-fuzz

fuzz-long:
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-300} bash test/run-fuzz

sanitize:
	$(MAKE) SANITIZE=address,undefined unit policy-errors cases

valgrind: $(UNIT_BIN) $(BUILD)/podtune
	@bash test/run-valgrind $(BUILD) $(UNIT_BIN)

# ---- running -------------------------------------------------------------
certs/tls.crt: $(BUILD)/podtune
	$(BUILD)/podtune certs --out certs --dns localhost --dns podtune.podtune.svc --ip 127.0.0.1

certs: certs/tls.crt

run: deps
	@$(MAKE) --no-print-directory all certs
	@bash .ci/run-server $(BUILD)/podtune

bench: deps
	@$(MAKE) --no-print-directory all
	$(PYTHON) bench/run.py --podtune $(BUILD)/podtune

lint:
	@bash .ci/lint

format-check:
	@clang-format --dry-run --Werror src/*.c include/podtune/*.h test/unit/*.c

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/main.d
