# kmsg_fifo.sh -- the kernel watcher fed through a FIFO (kmsg_path), with
# real /dev/kmsg-format records from test/fixtures/kmsg/: an OOM kill that
# names a supervised runner's pid marks its death oom_killed and the report
# carries the kill; a kill of another pid and an NVIDIA Xid become events;
# records in one write or split across writes; a kill of a pid that is
# not the run's own but a child in its process group is the run's too;
# and an unreadable kmsg path is reported in /v1/status while everything
# else keeps working.
# (The records are injected: a real kernel OOM is in real_oom.sh.)
. "$(dirname "$0")/lib.sh"
F=$TOP/test/fixtures/kmsg
mkfifo "$T/kmsg"
conf=$T/c.conf
collector "$conf" "kmsg_path = $T/kmsg"
cat >>"$conf" <<EOC
[runner:victim]
command = $H/crasher sleep
startsecs = 0
autorestart = never
EOC
start_daemon "$conf"
S=$T/state/crashtrail.sock
wait_for 10 log_has 'victim: run .* started' || fail "victim did not start"
pid=$(sed -n 's/.*victim: run .* started, pid \([0-9]*\)$/\1/p' "$T/daemon.log")
curl -s --unix-socket "$S" http://localhost/v1/status >"$T/st"
jq_py "$T/st" 'd["watchers"]["kernel"]["state"]' | grep -q '^running on' || fail "watcher state: $(cat "$T/st")"
# An OOM dump naming the victim, written in small pieces like a FIFO
# delivers them, then the kill itself.
sed "s/Killed process 8123 (python)/Killed process $pid (crasher)/" \
    "$F/memcg_new_layout.txt" >"$T/dump"
exec 3>"$T/kmsg"
split -b 97 "$T/dump" "$T/part."
for p in "$T"/part.*; do cat "$p" >&3; done
wait_for 10 sh -c "curl -s --unix-socket $S 'http://localhost/v1/events?type=system_oom_kill' | grep -q '\"pid\":$pid'" ||
    fail "no system_oom_kill for the victim"
kill -KILL "$pid"
wait_for 10 reports_of victim || fail "no report"
r=$(reports_of victim)
python3 - "$r" "$pid" <<'PY' || fail "report: $(cat "$r")"
import json, sys
d = json.load(open(sys.argv[1]))
pid = int(sys.argv[2])
assert d["exit"]["oom_killed"] is True, d["exit"]
assert d["exit"]["cause"] == "signal=9 (SIGKILL)", d["exit"]
k = d["kernel_records"][0]
assert k["kind"] == "oom_kill" and k["oom"]["pid"] == pid, k
assert k["oom"]["constraint"] == "memcg" and k["oom"]["rss_kb"] == 4180000, k
PY
# A kill of some other pid and an Xid: events, not attributed to a run.
cat "$F/comm_paren.txt" "$F/xid.txt" >&3
exec 3>&-
wait_for 10 sh -c "curl -s --unix-socket $S 'http://localhost/v1/events?type=gpu_error' | grep -q '\"xid\":79'" ||
    fail "no gpu_error event"
curl -s --unix-socket "$S" 'http://localhost/v1/events?type=system_oom_kill' >"$T/ooms"
jq_py "$T/ooms" 'len(d["events"]) >= 2 and "run_id" not in d["events"][-1]' | grep -q True ||
    fail "unattributed OOM event: $(cat "$T/ooms")"
curl -s --unix-socket "$S" http://localhost/v1/status >"$T/st"
jq_py "$T/st" 'd["watchers"]["kernel"]["oom_kills_of_runs"] == 1' | grep -q True || fail "counters: $(cat "$T/st")"
stop_daemon

# A child in the run's process group, not its leader, is OOM-killed: the
# run is attributed the kill (its event has the run's ids, its report
# says oom_killed and carries the kill of that pid).
rm -f "$T/kmsg"
mkfifo "$T/kmsg"
collector "$conf" "kmsg_path = $T/kmsg"
cat >>"$conf" <<EOC
[runner:family]
command = /bin/sh -c '$H/crasher sleep & wait \$!'
startsecs = 0
autorestart = never
EOC
start_daemon "$conf"
wait_for 10 log_has 'family: run .* started' || fail "family did not start"
lpid=$(sed -n 's/.*family: run .* started, pid \([0-9]*\)$/\1/p' "$T/daemon.log")
run=$(sed -n 's/.*family: run \(.*\) started, pid .*/\1/p' "$T/daemon.log")
wait_for 10 pgrep -g "$lpid" -x crasher || fail "no child in group $lpid"
cpid=$(pgrep -g "$lpid" -x crasher)
[ -n "$cpid" ] && [ "$cpid" != "$lpid" ] || fail "child pid '$cpid' of $lpid"
sed "s/Killed process 8123 (python)/Killed process $cpid (crasher)/" \
    "$F/memcg_new_layout.txt" >"$T/dump"
exec 3>"$T/kmsg"
cat "$T/dump" >&3
wait_for 10 sh -c "curl -s --unix-socket $S 'http://localhost/v1/events?type=system_oom_kill' | grep -q '\"pid\":$cpid'" ||
    fail "no system_oom_kill for the child"
curl -s --unix-socket "$S" 'http://localhost/v1/events?type=system_oom_kill' >"$T/ooms"
python3 - "$T/ooms" "$run" <<'PY' || fail "the child's kill not attributed: $(cat "$T/ooms")"
import json, sys
e = json.load(open(sys.argv[1]))["events"][-1]
assert e.get("run_id") == sys.argv[2] and e.get("runner_id") == "family", e
PY
kill -KILL "$cpid"
wait_for 10 reports_of family || fail "no report for family"
r=$(reports_of family)
python3 - "$r" "$lpid" "$cpid" <<'PY' || fail "family report: $(cat "$r")"
import json, sys
d = json.load(open(sys.argv[1]))
lpid, cpid = int(sys.argv[2]), int(sys.argv[3])
assert d["pid"] == lpid, d["pid"]
assert d["exit"]["oom_killed"] is True, d["exit"]
assert d["exit"]["cause"] == "exitcode=137" and d["exit"]["likely_signal"] == 9, d["exit"]
k = d["kernel_records"][0]
assert k["kind"] == "oom_kill" and k["oom"]["pid"] == cpid, k
PY
exec 3>&-
curl -s --unix-socket "$S" http://localhost/v1/status >"$T/st"
jq_py "$T/st" 'd["watchers"]["kernel"]["oom_kills_of_runs"] == 1' | grep -q True || fail "counters: $(cat "$T/st")"
stop_daemon

# No kernel log to read: said once, in /v1/status, and nothing else stops.
collector "$conf" "kmsg_path = $T/no-such-kmsg"
cat >>"$conf" <<EOC
[runner:segv]
command = $H/crasher segv
startsecs = 0
autorestart = never
EOC
: >"$T/daemon.log"
start_daemon "$conf"
wait_for 10 reports_of segv || fail "supervision stopped without kmsg"
[ "$(grep -c 'kernel watcher unavailable' "$T/daemon.log")" -eq 1 ] || fail "unavailable not said once"
curl -s --unix-socket "$S" http://localhost/v1/status >"$T/st"
jq_py "$T/st" 'd["watchers"]["kernel"]["state"]' | grep -q '^unavailable: .*No such file' || fail "status: $(cat "$T/st")"
stop_daemon
