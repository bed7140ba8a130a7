# supervisord.sh -- a real supervisord with `crashtrail supervisord-listener`
# as its event listener, posting to a real crashtrail daemon: a SIGSEGV is
# a service_crashed with phase running and the right pid, a stop and a
# clean exit are nothing, a program that cannot start is gave_up, 100
# crashes in a row leave the listener RUNNING and answering (the
# "RESULT 2\nOK\n" deadlock would stop it after one), and crashes while
# the daemon is down are delivered once it is back.
. "$(dirname "$0")/lib.sh"
command -v supervisord >/dev/null 2>&1 &&
    command -v supervisorctl >/dev/null 2>&1 ||
    skip "supervisord is not installed"
C=$H/crasher
S=$T/sv
SOCK=$T/state/crashtrail.sock
mkdir -p "$S" "$T/state"

sv_stop() {
	[ -f "$S/supervisord.pid" ] || return 0
	_p=$(cat "$S/supervisord.pid")
	kill "$_p" 2>/dev/null
	wait_for 20 sh -c "! kill -0 $_p" || kill -KILL "$_p" 2>/dev/null
}
CLEANUP_HOOK=sv_stop

# Everything supervisord and the listener said, on failure.
sv_fail() {
	echo "--- supervisord.log (last 30 lines)"
	tail -n 30 "$S/supervisord.log" 2>/dev/null
	echo "--- listener.log (last 30 lines)"
	tail -n 30 "$S/listener.log" 2>/dev/null
	fail "$@"
}

ctl() {
	supervisorctl -c "$S/supervisord.conf" "$@"
}

# The service_crashed events the daemon holds, as JSON.
events() {
	curl -sf --unix-socket "$SOCK" \
	    "http://localhost/v1/events?type=service_crashed&limit=1000"
}

# has_event PYTHON-CONDITION: some event's data d satisfies it.
has_event() {
	events | python3 -c '
import json, sys
ev = json.load(sys.stdin)["events"]
sys.exit(0 if any(eval("(" + sys.argv[1] + ")", {"d": e["data"], "e": e})
    for e in ev) else 1)' "$1"
}

# count_events PYTHON-CONDITION: how many satisfy it.
count_events() {
	events | python3 -c '
import json, sys
ev = json.load(sys.stdin)["events"]
print(sum(1 for e in ev
    if eval("(" + sys.argv[1] + ")", {"d": e["data"], "e": e})))' "$1"
}

running() {
	ctl status "$1" | grep -q RUNNING
}

# segv NAME: start NAME if it is not running, then SIGSEGV it; its pid
# is in $wpid.  (`supervisorctl pid` says 0 for a stopped program, and
# kill -SEGV 0 would hit this test's own process group.)
segv() {
	running "$1" || ctl start "$1" >/dev/null
	wpid=$(ctl pid "$1")
	case $wpid in
	''|0|1|*[!0-9]*) sv_fail "no pid for $1: '$wpid'" ;;
	esac
	kill -SEGV "$wpid"
}

collector "$T/c.conf"
start_daemon "$T/c.conf"
wait_for 10 test -S "$SOCK" || fail "no API socket at $SOCK"

# The listener subscribes to all of PROCESS_STATE here (the example
# config only to EXITED and FATAL), so that it sees and must ignore
# STARTING, RUNNING, BACKOFF, STOPPING and STOPPED too.
cat >"$S/supervisord.conf" <<EOF
[unix_http_server]
file=$S/supervisor.sock
[supervisord]
logfile=$S/supervisord.log
pidfile=$S/supervisord.pid
childlogdir=$S
nodaemon=true
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://$S/supervisor.sock

[program:web]
command=$C sleep
directory=$S
startsecs=0
autorestart=false
[program:db]
command=$C sleep
directory=$S
startsecs=0
autorestart=false
[program:clean]
command=$C exit 0
directory=$S
startsecs=0
autostart=false
autorestart=false
[program:broken]
command=/bin/false
startsecs=5
startretries=1
autostart=false
[program:looper]
command=$C exit 1
directory=$S
startsecs=0
autostart=false
autorestart=true
; supervisord reaps in a loop that waits up to 1 s in poll(); it often
; misses an exit by a hair and so restarts looper about once a second.
; Output on a pipe it reads wakes that loop, so the loop runs faster.
[program:ticker]
command=/bin/sh -c "while :; do echo tick; sleep 0.02; done"
directory=$S
startsecs=0
autostart=false
stdout_logfile=$S/ticker.log
stdout_logfile_maxbytes=64KB
stdout_logfile_backups=0

[eventlistener:crashtrail]
command=$CRASHTRAIL supervisord-listener --socket $SOCK
events=PROCESS_STATE
buffer_size=1024
autorestart=true
startretries=999999
stderr_logfile=$S/listener.log
EOF
supervisord -c "$S/supervisord.conf" >"$S/supervisord.out" 2>&1 &
wait_for 15 running crashtrail || sv_fail "listener not RUNNING"
wait_for 15 running web || sv_fail "web not RUNNING"
wait_for 15 running db || sv_fail "db not RUNNING"
lpid=$(ctl pid crashtrail)

# 1. A segfault of a running service: phase running, its pid.
segv web
wait_for 15 has_event "d['service_name'] == 'web' and d.get('pid') == $wpid" ||
    sv_fail "no service_crashed for web pid $wpid"
