# mk/install.mk -- make install, make uninstall (PREFIX, DESTDIR) and
# make deb.
# SPDX-License-Identifier: ISC
#
#   make install [PREFIX=/usr/local] [DESTDIR=]
#     $(BINDIR)/crashtrail                      0755
#     $(MANDIR)/man8/crashtrail.8, man5/crashtrail.conf.5
#     $(SYSCONFDIR)/crashtrail/crashtrail.conf.example  (a safe system
#         config: packaging/deb/crashtrail.conf, no runners)
#     $(DOCDIR)/examples/   the demo config of README.md and its runner
#     $(UNITDIR)/crashtrail.service  on Linux, when
#         platform/linux/crashtrail.service exists, with the path of
#         crashtrail in its Exec*= lines made $(BINDIR)/crashtrail (its
#         -c /etc/crashtrail/crashtrail.conf stays: that is the binary's
#         own default, which the client commands read too)
#     $(LAUNCHDDIR)/org.crashtrail.crashtrail.plist  with PLATFORM=macos,
#         when platform/macos/crashtrail.plist exists (its program and
#         config paths made $(BINDIR)/crashtrail and $(SYSCONFDIR)/
#         crashtrail/crashtrail.conf), and the directory of its log files
#   make uninstall: the same files, with the same variables.
#   make deb: build/deb/crashtrail_<version>-<revision>_<arch>.deb (see
#     packaging/deb/build.sh); DEB_STATIC=yes packages the static binary
#     of `make static` instead of the dynamic build.
#
# Included by the Makefile after BIN, BUILD and PLATFORM are defined;
# PREFIX comes from config.mk.

BINDIR		?= $(PREFIX)/bin
MANDIR		?= $(PREFIX)/share/man
DOCDIR		?= $(PREFIX)/share/doc/crashtrail
# /etc for a system package (PREFIX=/usr), else under the prefix.
SYSCONFDIR	?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
# Both are on systemd's unit path: /lib/systemd/system for a package,
# /usr/local/lib/systemd/system for what the administrator installs.
UNITDIR		?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
LAUNCHDDIR	?= /Library/LaunchDaemons
# Named after its Label, as launchctl bootstrap expects.
PLIST_NAME	?= org.crashtrail.crashtrail.plist
INSTALL		?= install
# The binary to install: the one `make` builds unless told otherwise
# (make deb DEB_STATIC=yes gives it build/static/<arch>/crashtrail).
INSTALL_BIN	?= $(BIN)

EXAMPLE_CONF	?= packaging/deb/crashtrail.conf
EXAMPLES	 = examples/crashtrail.conf examples/flaky-runner.sh \
		   examples/supervisord-crashtrail.conf
UNIT_SRC	 = platform/linux/crashtrail.service
PLIST_SRC	 = platform/macos/crashtrail.plist
# What this platform installs of the two (nothing while it is missing).
SERVICE_linux	 = $(wildcard $(UNIT_SRC))
SERVICE_macos	 = $(wildcard $(PLIST_SRC))
SERVICE		 = $(SERVICE_$(PLATFORM))
# The config the service reads: the binary's default on Linux (the client
# commands look there too), the plist's, under SYSCONFDIR, on macOS.
CONF_PATH_linux	 = /etc/crashtrail/crashtrail.conf
CONF_PATH_macos	 = $(SYSCONFDIR)/crashtrail/crashtrail.conf

.PHONY: uninstall deb

install: $(INSTALL_BIN)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)/crashtrail \
	    $(DESTDIR)$(DOCDIR)/examples
	$(INSTALL) -m 0755 $(INSTALL_BIN) $(DESTDIR)$(BINDIR)/crashtrail
	$(INSTALL) -m 0644 man/crashtrail.8 $(DESTDIR)$(MANDIR)/man8/crashtrail.8
	$(INSTALL) -m 0644 man/crashtrail.conf.5 \
	    $(DESTDIR)$(MANDIR)/man5/crashtrail.conf.5
	$(INSTALL) -m 0644 $(EXAMPLE_CONF) \
	    $(DESTDIR)$(SYSCONFDIR)/crashtrail/crashtrail.conf.example
	$(INSTALL) -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
ifneq ($(SERVICE_linux),)
ifeq ($(PLATFORM),linux)
	$(INSTALL) -d $(DESTDIR)$(UNITDIR)
	sed -e 's#^\(Exec[A-Za-z]*=[-@:+!]*\)/[^ ]*/crashtrail$$#\1$(BINDIR)/crashtrail#' \
	    -e 's#^\(Exec[A-Za-z]*=[-@:+!]*\)/[^ ]*/crashtrail #\1$(BINDIR)/crashtrail #' \
	    $(UNIT_SRC) >$(DESTDIR)$(UNITDIR)/crashtrail.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/crashtrail.service
