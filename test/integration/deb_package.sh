#!/bin/sh
# deb_package.sh -- the .deb of `make deb`, for real on this machine:
# apt-get install it, check the binary, the crashtrail user and group,
# /var/lib/crashtrail, the conffile (check-config passes on it), the
# manuals, the unit's enablement and a daemon answering `status`; then
# apt-get purge it and check that the files, the state directory and the
# user and group are gone.  It changes the system, so it runs only as root
# with CT_SYSTEM_TESTS=1 (CI sets it) and skips with the reason otherwise;
# a failure on the way still purges what it installed.
# The package: build/deb/crashtrail_*.deb (CI runs `make deb` first);
# when there is none and dpkg-deb exists, this runs `make deb` itself.
set -u
top=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}

skip() {
	echo "$*"
	exit 77
}
fail() {
	echo "FAIL: $*"
	exit 1
}

[ "${CT_SYSTEM_TESTS:-}" = 1 ] ||
    skip "installs and purges a package: only with CT_SYSTEM_TESTS=1 (as root)"
[ "$(id -u)" -eq 0 ] || skip "needs root to install a package"
command -v dpkg >/dev/null || skip "not a dpkg system"
# What the purge would take away must not be someone else's.
case $(dpkg-query -W -f='${Status}' crashtrail 2>/dev/null) in
''|*not-installed) ;;
*)	skip "a crashtrail package is (or was) installed here: not touching it" ;;
esac
getent passwd crashtrail >/dev/null &&
    skip "a crashtrail user exists already: the purge would remove it"
getent group crashtrail >/dev/null &&
    skip "a crashtrail group exists already: the purge would remove it"
[ -e /var/lib/crashtrail ] &&
    skip "/var/lib/crashtrail exists already: the purge would remove it"
[ -e /etc/crashtrail ] &&
    skip "/etc/crashtrail exists already: not mixing a package into it"

# shellcheck disable=SC2012
deb=$(ls -t "$top"/build/deb/crashtrail_*.deb 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then
	command -v dpkg-deb >/dev/null && command -v make >/dev/null ||
	    skip "no package: run make deb"
	echo "no build/deb/crashtrail_*.deb: running make deb"
	log=$(mktemp "${TMPDIR:-/tmp}/crashtrail-make-deb.XXXXXX") || exit 1
	# Not the flags of a `make test-asan` this may run under.
	if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$top" deb \
	    >"$log" 2>&1; then
		tail -n 30 "$log"
		rm -f "$log"
		fail "make deb"
	fi
	rm -f "$log"
	deb=$(ls -t "$top"/build/deb/crashtrail_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || fail "make deb made no package"
fi
version=$(dpkg-deb -f "$deb" Version)
upstream=${version%-*}
echo "package: $deb ($version)"

T=$(mktemp -d "${TMPDIR:-/tmp}/crashtrail-deb.XXXXXX") || exit 1
DPID=
installed=0
cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	if [ $installed -eq 1 ]; then
		echo "cleanup: purging crashtrail"
		dpkg --purge crashtrail >/dev/null 2>&1
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

export DEBIAN_FRONTEND=noninteractive
installed=1
if command -v apt-get >/dev/null; then
	apt-get install -y --no-install-recommends "$deb" >"$T/install.log" 2>&1
else
	dpkg -i "$deb" >"$T/install.log" 2>&1
fi || { cat "$T/install.log"; fail "installing $deb"; }
dpkg-query -W -f='${Status}\n' crashtrail | grep -q '^install ok installed$' ||
    fail "dpkg does not say installed: $(dpkg-query -W -f='${Status}' crashtrail)"
echo "installed"

# The binary, from the package.
/usr/bin/crashtrail version >"$T/version" 2>&1 ||
    { cat "$T/version"; fail "/usr/bin/crashtrail version"; }
grep -q "^crashtrail $upstream " "$T/version" ||
    { cat "$T/version"; fail "version is not $upstream"; }
/usr/bin/crashtrail --help >/dev/null || fail "crashtrail --help"

# The system user and group, and their directory.
pw=$(getent passwd crashtrail) || fail "no crashtrail user"
getent group crashtrail >/dev/null || fail "no crashtrail group"
uid=$(echo "$pw" | cut -d: -f3)
[ "$uid" -lt 1000 ] || fail "crashtrail is not a system user (uid $uid)"
[ "$(echo "$pw" | cut -d: -f6)" = /var/lib/crashtrail ] ||
    fail "crashtrail's home is not /var/lib/crashtrail: $pw"
[ -d /var/lib/crashtrail ] || fail "no /var/lib/crashtrail"
# postinst makes it crashtrail's; where systemd runs and has started the
# unit, its StateDirectory= (the unit has no User=) gives it to root.
own=$(stat -c '%U:%G %a' /var/lib/crashtrail)
case $own in
"crashtrail:crashtrail 750") ;;
"root:root 750")
	[ -d /run/systemd/system ] ||
	    fail "/var/lib/crashtrail is $own, not crashtrail's" ;;
