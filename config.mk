# config.mk -- every build knob lives here; override on the command line
# (make CC=clang OPT=-O0) rather than editing the Makefile.

PREFIX		?= /usr/local
CC		?= cc
PKG_CONFIG	?= pkg-config
OPT		?= -O2 -g

# Build for this OS unless told otherwise (PLATFORM=linux|macos).
UNAME_S		:= $(shell uname -s)
ifeq ($(UNAME_S),Darwin)
PLATFORM	?= macos
else
PLATFORM	?= linux
endif

# System libraries. libevent has pkg-config files; mbedTLS 2.28 is
# linked by name.  inih is vendored (vendor/inih).
LIBEVENT_CFLAGS	?= $(shell $(PKG_CONFIG) --cflags libevent_core libevent_extra 2>/dev/null)
LIBEVENT_LIBS	?= $(shell $(PKG_CONFIG) --libs libevent_core libevent_extra 2>/dev/null || echo -levent_core -levent_extra)
MBEDTLS_LIBS	?= -lmbedtls -lmbedx509 -lmbedcrypto

# Sanitizer build used by `make test-asan`.
ASAN_FLAGS	?= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
		   -fno-sanitize-recover=undefined

# Test harness: seconds a single integration test may run.
TEST_TIMEOUT	?= 120

# Fuzzing (make fuzz): clang with libFuzzer, seconds per target.
FUZZ_CC		?= clang
FUZZ_FLAGS	?= -g -O1 -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=undefined
FUZZ_TIME	?= 30