endif
endif
ifneq ($(SERVICE_macos),)
ifeq ($(PLATFORM),macos)
	$(INSTALL) -d $(DESTDIR)$(LAUNCHDDIR)
	sed -e 's#<string>/usr/local/bin/crashtrail</string>#<string>$(BINDIR)/crashtrail</string>#' \
	    -e 's#<string>/usr/local/etc/crashtrail/#<string>$(SYSCONFDIR)/crashtrail/#' \
	    $(PLIST_SRC) >$(DESTDIR)$(LAUNCHDDIR)/$(PLIST_NAME)
	chmod 0644 $(DESTDIR)$(LAUNCHDDIR)/$(PLIST_NAME)
	@# launchd does not make the directory of StandardErrorPath.
	d=$$(sed -n 's#.*<string>\(/.*\)/[^/]*\.log</string>.*#\1#p' $(PLIST_SRC) | head -n 1); \
	    [ -z "$$d" ] || $(INSTALL) -d -m 0750 $(DESTDIR)$$d
endif
endif
	@echo "installed crashtrail under $(DESTDIR)$(PREFIX)$(if $(SERVICE), with $(notdir $(SERVICE)),)"
	@echo "its config is $(CONF_PATH_$(PLATFORM)): start from $(SYSCONFDIR)/crashtrail/crashtrail.conf.example"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/crashtrail \
	    $(DESTDIR)$(MANDIR)/man8/crashtrail.8 \
	    $(DESTDIR)$(MANDIR)/man5/crashtrail.conf.5 \
	    $(DESTDIR)$(SYSCONFDIR)/crashtrail/crashtrail.conf.example \
	    $(addprefix $(DESTDIR)$(DOCDIR)/examples/,$(notdir $(EXAMPLES)))
	rm -f $(if $(filter linux,$(PLATFORM)),$(DESTDIR)$(UNITDIR)/crashtrail.service) \
	    $(if $(filter macos,$(PLATFORM)),$(DESTDIR)$(LAUNCHDDIR)/$(PLIST_NAME))
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/crashtrail 2>/dev/null
	@echo "a crashtrail.conf of your own in $(DESTDIR)$(SYSCONFDIR)/crashtrail and the state directory are left in place"

# make deb: a package built with dpkg-deb from `make install PREFIX=/usr`
# into a staging root; packaging/deb/build.sh adds the rest (conffile,
# copyright, changelog, maintainer scripts, Depends from dpkg-shlibdeps).
# The dynamic binary is built apart, in build/deb/obj, with Debian's
# hardening flags (dpkg-buildflags: fortify, stack protector, relro, bindnow).
DEB_REVISION	?= 1
DEB_UPSTREAM	 = $(shell sed -n 's/^\#define[ 	]*CRASHTRAIL_VERSION[ 	]*"\(.*\)"/\1/p' src/version.h)
DEB_VERSION	?= $(DEB_UPSTREAM)-$(DEB_REVISION)
DEB_OUT		?= build/deb
DEB_STATIC	?= no
DEB_ARCH	?= $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB_ROOT	 = $(DEB_OUT)/root
DEB_BUILDFLAGS	 = DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags
ifeq ($(DEB_STATIC),yes)
# build/static/<uname -m>/crashtrail from mk/static.mk (stripped there).
DEB_UARCH	 = $(if $(filter arm64,$(DEB_ARCH)),aarch64,$(if $(filter amd64,$(DEB_ARCH)),x86_64,$(DEB_ARCH)))
DEB_BIN		 = $(or $(STATIC_OUT),build/static)/$(DEB_UARCH)/crashtrail
DEB_MAKEVARS	 = INSTALL_BIN=$(DEB_BIN)
else
DEB_BIN		 = $(DEB_OUT)/obj/crashtrail
DEB_MAKEVARS	 = BUILD=$(DEB_OUT)/obj BIN=$(DEB_BIN) INSTALL_BIN=$(DEB_BIN) \
		   OPT="$$($(DEB_BUILDFLAGS) --get CFLAGS) $$($(DEB_BUILDFLAGS) --get CPPFLAGS)" \
		   LDFLAGS="$$($(DEB_BUILDFLAGS) --get LDFLAGS)"
endif

deb:
	@command -v dpkg-deb >/dev/null || { echo "make deb needs dpkg-deb" >&2; exit 1; }
	rm -rf $(DEB_ROOT)
	$(MAKE) $(DEB_MAKEVARS) PREFIX=/usr DESTDIR=$(abspath $(DEB_ROOT)) \
	    PLATFORM=linux install
	DEB_VERSION=$(DEB_VERSION) DEB_ARCH=$(DEB_ARCH) DEB_STATIC=$(DEB_STATIC) \
	    sh packaging/deb/build.sh $(DEB_ROOT) $(DEB_OUT)
