# stop_signals.sh -- a second SIGTERM (or SIGINT) to crashtrail sends
# SIGKILL at once: a runner that ignores SIGTERM with stopwaitsecs = 60 is
# gone long before, without the ladder's own escalation, and is reported
# stop_escalated; crashtrail exits 0.  (stop_frozen.sh has the repeated
# SIGKILLs and `unreapable`.)
. "$(dirname "$0")/lib.sh"
C=$H/crasher
conf=$T/c.conf

# Round 1: TERM then TERM; round 2: INT then INT.
for sig in TERM INT; do
	collector "$conf"
	cat >>"$conf" <<EOC
[runner:stubborn]
command = $C ignoreterm
startsecs = 0
stopwaitsecs = 60
[runner:polite]
command = $C sleep
startsecs = 0
EOC
	rm -rf "$T/state"
	start_daemon "$conf"
	wait_for 10 sh -c "grep -q 'ignoring SIGTERM' $T/state/runner_log/default/stubborn/*.stderr.log" ||
	    fail "stubborn runner did not start"
	pid=$(sed -n 's/.*stubborn: run .* started, pid \([0-9]*\)$/\1/p' "$T/daemon.log")
	kill -$sig "$DPID"
	wait_for 10 log_has "SIG$sig: stopping every runner" || fail "first SIG$sig not taken"
	wait_for 10 log_has 'polite: STOPPING -> STOPPED' || fail "polite did not stop"
	kill -0 "$pid" 2>/dev/null || fail "stubborn is gone after the first SIG$sig"
	kill -$sig "$DPID"
	# The ladder would wait 60 s: 20 s is plenty for "at once".
	wait_for 20 sh -c "! kill -0 $DPID" || fail "a second SIG$sig did not end it"
	wait "$DPID"
	DRC=$?
	DPID=
	[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC after a second SIG$sig"
	kill -0 "$pid" 2>/dev/null && fail "stubborn pid $pid survived"
	log_has 'second stop signal: SIGKILL to every runner' || fail "second signal not logged"
	log_has 'did not stop on SIGTERM' && fail "the ladder escalated, not the second signal"
	r=$(reports_of stubborn)
	[ -n "$r" ] || fail "no report for stubborn"
	python3 - "$r" <<'PY' || fail "report after a second SIG$sig: $(cat "$r")"
import json, sys
x = json.load(open(sys.argv[1]))["exit"]
assert x["cause"] == "signal=9 (SIGKILL)", x
assert x["stop_requested"] and x["stop_escalated"] and x["abnormal"], x
assert not x["unreapable"], x
PY
	[ -z "$(reports_of polite)" ] || fail "report for polite's clean stop"
done
exit 0
