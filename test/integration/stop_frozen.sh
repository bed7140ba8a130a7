# stop_frozen.sh -- the stop ladder against a process that SIGKILL cannot
# end yet: the cgroup v1 freezer holds a frozen task until it is thawed
# (root only; the test skips elsewhere).
# 1. Frozen for good: SIGKILL to the group after stopwaitsecs, again
#    every 2 s, 3 times in all, then the run is reported `unreapable` and
#    not waited on: crashtrail exits 0; thawed, the process dies.
# 2. The rule "a stop that needed SIGKILL is abnormal", where it alone
#    decides: with stopsignal = KILL, death by SIGKILL is the stop
#    signal's own (clean, as for killsig_ok), unless the ladder had to
#    escalate; the runner is thawed once the first SIGKILL of the ladder
#    was sent, so it dies of it and must be reported (stop_ladder.sh's
#    stubborn run is abnormal whatever the rule says).
. "$(dirname "$0")/lib.sh"
C=$H/crasher
conf=$T/c.conf
FZ=/sys/fs/cgroup/freezer
CG=$FZ/crashtrail-test-$$
[ "$(id -u)" -eq 0 ] && [ -f "$FZ/tasks" ] && mkdir "$CG" 2>/dev/null ||
    skip "needs root and the cgroup v1 freezer ($FZ) to hold a process that SIGKILL cannot end"
thaw() {
	[ -d "$CG" ] || return 0
	echo THAWED >"$CG/freezer.state" 2>/dev/null
	for p in $(cat "$CG/tasks" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	wait_for 10 sh -c "[ -z \"\$(cat $CG/tasks)\" ]"
	rmdir "$CG" 2>/dev/null
}
CLEANUP_HOOK=thaw

# freeze PID: into the cgroup, and frozen.
freeze() {
	echo "$1" >"$CG/tasks" || fail "cannot move pid $1 into $CG"
	echo FROZEN >"$CG/freezer.state"
	wait_for 10 grep -q FROZEN "$CG/freezer.state" || fail "$CG did not freeze"
}

# 1. Unreapable.
collector "$conf"
cat >>"$conf" <<EOC
[runner:frozen]
command = $C sleep
startsecs = 0
stopwaitsecs = 1
EOC
rm -rf "$T/state"
start_daemon "$conf"
wait_for 10 log_has 'frozen: run .* started' || fail "frozen did not start"
pid=$(sed -n 's/.*frozen: run .* started, pid \([0-9]*\)$/\1/p' "$T/daemon.log")
freeze "$pid"
kill -TERM "$DPID"
wait_for 30 sh -c "! kill -0 $DPID" || fail "crashtrail waited on an unreapable run"
wait "$DPID"
DRC=$?
DPID=
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC with an unreapable run"
kill -0 "$pid" 2>/dev/null || fail "the frozen run died: the freezer did not hold it"
[ "$(grep -c 'frozen: run .* did not stop on SIGTERM; sending SIGKILL to group' "$T/daemon.log")" -eq 3 ] ||
    fail "not 3 SIGKILLs: $(grep -c 'sending SIGKILL' "$T/daemon.log")"
log_has "frozen: run .* (pid $pid) survived 3 SIGKILLs; reporting it unreapable" ||
    fail "no unreapable line"
# SIGKILL every 2 s (the log's ms stamps; libevent arms timers from the
# loop's cached time, so one may fire a little early by the wall clock).
python3 - "$T/daemon.log" <<'PY' || fail "SIGKILL spacing"
import datetime, re, sys
ts = [datetime.datetime.strptime(l[:23], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
      for l in open(sys.argv[1])
      if re.search(r"did not stop on SIGTERM|survived 3 SIGKILLs|SIGTERM: stopping", l)]
assert len(ts) == 5, ts
d = [b - a for a, b in zip(ts, ts[1:])]
assert d[0] >= 0.9 and all(x >= 1.8 for x in d[1:]), d
print("stop, SIGKILLs, unreapable at +" + ", +".join("%.2f" % x for x in d))
PY
r=$(reports_of frozen)
[ -n "$r" ] || fail "no report for the unreapable run"
python3 - "$r" "$pid" <<'PY' || fail "unreapable report: $(cat "$r")"
import json, sys
d = json.load(open(sys.argv[1]))
x = d["exit"]
assert d["pid"] == int(sys.argv[2]), d["pid"]
assert x["cause"] == "unreapable" and x["unreapable"] is True, x
assert x["stop_requested"] and x["stop_escalated"] and x["abnormal"], x
assert x["signal"] is None and x["exit_code"] is None, x
PY
# Thawed, it dies of the SIGKILL it has pending.
echo THAWED >"$CG/freezer.state"
wait_for 10 sh -c "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status" ||
    fail "pid $pid did not die once thawed"

# 2. The escalation rule alone.
wait_for 10 sh -c "[ -z \"\$(cat $CG/tasks)\" ]" || fail "$CG still has tasks"
collector "$conf"
cat >>"$conf" <<EOC
[runner:killsig]
command = $C sleep
startsecs = 0
stopsignal = KILL
stopwaitsecs = 1
[runner:killsig_ok]
command = $C sleep
startsecs = 0
stopsignal = KILL
EOC
rm -rf "$T/state"
start_daemon "$conf"
wait_for 10 log_has 'killsig: run .* started' || fail "killsig did not start"
wait_for 10 log_has 'killsig_ok: run .* started' || fail "killsig_ok did not start"
pid=$(sed -n 's/.*killsig: run .* started, pid \([0-9]*\)$/\1/p' "$T/daemon.log")
freeze "$pid"
kill -TERM "$DPID"
wait_for 10 log_has 'killsig: run .* did not stop on SIGKILL; sending SIGKILL' ||
    fail "no escalation for the frozen run"
echo THAWED >"$CG/freezer.state"
wait_for 30 sh -c "! kill -0 $DPID" || fail "daemon did not exit"
wait "$DPID"
DRC=$?
DPID=
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
log_has 'killsig_ok: run .* ended: signal=9 (SIGKILL) (clean)' ||
    fail "death by stopsignal = KILL not clean"
[ -z "$(reports_of killsig_ok)" ] || fail "report for killsig_ok's clean stop"
r=$(reports_of killsig)
[ -n "$r" ] || fail "a stop that needed SIGKILL, by its stop signal, was not reported"
python3 - "$r" <<'PY' || fail "killsig report: $(cat "$r")"
import json, sys
x = json.load(open(sys.argv[1]))["exit"]
assert x["cause"] == "signal=9 (SIGKILL)", x
assert x["stop_requested"] and x["stop_escalated"] and x["abnormal"], x
assert not x["unreapable"], x
PY
exit 0
