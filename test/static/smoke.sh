#!/bin/sh
# smoke.sh [BIN] -- the aarch64 static crashtrail under qemu-aarch64-static:
# start it on a temporary config with one runner that dies of SIGSEGV,
# wait for that run's death report, check it names SIGSEGV, stop the
# daemon by its pid and remove the directory.  Only crashtrail runs under
# qemu; the runner is a host program (qemu-user passes execve through).
# Prints one line on success; exits 77 (a skip, with the reason) when
# qemu-aarch64-static is missing.
# SPDX-License-Identifier: ISC
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$top/build/static/aarch64/crashtrail}
QEMU=${QEMU_AARCH64:-qemu-aarch64-static}

command -v "$QEMU" >/dev/null 2>&1 || {
	echo "static-smoke: SKIP: $QEMU not found (Debian: apt-get install qemu-user-static)"
	exit 77
}
[ -x "$BIN" ] || { echo "static-smoke: FAIL: no $BIN (make static)"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/crashtrail-smoke.XXXXXX") || exit 1
DPID=
cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	# Every run's process group, as the daemon logged them.
	if [ -f "$T/daemon.log" ]; then
		for p in $(sed -n 's/.* started, pid \([0-9]*\)$/\1/p' \
		    "$T/daemon.log"); do
			kill -KILL -- "-$p" 2>/dev/null
		done
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "static-smoke: FAIL: $*"
	if [ -f "$T/daemon.log" ]; then
		echo "--- daemon log (last 40 lines)"
		tail -n 40 "$T/daemon.log"
	fi
	exit 1
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	_end=$(( $(date +%s) + $1 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -gt "$_end" ] && return 1
		sleep 0.1
	done
}
ready() { grep -q ' ready$' "$T/daemon.log"; }
report() { ls "$T"/state/runner_log/*/boom/*.death.json; }
gone() { ! kill -0 "$DPID"; }

cat >"$T/c.conf" <<CONF
[collector]
state_dir = $T/state

[runner:boom]
command = /bin/sh -c 'echo boom >&2; kill -SEGV \$\$'
autorestart = never
startsecs = 0
CONF

start=$(date +%s)
: >"$T/daemon.log"
"$QEMU" "$BIN" run -c "$T/c.conf" >"$T/daemon.stdout" 2>>"$T/daemon.log" &
DPID=$!
# qemu translates every instruction: allow far more than the tests do.
wait_for 60 ready || fail "daemon did not get ready under $QEMU"
wait_for 60 report || fail "no death report for runner boom"
r=$(report | head -n 1)
# The report is written in one piece; read it when it parses as JSON.
grep -q '"signal_name": *"SIGSEGV"' "$r" ||
    { sleep 1; grep -q '"signal_name": *"SIGSEGV"' "$r"; } ||
    fail "report does not say SIGSEGV: $(cat "$r")"
grep -q 'boom' "$T"/state/runner_log/*/boom/*.stderr.log ||
    fail "the runner's stderr was not logged"

kill -TERM "$DPID"
wait_for 60 gone || fail "daemon did not exit on SIGTERM"
wait "$DPID"
rc=$?
DPID=
[ $rc -eq 0 ] || fail "daemon exited $rc on SIGTERM"
echo "static-smoke: OK: aarch64 crashtrail under $QEMU reported" \
    "SIGSEGV ($(basename "$r")), exited 0 on SIGTERM, $(( $(date +%s) - start )) s"
