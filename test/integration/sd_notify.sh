#!/bin/sh
# sd_notify.sh -- the daemon speaks systemd's notification protocol to a
# datagram socket named by NOTIFY_SOCKET (a python3 receiver here):
# READY=1 with a STATUS= line once started, a new STATUS= when a runner
# dies, WATCHDOG=1 every WATCHDOG_USEC / 2, RELOADING=1 + MONOTONIC_USEC
# then READY=1 around each reload (crashtrail reload, a refused one, HUP),
# STOPPING=1 on SIGTERM.  Runners do not inherit the variables.  Then the
# same start with an abstract ('@') socket name.  WATCHDOG_PID is left
# unset: the daemon's pid is not known before it starts, and systemd
# allows that.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "needs python3"

# recv.py ADDRESS OUT: each datagram as one line of OUT, "<CLOCK_MONOTONIC
# us> <message, newlines as |>".
cat >"$T/recv.py" <<'PY'
import socket, sys, time
addr, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
open(out + ".up", "w").close()
with open(out, "a") as f:
    while True:
        m = s.recv(4096).decode()
        f.write("%d %s\n" % (time.monotonic_ns() // 1000, m.replace("\n", "|")))
        f.flush()
PY
RPID=
CLEANUP_HOOK=stop_recv
stop_recv() {
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	RPID=
}
start_recv() {	# ADDRESS
	rm -f "$T/notes" "$T/notes.up"
	python3 "$T/recv.py" "$1" "$T/notes" &
	RPID=$!
	wait_for 5 test -e "$T/notes.up" || fail "receiver did not start"
}
notes_has() {	# EXTENDED-REGEX
	grep -Eq -- "$1" "$T/notes" 2>/dev/null
}
count() {	# EXTENDED-REGEX
	grep -Ec -- "$1" "$T/notes" 2>/dev/null || true
}

collector "$T/crashtrail.conf" "max_runners = 4"
cat >>"$T/crashtrail.conf" <<CONF
[runner:up]
command = /bin/sh -c 'env >$T/runner.env; exec sleep 600'
startsecs = 0
[runner:dies]
command = /bin/sh -c 'sleep 0.5; exit 3'
startsecs = 0
autorestart = never
CONF

start_recv "$T/notify.sock"
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=200000 start_daemon \
    "$T/crashtrail.conf"
log_has 'watchdog ping every 100 ms' || fail "no watchdog line in the log"
wait_for 5 notes_has ' READY=1\|STATUS=[0-9]+ of 2 runners up, 0 deaths, uploads off$' ||
    fail "no READY=1 with a STATUS line: $(cat "$T/notes")"
# The death shows in the next STATUS (the timer runs every 5 s).
wait_for 12 notes_has ' STATUS=1 of 2 runners up, 1 deaths, uploads off$' ||
    fail "no STATUS after the death: $(cat "$T/notes")"
n=$(count ' WATCHDOG=1$')
[ "$n" -ge 20 ] || fail "only $n WATCHDOG=1 in ~5 s at 100 ms"
# Sent only when it changed: one STATUS-only line so far.
[ "$(count ' STATUS=')" -eq 1 ] || fail "STATUS repeated: $(cat "$T/notes")"
wait_for 5 test -s "$T/runner.env" || fail "runner did not start"
grep -Eq '^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=' "$T/runner.env" &&
    fail "a runner inherited the notify variables"

# reloaded: RELOADING=1 with a plausible MONOTONIC_USEC, then READY=1.
reloaded() {	# what (for messages)
	wait_for 5 sh -c "[ \$(grep -c ' READY=1' '$T/notes') -ge $1 ]" ||
	    fail "$2: no READY=1 after it: $(cat "$T/notes")"
	python3 - "$T/notes" "$2" <<'PY' || fail "$2: notifications in the wrong shape"
import sys
lines = [l.rstrip("\n").split(" ", 1) for l in open(sys.argv[1])]
lines = [(int(t), m) for t, m in lines if not m.startswith("WATCHDOG")]
last_r = max(i for i, (t, m) in enumerate(lines) if m.startswith("RELOADING=1"))
t, m = lines[last_r]
parts = m.split("|")
assert parts[0] == "RELOADING=1" and parts[1].startswith("MONOTONIC_USEC="), m
mono = int(parts[1].split("=", 1)[1])
# The daemon's CLOCK_MONOTONIC just before the receiver's.
assert 0 <= t - mono < 2000000, (t, mono)
assert any(mm.startswith("READY=1") for _, mm in lines[last_r + 1:]), lines
print(sys.argv[2], "ok")
PY
}
CRASHTRAIL_SOCKET=$T/state/crashtrail.sock "$CRASHTRAIL" reload >/dev/null ||
    fail "crashtrail reload failed"
reloaded 2 "crashtrail reload"
# A refused file: the manager still hears READY=1 (nothing changed).
cp "$T/crashtrail.conf" "$T/good.conf"
echo "no_such_key = 1" >>"$T/crashtrail.conf"
CRASHTRAIL_SOCKET=$T/state/crashtrail.sock "$CRASHTRAIL" reload \
    >/dev/null 2>&1 && fail "a bad config was not refused"
reloaded 3 "refused reload"
cp "$T/good.conf" "$T/crashtrail.conf"
kill -HUP "$DPID"
reloaded 4 "SIGHUP"
[ "$(count ' RELOADING=1')" -eq 3 ] || fail "not 3 RELOADING=1"

stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
notes_has ' STOPPING=1$' || fail "no STOPPING=1"
[ "$(count ' STOPPING=1$')" -eq 1 ] || fail "STOPPING=1 sent twice"
stop_recv

# An abstract socket name.
start_recv "@crashtrail-it-$$"
NOTIFY_SOCKET=@crashtrail-it-$$ start_daemon "$T/crashtrail.conf"
wait_for 5 notes_has ' READY=1' || fail "abstract socket: no READY=1"
log_has 'notifying it (no watchdog)' || fail "no 'no watchdog' line"
stop_daemon
notes_has ' STOPPING=1$' || fail "abstract socket: no STOPPING=1"
notes_has 'WATCHDOG' && fail "WATCHDOG=1 without WATCHDOG_USEC"
stop_recv
echo ok