*)	fail "/var/lib/crashtrail is $own" ;;
esac

# The conffile, and that it is a valid config.
[ -f /etc/crashtrail/crashtrail.conf ] || fail "no /etc/crashtrail/crashtrail.conf"
dpkg-query -W -f='${Conffiles}\n' crashtrail |
    grep -q '^ /etc/crashtrail/crashtrail.conf ' ||
    fail "/etc/crashtrail/crashtrail.conf is not a conffile"
/usr/bin/crashtrail check-config -c /etc/crashtrail/crashtrail.conf \
    >"$T/check" 2>&1 || { cat "$T/check"; fail "check-config of the conffile"; }
grep -q 'state_dir /var/lib/crashtrail' "$T/check" ||
    { cat "$T/check"; fail "the conffile's state_dir"; }

# Manuals and documentation.
for f in /usr/share/man/man8/crashtrail.8.gz \
    /usr/share/man/man5/crashtrail.conf.5.gz \
    /usr/share/doc/crashtrail/copyright \
    /usr/share/doc/crashtrail/changelog.Debian.gz; do
	[ -f "$f" ] || fail "$f is missing"
done
gzip -dc /usr/share/man/man5/crashtrail.conf.5.gz | grep -q '^\.It Cm state_dir' ||
    fail "crashtrail.conf.5.gz is not the manual"

# The unit, when the package has one: enabled (as deb-systemd-helper
# records it, with or without a running systemd), and running if systemd
# runs here.
unit= wants=
dpkg -L crashtrail | grep -q '/systemd/system/crashtrail.service$' &&
    unit=$(dpkg -L crashtrail | grep '/systemd/system/crashtrail.service$')
if [ -n "$unit" ]; then
	[ -f "$unit" ] || fail "$unit is missing"
	# deb-systemd-helper answers only inside maintainer scripts: its
	# state file and the [Install] WantedBy= links say it instead.
	[ -f /var/lib/systemd/deb-systemd-helper-enabled/crashtrail.service.dsh-also ] ||
	    fail "deb-systemd-helper did not enable crashtrail.service"
	wants=
	for w in $(sed -n 's/^WantedBy=//p' "$unit"); do
		l=/etc/systemd/system/$w.wants/crashtrail.service
		[ -L "$l" ] || fail "no $l: crashtrail.service is not enabled"
		wants="$wants $l"
	done
	echo "unit: $unit, enabled:$wants"
fi

# A daemon on the shipped config answers `status` on its socket: the
# service's when systemd started it, else one started here.
if [ -n "$unit" ] && [ -d /run/systemd/system ]; then
	i=0
	until systemctl is-active --quiet crashtrail; do
		i=$((i + 1)); [ $i -le 50 ] || fail "crashtrail.service is not active"
		sleep 0.2
	done
	echo "crashtrail.service is active"
else
	/usr/bin/crashtrail run -c /etc/crashtrail/crashtrail.conf \
	    >"$T/daemon.log" 2>&1 &
	DPID=$!
fi
i=0
until /usr/bin/crashtrail status >"$T/status" 2>&1; do
	i=$((i + 1))
	[ $i -le 50 ] || { cat "$T/status" "$T/daemon.log" 2>/dev/null
	    fail "crashtrail status never answered"; }
	sleep 0.2
done
[ -S /var/lib/crashtrail/crashtrail.sock ] || fail "no API socket in /var/lib/crashtrail"
if [ -n "$DPID" ]; then
	kill -TERM "$DPID"
	wait "$DPID"
	rc=$?
	DPID=
	[ $rc -eq 0 ] || { cat "$T/daemon.log"; fail "daemon exited $rc on SIGTERM"; }
fi
echo "status answered"

# Purge: files, state, user and group gone.
if command -v apt-get >/dev/null; then
	apt-get purge -y crashtrail >"$T/purge.log" 2>&1
else
	dpkg --purge crashtrail >"$T/purge.log" 2>&1
fi || { cat "$T/purge.log"; fail "purging crashtrail"; }
installed=0
st=$(dpkg-query -W -f='${Status}' crashtrail 2>/dev/null)
case $st in ''|*not-installed*) ;; *) fail "after the purge dpkg says: $st" ;; esac
for f in /usr/bin/crashtrail /etc/crashtrail /var/lib/crashtrail \
    /usr/share/doc/crashtrail /usr/share/man/man8/crashtrail.8.gz \
    /usr/share/man/man5/crashtrail.conf.5.gz ${unit:+"$unit"} ${wants:-} \
    /var/lib/systemd/deb-systemd-helper-enabled/crashtrail.service.dsh-also; do
	[ -e "$f" ] || [ -L "$f" ] && fail "$f is still there after the purge"
done
getent passwd crashtrail >/dev/null && fail "the crashtrail user is still there"
getent group crashtrail >/dev/null && fail "the crashtrail group is still there"
echo "purged: files, /var/lib/crashtrail, user and group gone"
echo "ok"
