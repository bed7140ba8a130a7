# mk/static.mk -- make static: fully static crashtrail binaries (musl).
# SPDX-License-Identifier: ISC
#
# `make static` links build/static/x86_64/crashtrail and
# build/static/aarch64/crashtrail with zig 0.11 (`zig cc -target
# <arch>-linux-musl`) from the Linux build's sources, against libevent and
# mbedTLS built by mk/build-deps.sh (the recipe `make macos` uses too) into
# build/deps/<arch>-linux-musl/, then prints each binary's size and what
# file(1) says of it, and fails unless that is "statically linked".
# `make test-static` runs the integration suite against the x86_64 one;
# `make static-smoke` runs the aarch64 one under qemu-aarch64-static with
# a crashing runner (test/static/smoke.sh; exit 77 without qemu).
# Included by the Makefile after SRCS, MAIN, VSRCS, INCS, WARNINGS,
# INIH_FLAGS, CPPFLAGS_linux, BUILD and HELPERS are defined.

STATIC_ARCHS	?= x86_64 aarch64
STATIC_OUT	?= build/static
DEPS_DIR	?= build/deps
# -O2 always: at -O0 zig turns UBSan on in trap mode (SIGILL on UB).
# One section per function and object, here and in the deps
# (mk/build-deps.sh), so the link drops what is never called: about
# a fifth of an x86_64 binary (1.18 MB without, 0.96 MB with).
STATIC_OPT	?= -O2
STATIC_SECTIONS	?= -ffunction-sections -fdata-sections
STATIC_LDFLAGS	?= -static -s -Wl,--gc-sections
STATIC_PSRCS	 = $(sort $(wildcard platform/linux/*.c))
STATIC_SRCS	 = $(MAIN) $(SRCS) $(STATIC_PSRCS)
STATIC_LIBS	 = -levent_extra -levent_core -lmbedtls -lmbedx509 -lmbedcrypto
DEPS_INPUTS	 = mk/build-deps.sh $(wildcard vendor/patches/*.patch)
STATIC_BINS	 = $(STATIC_ARCHS:%=$(STATIC_OUT)/%/crashtrail)
ST_Q		 = $(if $(V),,@)

.PHONY: static static-deps test-static static-smoke

# static_arch ARCH: the deps, objects and link of one architecture.
# Quiet: only warnings, errors and the summary of `make static` show
# (V=1 shows the commands).
define static_arch
ST_DEPS_$(1)	 = $(DEPS_DIR)/$(1)-linux-musl
ST_CC_$(1)	 = $$(ST_DEPS_$(1))/bin/zcc
ST_STAMP_$(1)	 = $$(ST_DEPS_$(1))/.stamp
ST_OBJS_$(1)	 = $$(patsubst %.c,$(STATIC_OUT)/$(1)/obj/%.o,$$(STATIC_SRCS))
ST_VOBJS_$(1)	 = $$(patsubst %.c,$(STATIC_OUT)/$(1)/obj/%.o,$$(VSRCS))

static-deps: $$(ST_STAMP_$(1))

$$(ST_STAMP_$(1)): $$(DEPS_INPUTS)
	@DEPS_DIR=$$(abspath $$(DEPS_DIR)) \
	    DEPS_OUT=$$(abspath $$(ST_DEPS_$(1))) \
	    sh mk/build-deps.sh $(1)-linux-musl

$(STATIC_OUT)/$(1)/crashtrail: $$(ST_OBJS_$(1)) $$(ST_VOBJS_$(1)) $$(ST_STAMP_$(1))
	$$(ST_Q)$$(ST_CC_$(1)) $$(STATIC_OPT) $$(STATIC_LDFLAGS) -o $$@ \
	    $$(ST_OBJS_$(1)) $$(ST_VOBJS_$(1)) \
	    -L$$(ST_DEPS_$(1))/prefix/lib $$(STATIC_LIBS)

# Objects depend on the deps' stamp, not only order: a deps rebuild
# recompiles them in the same run (make has stat'ed the headers -MMD
# lists before build-deps.sh reinstalled them, so they alone would take
# a second run).  Vendor code builds with its own flags, as in the
# Makefile.
$(STATIC_OUT)/$(1)/obj/vendor/%.o: vendor/%.c $$(ST_STAMP_$(1))
	@mkdir -p $$(dir $$@)
	$$(ST_Q)$$(ST_CC_$(1)) $$(STATIC_OPT) $$(STATIC_SECTIONS) \
	    $$(INIH_FLAGS) -Ivendor/bearssl/inc -Ivendor/bearssl/src \
	    -c $$< -o $$@

$(STATIC_OUT)/$(1)/obj/%.o: %.c $$(ST_STAMP_$(1))
	@mkdir -p $$(dir $$@)
	$$(ST_Q)$$(ST_CC_$(1)) $$(STATIC_OPT) $$(STATIC_SECTIONS) \
	    $$(WARNINGS) $$(CPPFLAGS_linux) $$(INCS) $$(INIH_FLAGS) \
	    -I$$(ST_DEPS_$(1))/prefix/include -MMD -MP -c $$< -o $$@

-include $$(ST_OBJS_$(1):.o=.d)
endef
$(foreach a,$(STATIC_ARCHS),$(eval $(call static_arch,$(a))))

static: $(STATIC_BINS)
	@for f in $(STATIC_BINS); do \
		what=$$(file -b "$$f"); \
		echo "$$f: $$(stat -c %s "$$f") bytes; $$what"; \
		case $$what in *"statically linked"*) ;; \
		*) echo "$$f is not statically linked" >&2; exit 1 ;; esac; \
	done

# The integration suite against the static x86_64 binary.  The helpers
# (and https_get, which links the project library) are the normal
# dynamic builds; the unit tests are left to `make test` (they do not run
# the binary), so UNIT_DIR is an empty directory and CT_MUST_RUN keeps
# only integration names.  alloc_zero skips: the allocation-counting
# build interposes glibc's __libc_malloc, which a musl binary has not.
STATIC_TEST_BIN	 = $(STATIC_OUT)/x86_64/crashtrail

test-static: $(STATIC_TEST_BIN) $(HELPERS)
	@mkdir -p $(STATIC_OUT)/no-units
	@CRASHTRAIL=$(abspath $(STATIC_TEST_BIN)) \
	    UNIT_DIR=$(STATIC_OUT)/no-units \
	    HELPER_DIR=$(abspath $(BUILD)/test) \
	    CRASHTRAIL_SANITIZED= CRASHTRAIL_ALLOC= \
	    CT_MUST_RUN="$(filter-out integration/alloc_zero,$(filter integration/%,$(CT_MUST_RUN)))" \
	    TEST_TIMEOUT=$(TEST_TIMEOUT) sh test/run.sh

# The aarch64 binary under qemu-aarch64-static: a crashing runner and its
# death report (exit 77, a skip, without qemu).
static-smoke: $(STATIC_OUT)/aarch64/crashtrail
	@sh test/static/smoke.sh $(abspath $(STATIC_OUT)/aarch64/crashtrail)
