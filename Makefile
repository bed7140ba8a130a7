# crashtrail -- build, test, bench.  Every knob is in config.mk.

include config.mk

WARNINGS = -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
	   -Wpointer-arith -Wcast-qual -Wsign-compare

CPPFLAGS_linux	= -D_GNU_SOURCE
CPPFLAGS_macos	= -D_DARWIN_C_SOURCE

BUILD	?= build/obj
BIN	?= crashtrail

SRCS	= src/api.c src/api_guard.c src/api_handlers.c src/argv.c \
	  src/api_runs.c src/classify.c src/cli.c \
	  src/config.c src/confval.c src/diag.c src/diag_catalog.c \
	  src/diag_errno.c src/httpc.c src/kmsg.c src/kmsgwatch.c src/oom.c \
	  src/oom_context.c src/svlisten.c src/svlisten_post.c src/svproto.c \
	  src/digest.c src/events.c src/history.c src/history_scan.c \
	  src/ids.c src/ingest.c \
	  src/journal.c src/journal_open.c src/json.c \
	  src/log.c src/logfile.c src/logstore.c src/metrics.c src/query.c \
	  src/report.c src/run.c src/runner.c src/spawn.c src/sse.c \
	  src/syncer.c src/syncer_helper.c src/tail.c src/timefmt.c \
	  src/live.c src/recover.c \
	  src/run_pipe.c src/runner_reclaim.c src/http_parse.c \
	  src/https.c src/jsonq.c src/presign.c src/spool.c src/upload.c \
	  src/upload_xfer.c \
	  src/reload.c src/sampler.c src/stages.c src/cli_top.c \
	  src/privdrop.c src/svcnotify.c
