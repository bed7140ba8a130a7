# macos.mk -- `make macos`: cross-build build/macos/crashtrail, a Mach-O
# arm64 executable for macOS 11+, with zig 0.11 (`zig cc`) from this Linux
# machine.  Included by the Makefile after SRCS, MAIN, VSRCS, INCS,
# WARNINGS, INIH_FLAGS and CPPFLAGS_macos are defined.
# SPDX-License-Identifier: ISC
#
# It only links: nothing here can run a Mach-O.  libevent and mbedTLS are
# built from pinned Debian sources by mk/build-deps.sh (the recipe of
# `make static` too) into build/deps/aarch64-macos.11.0/, which keeps a
# stamp, so a warm `make macos` only recompiles what changed.
# Never strip the result (strip breaks the ad-hoc code signature that
# Apple Silicon requires); MACOS_LDFLAGS links with -s instead.

DEPS_DIR	?= build/deps
MACOS_TARGET	?= aarch64-macos.11.0
MACOS_DEPS	?= $(DEPS_DIR)/$(MACOS_TARGET)
MACOS_OUT	?= build/macos
MACOS_CC	 = $(MACOS_DEPS)/bin/zcc
MACOS_STAMP	 = $(MACOS_DEPS)/.stamp
MACOS_PREFIX	 = $(MACOS_DEPS)/prefix
# -O2 always: at -O0 zig turns UBSan on in trap mode (SIGILL on UB).
MACOS_OPT	?= -O2
MACOS_LDFLAGS	?= -s
MACOS_CFLAGS	 = $(MACOS_OPT) $(WARNINGS) $(CPPFLAGS_macos) $(INCS) \
		   $(INIH_FLAGS) -I$(MACOS_PREFIX)/include
MACOS_LIBS	 = -L$(MACOS_PREFIX)/lib -levent_extra -levent_core \
		   -lmbedtls -lmbedx509 -lmbedcrypto

MACOS_PSRCS	 = $(sort $(wildcard platform/macos/*.c))
MACOS_OBJS	 = $(patsubst %.c,$(MACOS_OUT)/obj/%.o,$(MAIN) $(SRCS) \
		   $(MACOS_PSRCS))
MACOS_VOBJS	 = $(patsubst %.c,$(MACOS_OUT)/obj/%.o,$(VSRCS))

.PHONY: macos macos-deps

macos: $(MACOS_OUT)/crashtrail

macos-deps: $(MACOS_STAMP)

$(MACOS_STAMP): mk/build-deps.sh $(wildcard vendor/patches/*.patch)
	@DEPS_DIR=$(abspath $(DEPS_DIR)) DEPS_OUT=$(abspath $(MACOS_DEPS)) \
	    sh mk/build-deps.sh $(MACOS_TARGET)

$(MACOS_OUT)/crashtrail: $(MACOS_OBJS) $(MACOS_VOBJS) $(MACOS_STAMP)
	$(MACOS_CC) $(MACOS_OPT) $(MACOS_LDFLAGS) -o $@ $(MACOS_OBJS) \
	    $(MACOS_VOBJS) $(MACOS_LIBS)

# Objects depend on the deps' stamp, not only order: a deps rebuild
# recompiles them in the same run (make has stat'ed the headers -MMD
# lists before build-deps.sh reinstalled them, so they alone would take
# a second run).  Vendor code builds with its own flags, as in the
# Makefile.
$(MACOS_OUT)/obj/vendor/%.o: vendor/%.c $(MACOS_STAMP)
	@mkdir -p $(dir $@)
	$(MACOS_CC) $(MACOS_OPT) $(INIH_FLAGS) -Ivendor/bearssl/inc \
	    -Ivendor/bearssl/src -c $< -o $@

$(MACOS_OUT)/obj/%.o: %.c $(MACOS_STAMP)
	@mkdir -p $(dir $@)
	$(MACOS_CC) $(MACOS_CFLAGS) -MMD -MP -c $< -o $@

-include $(MACOS_OBJS:.o=.d)
