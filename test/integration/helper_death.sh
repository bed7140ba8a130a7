# helper_death.sh -- the syncer's helper (fsync, rename, unlink off the loop)
# may be killed at any time: it is restarted, the work it held is done
# again (every death report ends up under its final name, complete), and
# it never outlives the daemon.
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf"
cat >>"$conf" <<EOC
[runner:boom]
command = /bin/sh -c 'echo boom >&2; kill -SEGV \$\$'
startsecs = 0
backoff = 0.05
backoff_max = 0.05
EOC
D=$T/state/runner_log/default/boom

helper() {
	sed -n 's/.*syncer: helper pid \([0-9]*\) started$/\1/p' \
	    "$T/daemon.log" | tail -n 1
}
# newer_than PID: a helper other than PID has started.
newer_than() {
	_h=$(helper)
	[ -n "$_h" ] && [ "$_h" != "$1" ]
}
# gone PID: no such process, or only its zombie.
gone() {
	_s=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
	case $_s in Z*|"") return 0 ;; esac
	return 1
}
reports() {
	grep -c 'boom: run .*: death report' "$T/daemon.log"
}
# more_reports N: N more death reports than now.
more_reports() {
	_want=$(( $(reports) + $1 ))
	wait_for 20 sh -c "[ \$(grep -c 'boom: run .*: death report' \
	    $T/daemon.log) -ge $_want ]"
}

start_daemon "$conf"
h=$(helper)
[ -n "$h" ] || fail "no 'syncer: helper pid N started' in the log"
[ "$(ps -o ppid= -p "$h" | tr -d ' ')" = "$DPID" ] ||
    fail "helper $h is not a child of the daemon $DPID"

# Killed while idle or busy, three times, with runs dying all along.
for i in 1 2 3; do
	more_reports 3 || fail "runs stopped dying (round $i)"
	kill -KILL "$h"
	wait_for 10 newer_than "$h" || fail "helper $h was not restarted"
	log_has "syncer: helper pid $h .*; restarting it" ||
	    fail "the death of helper $h was not logged"
	wait_for 5 gone "$h" || fail "helper $h was not reaped"
	h=$(helper)
done

# Killed holding work: stopped, it takes requests and answers none.
kill -STOP "$h"
more_reports 15 || fail "runs stopped dying with the helper stopped"
held=$(cd "$D" && ls | grep '\.tmp')
[ -n "$held" ] ||
    fail "no report waited for its rename while the helper was stopped"
kill -KILL "$h"
wait_for 10 newer_than "$h" || fail "held helper $h was not restarted"
grep "syncer: helper pid $h .*restarting it" "$T/daemon.log" |
    grep -q 'it, [1-9][0-9]* requests\? to send again' ||
    fail "helper $h died holding nothing: $(grep "pid $h" "$T/daemon.log")"
for f in $held; do
	wait_for 10 sh -c "[ ! -e '$D/$f' ]" ||
	    fail "$f was never renamed after the restart"
done
more_reports 5 || fail "no reports after the restart"

stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
wait_for 5 gone "$h" || fail "helper $(helper) outlived a stopped daemon"
left=$(ls "$D" | grep '\.tmp')
[ -z "$left" ] || fail "left under tmp names: $left"
# Every report the log names is there, complete, and matches its log.
grep 'boom: run .*: death report' "$T/daemon.log" |
    sed 's/.*: death report //' >"$T/named"
python3 - "$T/named" <<'PY' || fail "a death report or a log file is not intact"
import json, os, sys
names = [l.strip() for l in open(sys.argv[1])]
assert len(names) >= 20, len(names)
for p in names:
    r = json.load(open(p))
    lf = r["stderr_log"]
    raw = open(lf["path"], "rb").read()
    assert lf["size"] == len(raw), (p, lf)
    if r["exit"]["stop_requested"]:
        # Caught by the final stop (it may have needed SIGKILL): a run
        # cut short, but its file and report must still agree.
        assert b"boom\n".startswith(raw), (p, raw)
        continue
    assert r["exit"]["signal"] == 11, (p, r["exit"])
    assert raw == b"boom\n", lf["path"]
PY

# A SIGKILLed daemon leaves no helper behind, at once.
start_daemon "$conf"
h=$(helper)
more_reports 2 || fail "the second daemon runs nothing"
kill -KILL "$DPID"
wait "$DPID" 2>/dev/null
DPID=
i=0
while ! gone "$h"; do
	i=$((i + 1))
	[ $i -gt 20 ] && fail "helper $h still alive 1 s after the daemon's SIGKILL"
	sleep 0.05
done
exit 0
