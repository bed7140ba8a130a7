#!/bin/sh
# run_as.sh -- [collector] run_as = nobody: started as root, crashtrail
# opens its socket, kernel log and directories, then becomes nobody before
# any runner starts.  The log says what that costs; ps shows the daemon,
# its runner and the syncer's helper as nobody; root cannot be regained
# (the daemon checks); a death is still reported (the log dir was given
# to nobody), a reload still works, the stop is clean.  A runner with
# user = and run_as together are refused at start (exit 78).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root (run_as drops from root)"
id nobody >/dev/null 2>&1 || skip "no user nobody"
# nobody must reach $T (mktemp made it 0700) to write state and logs.
chmod 755 "$T"

user_of() { ps -o user= -p "$1" | tr -d ' '; }

collector "$T/crashtrail.conf" "run_as = nobody"
cat >>"$T/crashtrail.conf" <<CONF
[runner:up]
command = /bin/sleep 600
startsecs = 0
[runner:dies]
command = /bin/sh -c 'echo dying >&2; sleep 0.3; exit 3'
startsecs = 0
autorestart = never
CONF
chmod 644 "$T/crashtrail.conf"
start_daemon "$T/crashtrail.conf"
log_has 'run_as = nobody: crashtrail now runs as uid' ||
    fail "no drop line in the log"
log_has 'none may have user =' || fail "the log does not say user = is lost"
log_has 'kernel watcher keeps' || fail "the log does not say about kmsg"
[ "$(user_of "$DPID")" = nobody ] || fail "daemon runs as $(user_of "$DPID")"
grep -q '^Groups:[[:space:]]*\(65534[[:space:]]*\)*$' "/proc/$DPID/status" ||
    fail "supplementary groups left: $(grep ^Groups "/proc/$DPID/status")"
grep -q '^CapEff:[[:space:]]*0*$' "/proc/$DPID/status" ||
    fail "capabilities left: $(grep ^CapEff "/proc/$DPID/status")"
rpid=$(sed -n 's/.*up: run .* started, pid \([0-9]*\)$/\1/p' "$T/daemon.log")
[ -n "$rpid" ] && [ "$(user_of "$rpid")" = nobody ] ||
    fail "runner runs as $(user_of "$rpid")"
# The helper forked again after the drop: the last one logged.
wait_for 5 sh -c "[ \$(grep -c 'syncer: helper pid [0-9]* started' \
    '$T/daemon.log') -ge 2 ]" ||
    fail "the syncer's helper was not restarted"
hpid=$(sed -n 's/.*syncer: helper pid \([0-9]*\) started.*/\1/p' \
    "$T/daemon.log" | tail -n 1)
[ "$(user_of "$hpid")" = nobody ] || fail "helper runs as $(user_of "$hpid")"
# A death after the drop is written where nobody can write.
wait_for 10 sh -c "ls $T/state/runner_log/*/dies/*.death.json" ||
    fail "no death report after the drop"
[ "$(stat -c %U "$T/state")" = nobody ] || fail "state_dir not given to nobody"
CRASHTRAIL_SOCKET=$T/state/crashtrail.sock "$CRASHTRAIL" reload >/dev/null ||
    fail "reload as nobody"
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
kill -0 "$rpid" 2>/dev/null && fail "runner left running"

# user = with run_as: refused before anything starts.
collector "$T/bad.conf" "run_as = nobody"
printf '[runner:u]\ncommand = /bin/true\nuser = root\n' >>"$T/bad.conf"
"$CRASHTRAIL" run -c "$T/bad.conf" >/dev/null 2>"$T/bad.log"
rc=$?
[ $rc -eq 78 ] || fail "user = with run_as: exit $rc, not 78"
grep -q 'runner u has user = root' "$T/bad.log" || fail "no reason: $(cat "$T/bad.log")"
collector "$T/nouser.conf" "run_as = no-such-user-here"
"$CRASHTRAIL" check-config -c "$T/nouser.conf" >/dev/null 2>"$T/nouser.log" &&
    fail "run_as = an unknown user passed check-config"
grep -q 'no such user' "$T/nouser.log" || fail "$(cat "$T/nouser.log")"
echo ok