has_event "d['service_name'] == 'web' and d['phase'] == 'running' and
    d['group_name'] == 'web' and d['from_state'] == 'RUNNING' and
    d['supervisord_event'] == 'PROCESS_STATE_EXITED' and
    e['category'] == 'system'" || sv_fail "web event fields: $(events)"

# 2. A stop and a clean exit are nothing; then a program that cannot
# start is gave_up, without a pid.  The listener handles events in
# order, so once gave_up is there, a stop event would be there too.
# (startsecs is 5, not 1: supervisord reaps children in a 1 s poll
# loop, so with startsecs=1 a /bin/false that exited at once can be
# seen to have "stayed up for > than 1 seconds" and count as RUNNING.)
ctl stop db >/dev/null
ctl start clean >/dev/null
wait_for 10 sh -c "grep -q 'exited: clean (exit status 0; expected)' \
    '$S/supervisord.log'" || sv_fail "clean did not exit"
ctl start broken >/dev/null 2>&1
wait_for 20 has_event "d['service_name'] == 'broken'" ||
    sv_fail "no event for broken"
has_event "d['service_name'] == 'broken' and d['phase'] == 'gave_up' and
    'pid' not in d and d['supervisord_event'] == 'PROCESS_STATE_FATAL' and
    d['from_state'] == 'BACKOFF'" || sv_fail "broken event: $(events)"
[ "$(count_events "d['service_name'] == 'broken'")" -eq 1 ] ||
    sv_fail "broken reported more than once: $(events)"
[ "$(count_events "d['service_name'] in ('db', 'clean')")" -eq 0 ] ||
    sv_fail "a stop or a clean exit was reported: $(events)"
grep -q 'gave up: broken entered FATAL' "$S/supervisord.log" ||
    sv_fail "broken did not fail the way this test means"

# 3. 100 crashes in a row, each event acknowledged.
crashed() {
	[ "$(grep -c 'exited: looper (exit status 1; not expected)' \
	    "$S/supervisord.log")" -ge "$1" ]
}
ctl start ticker >/dev/null
start=$(date +%s)
ctl start looper >/dev/null
wait_for 90 crashed 100 || sv_fail "looper did not crash 100 times"
ctl stop looper ticker >/dev/null
n=$(grep -c "exited: looper (exit status 1; not expected)" \
    "$S/supervisord.log")
echo "$n crashes in $(( $(date +%s) - start )) s"
wait_for 30 sh -c "[ \$(grep -c 'posted service_crashed: looper' \
    '$S/listener.log') -ge $n ]" || sv_fail "not $n looper events posted"
[ "$(count_events "d['service_name'] == 'looper'")" -eq "$n" ] ||
    sv_fail "looper: $n crashes, $(count_events \
    "d['service_name'] == 'looper'") events"
# Every pid reported is one supervisord spawned, each once.
events >"$T/events.json"
python3 - "$T/events.json" "$S/supervisord.log" <<'PY' || sv_fail "looper pids"
import json, re, sys
ev = [e["data"] for e in json.load(open(sys.argv[1]))["events"]
    if e["data"]["service_name"] == "looper"]
pids = [d["pid"] for d in ev]
spawned = set(int(p) for p in re.findall(r"spawned: .looper. with pid (\d+)",
    open(sys.argv[2]).read()))
assert len(pids) == len(set(pids)) >= 100, len(pids)
assert set(pids) <= spawned, set(pids) - spawned
assert all(d["phase"] == "running" for d in ev)
PY
# Still the same listener, RUNNING, and still answering.
running crashtrail || sv_fail "listener not RUNNING after 100 crashes"
[ "$(ctl pid crashtrail)" = "$lpid" ] || sv_fail "the listener was restarted"
segv web
wait_for 15 has_event "d['service_name'] == 'web' and d.get('pid') == $wpid" ||
    sv_fail "no event after the 100 crashes"
for bad in 'UNKNOWN state' 'bad result' 'overflowed' 'rejected'; do
	grep -q "$bad" "$S/supervisord.log" &&
	    sv_fail "supervisord.log: $(grep "$bad" "$S/supervisord.log")"
done
grep -q 'protocol error\|stray' "$S/listener.log" &&
    sv_fail "listener.log: $(grep 'protocol error\|stray' "$S/listener.log")"

# 4. The daemon down: events are still acknowledged, the crash waits,
# and reaches the daemon once it is back.
stop_daemon
segv web
wait_for 15 grep -q 'cannot post to' "$S/listener.log" ||
    sv_fail "listener did not notice the daemon was gone"
ctl start db >/dev/null
running crashtrail || sv_fail "listener not RUNNING with the daemon down"
[ "$(ctl pid crashtrail)" = "$lpid" ] || sv_fail "listener restarted"
start_daemon "$T/c.conf"
wait_for 20 has_event "d['service_name'] == 'web' and d.get('pid') == $wpid" ||
    sv_fail "the queued crash of web pid $wpid never arrived"
grep -q 'answers again' "$S/listener.log" || sv_fail "no recovery logged"

sv_stop
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
grep -q 'SIGTERM: exiting' "$S/listener.log" ||
    sv_fail "listener did not exit on supervisord's SIGTERM"
