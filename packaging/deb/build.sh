#!/bin/sh
# packaging/deb/build.sh ROOT OUT -- turn a `make install PREFIX=/usr
# DESTDIR=ROOT` tree into OUT/crashtrail_<version>_<arch>.deb with
# dpkg-deb (run by `make deb`).
# SPDX-License-Identifier: ISC
#
# Environment: DEB_VERSION (0.1.0-1), DEB_ARCH (amd64), DEB_STATIC (yes
# when ROOT's binary is the static one: no shared-library Depends),
# DEB_MAINTAINER, DEB_HOMEPAGE, SOURCE_DATE_EPOCH (default: the last
# commit's time, else now).  Needs dpkg-deb, gzip, strip; dpkg-shlibdeps
# (dpkg-dev) for the Depends of a dynamic binary, else ldd and dpkg -S.
set -eu
umask 022

root=${1:?usage: build.sh ROOT OUT}
out=${2:?usage: build.sh ROOT OUT}
[ -d "$root" ] || { echo "build.sh: no $root" >&2; exit 1; }
root=$(cd "$root" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
: "${DEB_VERSION:?}" "${DEB_ARCH:?}"
static=${DEB_STATIC:-no}
maint=${DEB_MAINTAINER:-crashtrail maintainers <crashtrail@packages.debian.net>}
homepage=${DEB_HOMEPAGE:-https://github.com/crashtrail/crashtrail}
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$top" log -1 --format=%ct 2>/dev/null ||
	    date +%s)
fi
export SOURCE_DATE_EPOCH

die() {
	echo "build.sh: $*" >&2
	exit 1
}

bin=$root/usr/bin/crashtrail
[ -x "$bin" ] || die "$bin is missing: run make install DESTDIR=$root first"
doc=$root/usr/share/doc/crashtrail
unit=$root/lib/systemd/system/crashtrail.service

# The binary: stripped as dh_strip does (the static one was stripped when
# it was linked, and may be of another architecture than strip's).
if [ "$static" != yes ]; then
	strip --remove-section=.comment --remove-section=.note \
	    --strip-unneeded "$bin"
fi

# Manual pages gzipped, reproducibly (no name, no time stamp).
for f in "$root"/usr/share/man/man*/*; do
	case $f in *.gz) continue ;; esac
	gzip -9nf "$f"
done

# /etc holds only conffiles: the system config instead of the example.
rm -f "$root/etc/crashtrail/crashtrail.conf.example"
install -d "$root/etc/crashtrail"
install -m 0644 "$here/crashtrail.conf" "$root/etc/crashtrail/crashtrail.conf"

# Documentation: copyright (with the statically linked libraries' terms
# when the binary is the static one) and the Debian changelog.
install -d "$doc"
install -m 0644 "$here/copyright" "$doc/copyright"
if [ "$static" = yes ]; then
	cat "$here/copyright.static" >>"$doc/copyright"
fi
date=$(date -u -R -d "@$SOURCE_DATE_EPOCH" 2>/dev/null || date -u -R)
{
	echo "crashtrail ($DEB_VERSION) unstable; urgency=medium"
	echo
	echo "  * Built from the crashtrail source tree by make deb."
	echo
	echo " -- $maint  $date"
} >"$root/changelog.Debian"
gzip -9n <"$root/changelog.Debian" >"$doc/changelog.Debian.gz"
rm -f "$root/changelog.Debian"
chmod 0644 "$doc/changelog.Debian.gz"

# Depends: the shared libraries, found by dpkg-shlibdeps (their symbols
# files give the lowest versions that work), plus adduser for postinst.
depends=adduser
if [ "$static" != yes ]; then
	libs=
	if command -v dpkg-shlibdeps >/dev/null 2>&1; then
		w=$(mktemp -d "${TMPDIR:-/tmp}/crashtrail-deb.XXXXXX")
		mkdir "$w/debian"
		printf 'Source: crashtrail\n\nPackage: crashtrail\nArchitecture: any\n' \
		    >"$w/debian/control"
		libs=$(cd "$w" && dpkg-shlibdeps -O -e"$bin" 2>/dev/null |
		    sed -n 's/^shlibs:Depends=//p') || libs=
		rm -rf "$w"
	fi
	if [ -z "$libs" ]; then
		# Without dpkg-dev: the packages of the libraries, unversioned.
		libs=$(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
		    while read -r l; do
			dpkg -S "$(readlink -f "$l")" 2>/dev/null ||
			    dpkg -S "$l" 2>/dev/null
		    done | sed 's/:.*//' | sort -u | paste -sd, - |
		    sed 's/,/, /g')
	fi
	[ -n "$libs" ] || die "cannot tell which packages $bin needs"
	depends="$libs, $depends"
fi

# Maintainer scripts: their systemd parts only when the unit is shipped;
# prerm has nothing else, so it goes without one.
ctl=$root/DEBIAN
rm -rf "$ctl"
install -d "$ctl"
for s in postinst prerm postrm; do
	if [ -f "$unit" ]; then
		sed '/^# systemd:begin$/d; /^# systemd:end$/d' "$here/$s" >"$ctl/$s"
	else
		[ "$s" = prerm ] && continue
		sed '/^# systemd:begin$/,/^# systemd:end$/d' "$here/$s" >"$ctl/$s"
	fi
	chmod 0755 "$ctl/$s"
done
install -m 0644 "$here/conffiles" "$ctl/conffiles"

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$DEB_VERSION|" -e "s|@ARCH@|$DEB_ARCH|" \
    -e "s|@MAINTAINER@|$maint|" -e "s|@INSTALLED_SIZE@|$size|" \
    -e "s|@DEPENDS@|$depends|" -e "s|@HOMEPAGE@|$homepage|" \
    "$here/control.in" >"$ctl/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' |
    LC_ALL=C sort | xargs md5sum) >"$ctl/md5sums"
chmod 0644 "$ctl/control" "$ctl/md5sums"

mkdir -p "$out"
deb=$out/crashtrail_${DEB_VERSION}_${DEB_ARCH}.deb
rm -f "$out"/crashtrail_*.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb: $(stat -c %s "$deb") bytes"
echo "  Depends: $depends"
echo "  systemd unit: $([ -f "$unit" ] && echo yes || echo 'no (platform/linux/crashtrail.service is missing)')"
