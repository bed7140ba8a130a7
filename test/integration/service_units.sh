#!/bin/sh
# service_units.sh -- the service manager files are valid: the systemd
# unit passes `systemd-analyze verify` (a copy whose ExecStart and
# ExecReload name the binary under test: verify insists that they exist)
# and says what DESIGN.md and the unit's comments promise; the launchd
# plist parses (python3 plistlib; plutil -lint where there is one, on a
# Mac) with the keys launchd needs.  Running the unit under a real systemd
# is systemd_run.sh.
. "$(dirname "$0")/lib.sh"
UNIT=$TOP/platform/linux/crashtrail.service
PLIST=$TOP/platform/macos/crashtrail.plist
[ -f "$UNIT" ] || fail "no $UNIT"
[ -f "$PLIST" ] || fail "no $PLIST"

# The plist first, so that a machine without systemd-analyze still checks it.
if command -v python3 >/dev/null; then
	python3 - "$PLIST" <<'PY' || fail "plist"
import plistlib, sys
d = plistlib.load(open(sys.argv[1], "rb"))
assert d["Label"] == "org.crashtrail.crashtrail", d["Label"]
assert d["ProgramArguments"] == ["/usr/local/bin/crashtrail", "run", "-c",
    "/usr/local/etc/crashtrail/crashtrail.conf"], d["ProgramArguments"]
assert d["KeepAlive"] == {"SuccessfulExit": False}, d["KeepAlive"]
assert d["RunAtLoad"] is True
assert isinstance(d["ThrottleInterval"], int) and d["ThrottleInterval"] >= 1
assert d["ProcessType"] in ("Standard", "Adaptive", "Interactive",
    "Background"), d["ProcessType"]
for k in ("StandardOutPath", "StandardErrorPath"):
    assert d[k].startswith("/usr/local/var/log/crashtrail/"), d[k]
assert d["ExitTimeOut"] >= 30
print("plist ok:", ", ".join(sorted(d)))
PY
else
	echo "python3 missing: the plist is not parsed"
fi
if command -v plutil >/dev/null; then
	plutil -lint "$PLIST" || fail "plutil -lint"
else
	echo "no plutil here (macOS only): plistlib's parse stands for it"
fi

# What the unit must say, whatever verify thinks of it.
for want in '^Type=notify$' '^NotifyAccess=main$' '^WatchdogSec=' \
    '^ExecStart=/usr/bin/crashtrail run -c /etc/crashtrail/crashtrail.conf$' \
    '^ExecReload=/usr/bin/crashtrail reload' '^Restart=on-failure$' \
    '^KillMode=mixed$' '^TimeoutStopSec=' '^NoNewPrivileges=yes$' \
    '^ProtectSystem=strict$' '^ProtectHome=yes$' '^PrivateTmp=yes$' \
    '^ReadWritePaths=.*/var/lib/crashtrail' '^CapabilityBoundingSet=' \
    '^ProtectControlGroups=no$' '^ProtectKernelLogs=no$'; do
	grep -Eq "$want" "$UNIT" || fail "the unit has no line $want"
done
# TimeoutStopSec above the default ladder (10 s + 3 x 2 s + 5 s drain).
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s*$/\1/p' "$UNIT")
[ "${stop:-0}" -gt 21 ] || fail "TimeoutStopSec=$stop is not above 21 s"
# Every capability named is one the comments explain.
for cap in $(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT"); do
	grep -q "^#.*$cap" "$UNIT" || fail "$cap is not explained"
done

command -v systemd-analyze >/dev/null ||
    skip "the unit's keys are checked, but systemd-analyze is missing: not verified"
mkdir -p "$T/unit"
sed "s#/usr/bin/crashtrail#$CRASHTRAIL#g" "$UNIT" >"$T/unit/crashtrail.service"
# --man=no: no man page is installed here for Documentation= to name.
systemd-analyze verify --man=no "$T/unit/crashtrail.service" \
    >"$T/verify.out" 2>&1 || { cat "$T/verify.out"; fail "systemd-analyze verify"; }
# Anything it prints is a complaint (unknown key, bad value), even at rc 0.
[ -s "$T/verify.out" ] && { cat "$T/verify.out"; fail "verify complained"; }
echo "systemd-analyze verify: ok ($(systemd-analyze --version | head -n 1))"
echo ok
