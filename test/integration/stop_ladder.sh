# stop_ladder.sh -- SIGTERM to crashtrail stops every runner with the ladder:
# a well-behaved runner goes on the stop signal (clean, no report); one
# that ignores SIGTERM is SIGKILLed after stopwaitsecs, not before
# (abnormal, reported with stop_escalated); crashtrail then exits 0.
# That run would be abnormal anyway (SIGKILL is not its stop signal), so
# the rule "a stop that needed SIGKILL is abnormal" is checked where it
# alone decides, in stop_frozen.sh (stopsignal = KILL and a process the
# cgroup v1 freezer holds until the ladder's SIGKILL: root only).
# stop_signals.sh has the second SIGTERM.
. "$(dirname "$0")/lib.sh"
C=$H/crasher
conf=$T/c.conf
collector "$conf"
cat >>"$conf" <<EOC
[runner:polite]
command = $C sleep
startsecs = 0
stopwaitsecs = 5
[runner:stubborn]
command = $C ignoreterm
startsecs = 0
stopwaitsecs = 1
[runner:intsig]
command = $C sleep
startsecs = 0
stopsignal = INT
EOC
start_daemon "$conf"
wait_for 10 sh -c "grep -q 'ignoring SIGTERM' $T/state/runner_log/default/stubborn/*.stderr.log" ||
    fail "stubborn runner did not start"
pids=$(sed -n 's/.* started, pid \([0-9]*\)$/\1/p' "$T/daemon.log")
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
for p in $pids; do
	kill -0 "$p" 2>/dev/null && fail "runner pid $p survived the stop"
done
log_has 'stubborn: run .* did not stop on SIGTERM; sending SIGKILL' ||
    fail "no SIGKILL escalation logged"
log_has 'polite: run .* ended: signal=15 (SIGTERM) (clean)' ||
    fail "polite runner not a clean stop"
log_has 'intsig: run .* ended: signal=2 (SIGINT) (clean)' ||
    fail "stopsignal = INT not used"
log_has 'stubborn: STOPPING -> STOPPED' || fail "no STOPPING -> STOPPED"
[ -z "$(reports_of polite)" ] || fail "report for a clean stop"
r=$(reports_of stubborn)
[ -n "$r" ] || fail "no report for the escalated stop"
[ "$(jq_py "$r" 'd["exit"]["cause"]')" = "signal=9 (SIGKILL)" ] || fail "cause"
[ "$(jq_py "$r" 'd["exit"]["stop_requested"] and d["exit"]["stop_escalated"] and d["exit"]["abnormal"]')" = True ] ||
    fail "stop flags in report"
# SIGKILL only once stopwaitsecs (1 s) had passed (ms stamps in the log).
python3 - "$T/daemon.log" <<'PY' || fail "escalated before stopwaitsecs"
import datetime, re, sys
def at(pat):
    for l in open(sys.argv[1]):
        if re.search(pat, l):
            return datetime.datetime.strptime(l[:23], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
    raise AssertionError("no line " + pat)
d = at(r"stubborn: run .* did not stop on SIGTERM") - at(r"SIGTERM: stopping every runner")
assert d >= 0.9, d
PY
exit 0