MAIN	= src/main.c
PSRCS	= $(sort $(wildcard platform/$(PLATFORM)/*.c))
VSRCS	= vendor/bearssl/src/hash/sha2small.c vendor/bearssl/src/codec/dec32be.c \
	  vendor/bearssl/src/codec/enc32be.c vendor/inih/ini.c

UNITS	= tail classify config argv logfile json ids diag kmsg svproto \
	  journal history http_parse upload reload stages ring sampler
# The /proc parsers and the live cgroup test exist for Linux only.
UNITS_linux	= procparse cgroup
UNITS		+= $(UNITS_$(PLATFORM))
UNITS		+= notify

INCS	= -Isrc -Iplatform -Ivendor/bearssl/inc -Ivendor/jsmn -Ivendor/inih
# inih (vendored r62): 4 KiB lines, the line buffer on the stack.
INIH_FLAGS = -DINI_MAX_LINE=4098 -DINI_USE_STACK=1
CFLAGS_ALL = $(OPT) $(WARNINGS) $(CPPFLAGS_$(PLATFORM)) $(INCS) $(INIH_FLAGS) \
	     $(LIBEVENT_CFLAGS) $(CFLAGS)
LIBS	= $(LIBEVENT_LIBS) $(MBEDTLS_LIBS)

OBJS	= $(patsubst %.c,$(BUILD)/%.o,$(SRCS) $(PSRCS))
VOBJS	= $(patsubst %.c,$(BUILD)/%.o,$(VSRCS))
LIBCT	= $(BUILD)/libcrashtrail.a
UNITBINS = $(patsubst %,$(BUILD)/test/test_%,$(UNITS))

.PHONY: all test test-asan alloc-check bench bench-sampler fuzz clean install mutants

all: $(BIN)

$(BIN): $(BUILD)/src/main.o $(LIBCT)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/src/main.o $(LIBCT) $(LIBS)

$(LIBCT): $(OBJS) $(VOBJS)
	rm -f $@
	$(AR) rcs $@ $(OBJS) $(VOBJS)

$(BUILD)/vendor/%.o: vendor/%.c
	@mkdir -p $(dir $@)
	$(CC) $(OPT) $(CFLAGS) $(INIH_FLAGS) -Ivendor/bearssl/inc \
	    -Ivendor/bearssl/src -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/test/test_%: test/unit/test_%.c test/unit/check.h test/unit/jsoncheck.h $(LIBCT)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itest/unit $(LDFLAGS) -o $@ $< $(LIBCT) $(LIBS)

# Test helpers are plain builds even under ASan: a runner that must die of
# SIGSEGV would otherwise be caught by the sanitizer and exit 1.
$(BUILD)/test/%: test/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -o $@ $<

# https_get drives src/https.c, so it links the project library.
$(BUILD)/test/https_get: test/helpers/https_get.c $(LIBCT)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(LIBCT) $(LIBS)

HELPERS	= $(BUILD)/test/blast $(BUILD)/test/crasher $(BUILD)/test/https_get

# `make test` runs every unit and integration test and ends with one line
# "N passed, N failed".
# The allocation-counting build cannot be combined with ASan: ALLOC_BIN
# is empty there and the test that needs it skips.
ALLOC_BIN ?= $(BUILD)/crashtrail-alloc

test: $(BIN) $(UNITBINS) $(HELPERS) $(ALLOC_BIN)
	@CRASHTRAIL=$(abspath $(BIN)) UNIT_DIR=$(BUILD)/test HELPER_DIR=$(abspath $(BUILD)/test) \
	    CRASHTRAIL_SANITIZED=$(SANITIZED) \
	    CRASHTRAIL_ALLOC=$(if $(ALLOC_BIN),$(abspath $(ALLOC_BIN))) \
	    TEST_TIMEOUT=$(TEST_TIMEOUT) sh test/run.sh

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/crashtrail OPT="$(ASAN_FLAGS)" \
	    LDFLAGS="$(LDFLAGS) -fsanitize=address,undefined" ALLOC_BIN= \
	    SANITIZED=1 test

# Counts malloc/calloc/realloc between "ready" and shutdown while 16 runners
# write 256 MiB; prints the count and fails unless it is zero.
alloc-check: $(BUILD)/crashtrail-alloc $(HELPERS)
	sh test/bench/alloc_check.sh $(abspath $(BUILD)/crashtrail-alloc) $(abspath $(BUILD)/test/blast)

$(BUILD)/crashtrail-alloc: $(BUILD)/src/main.o $(LIBCT) test/bench/alloccount.c
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ test/bench/alloccount.c $(BUILD)/src/main.o $(LIBCT) $(LIBS)

# Fuzz targets (libFuzzer + ASan + UBSan, clang); each runs FUZZ_TIME
# seconds from the seeds in test/fuzz/corpus/<name>/ (copied to build/).
FUZZERS		= ingest query diag kmsg svproto journal guard http_parse presign
FUZZERS_linux	= procparse
FUZZERS		+= $(FUZZERS_$(PLATFORM))
FUZZ_SRCS_procparse = platform/linux/procparse.c
FUZZ_LIBSRC	= src/events.c src/ids.c src/json.c src/log.c src/timefmt.c
FUZZ_SRCS_ingest = src/ingest.c $(FUZZ_LIBSRC)
FUZZ_SRCS_query	= src/query.c
FUZZ_SRCS_diag	= src/diag.c src/diag_catalog.c src/diag_errno.c \
		  $(FUZZ_LIBSRC)
FUZZ_SRCS_kmsg	= src/kmsg.c src/oom.c src/oom_context.c src/json.c
FUZZ_SRCS_svproto = src/svproto.c
FUZZ_SRCS_http_parse = src/http_parse.c src/timefmt.c
FUZZ_SRCS_presign = src/presign.c src/jsonq.c src/spool.c src/http_parse.c \
		  src/ingest.c $(FUZZ_LIBSRC)
FUZZ_SRCS_guard	= src/api_guard.c src/log.c src/timefmt.c $(LIBEVENT_LIBS)
# BearSSL's sources find inner.h through -Ivendor/bearssl/src.
FUZZ_SRCS_journal = src/journal.c src/journal_open.c src/log.c \
		  src/timefmt.c $(VSRCS) -Ivendor/bearssl/src

build/fuzz/fuzz_%: test/fuzz/fuzz_%.c $(SRCS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(CPPFLAGS_$(PLATFORM)) $(INCS) -o $@ $< \
	    $(FUZZ_SRCS_$*)

fuzz: $(FUZZERS:%=build/fuzz/fuzz_%)
	@for f in $(FUZZERS); do \
		rm -rf build/fuzz/corpus_$$f && mkdir -p build/fuzz/corpus_$$f && \
		cp test/fuzz/corpus/$$f/* build/fuzz/corpus_$$f/ 2>/dev/null; \
		echo "fuzz_$$f: $(FUZZ_TIME) s"; \
		args=; [ $$f = kmsg ] && args=-max_len=16384; \
		build/fuzz/fuzz_$$f -max_total_time=$(FUZZ_TIME) $$args \
		    -artifact_prefix=build/fuzz/$$f- -print_final_stats=1 \
		    build/fuzz/corpus_$$f 2>build/fuzz/$$f.log || \
		    { tail -n 40 build/fuzz/$$f.log; exit 1; }; \
		grep -E 'DONE|stat::number_of_executed_units' build/fuzz/$$f.log | tail -n 2; \
	done

# `make bench`: throughput (N writers, BYTES in all, REPS interleaved
# rounds) then kill-to-frame latency (KILLS kills, 20 runners), then a
# summary table of both.  Shorter: make bench N="1 16" REPS=2 BYTES=268435456
REPS	?= 5
N	?= 1 16 64
BYTES	?= 1073741824
KILLS	?= 300

bench: $(BIN) $(HELPERS)
	@s=$$(mktemp /tmp/crashtrail-bench-summary.XXXXXX) || exit 1; \
	trap 'rm -f "$$s"' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	rc=0; \
	BENCH_SUMMARY=$$s BENCH_REPEAT=$(REPS) BENCH_N="$(N)" \
	    BENCH_BYTES=$(BYTES) CRASHTRAIL=$(abspath $(BIN)) \
	    sh test/bench/throughput.sh || rc=1; \
	BENCH_SUMMARY=$$s python3 test/bench/latency.py $(abspath $(BIN)) \
	    $(BUILD)/test/crasher $(KILLS) || rc=1; \
	BENCH_SUMMARY=$$s python3 test/bench/sampler_bench.py \
	    $(abspath $(BIN)) $(SAMPLER_ARGS) || rc=1; \
	echo; echo "=== bench summary ==="; cat "$$s"; exit $$rc

# `make bench-sampler`: the metrics sampler's CPU (SAMPLER_RUNNERS idle
# runners at SAMPLER_RATES Hz, SAMPLER_ROUNDS interleaved rounds of
# SAMPLER_WINDOW s) against collectd and node_exporter (each skipped where
# not installed), and crashtrail's RSS.  Also the third part of make bench.
SAMPLER_ROUNDS	?= 3
SAMPLER_WINDOW	?= 20
SAMPLER_RUNNERS	?= 64
SAMPLER_RATES	?= 1,10
SAMPLER_ARGS	= --rounds $(SAMPLER_ROUNDS) --window $(SAMPLER_WINDOW) \
		  --runners $(SAMPLER_RUNNERS) --rates $(SAMPLER_RATES)

bench-sampler: $(BIN)
	python3 test/bench/sampler_bench.py $(abspath $(BIN)) $(SAMPLER_ARGS)

# `make mutants` (not part of `make test`): every mutant in
# test/mutants/list breaks one behaviour and its named tests must fail.
mutants:
	sh test/mutants/run.sh

clean:
	rm -rf build $(BIN)

-include $(OBJS:.o=.d) $(BUILD)/src/main.d
include platform/macos/macos.mk
# make static (musl, x86_64 and aarch64); make install and make deb.
include mk/static.mk
include mk/install.mk
