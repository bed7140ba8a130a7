# crashtrail -- build, test, bench.  Every knob is in config.mk.

include config.mk

WARNINGS = -Wall -Wextra -Wstrict-prototypes -Wmissing-prototypes -Wshadow \
	   -Wpointer-arith -Wcast-qual -Wsign-compare

CPPFLAGS_linux	= -D_GNU_SOURCE
CPPFLAGS_macos	= -D_DARWIN_C_SOURCE

BUILD	?= build/obj
BIN	?= crashtrail

SRCS	= src/api.c src/argv.c src/classify.c src/cli.c src/config.c \
	  src/confval.c src/httpc.c \
	  src/digest.c src/events.c src/ids.c src/ingest.c src/json.c \
	  src/log.c src/logfile.c src/logstore.c src/metrics.c src/query.c \
	  src/report.c src/run.c src/runner.c src/spawn.c src/sse.c \
	  src/syncer.c src/tail.c src/timefmt.c
MAIN	= src/main.c
PSRCS	= $(sort $(wildcard platform/$(PLATFORM)/*.c))
VSRCS	= vendor/bearssl/src/hash/sha2small.c vendor/bearssl/src/codec/dec32be.c \
	  vendor/bearssl/src/codec/enc32be.c

UNITS	= tail classify config argv logfile json ids

INCS	= -Isrc -Iplatform -Ivendor/bearssl/inc -Ivendor/jsmn
CFLAGS_ALL = $(OPT) $(WARNINGS) $(CPPFLAGS_$(PLATFORM)) $(INCS) $(LIBEVENT_CFLAGS) $(CFLAGS)
LIBS	= $(LIBEVENT_LIBS) $(MBEDTLS_LIBS) $(INIH_LIBS)

OBJS	= $(patsubst %.c,$(BUILD)/%.o,$(SRCS) $(PSRCS))
VOBJS	= $(patsubst %.c,$(BUILD)/%.o,$(VSRCS))
LIBCT	= $(BUILD)/libcrashtrail.a
UNITBINS = $(patsubst %,$(BUILD)/test/test_%,$(UNITS))

.PHONY: all test test-asan alloc-check bench clean install

all: $(BIN)

$(BIN): $(BUILD)/src/main.o $(LIBCT)
	$(CC) $(LDFLAGS) -o $@ $(BUILD)/src/main.o $(LIBCT) $(LIBS)

$(LIBCT): $(OBJS) $(VOBJS)
	rm -f $@
	$(AR) rcs $@ $(OBJS) $(VOBJS)

$(BUILD)/vendor/%.o: vendor/%.c
	@mkdir -p $(dir $@)
	$(CC) $(OPT) $(CFLAGS) -Ivendor/bearssl/inc -Ivendor/bearssl/src -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/test/test_%: test/unit/test_%.c test/unit/check.h $(LIBCT)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itest/unit $(LDFLAGS) -o $@ $< $(LIBCT) $(LIBS)

# Test helpers are plain builds even under ASan: a runner that must die of
# SIGSEGV would otherwise be caught by the sanitizer and exit 1.
$(BUILD)/test/%: test/helpers/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -o $@ $<

HELPERS	= $(BUILD)/test/blast $(BUILD)/test/crasher

# `make test` runs every unit and integration test and ends with one line
# "N passed, N failed".
# The allocation-counting build cannot be combined with ASan: ALLOC_BIN
# is empty there and the test that needs it skips.
ALLOC_BIN ?= $(BUILD)/crashtrail-alloc

test: $(BIN) $(UNITBINS) $(HELPERS) $(ALLOC_BIN)
	@CRASHTRAIL=$(abspath $(BIN)) UNIT_DIR=$(BUILD)/test HELPER_DIR=$(abspath $(BUILD)/test) \
	    CRASHTRAIL_ALLOC=$(if $(ALLOC_BIN),$(abspath $(ALLOC_BIN))) \
	    TEST_TIMEOUT=$(TEST_TIMEOUT) sh test/run.sh

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/crashtrail OPT="$(ASAN_FLAGS)" \
	    LDFLAGS="$(LDFLAGS) -fsanitize=address,undefined" ALLOC_BIN= test

# Counts malloc/calloc/realloc between "ready" and shutdown while 16 runners
# write 256 MiB; prints the count and fails unless it is zero.
alloc-check: $(BUILD)/crashtrail-alloc $(HELPERS)
	sh test/bench/alloc_check.sh $(abspath $(BUILD)/crashtrail-alloc) $(abspath $(BUILD)/test/blast)

$(BUILD)/crashtrail-alloc: $(BUILD)/src/main.o $(LIBCT) test/bench/alloccount.c
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ test/bench/alloccount.c $(BUILD)/src/main.o $(LIBCT) $(LIBS)

bench: $(BIN)
	sh test/bench/throughput.sh

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/crashtrail

clean:
	rm -rf build $(BIN)

-include $(OBJS:.o=.d) $(BUILD)/src/main.d
