# cli.sh -- status, events, show, top and emit against a running daemon,
# and emit from inside a runner (CRASHTRAIL_EVENT_FD).
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf" "sample_interval_ms = 100"
cat >>"$conf" <<EOC
[runner:abort]
command = $H/crasher abort
startsecs = 0
autorestart = never
[runner:emitter]
command = /bin/sh -c '$CRASHTRAIL emit stage_started stage_name=load stage_attempt=2
    && $CRASHTRAIL emit termination exception_type=RuntimeError message=boom
    && exit 9'
startsecs = 0
autorestart = never
[runner:idle]
command = $H/crasher sleep
startsecs = 0
EOC
start_daemon "$conf"
export CRASHTRAIL_SOCKET=$T/state/crashtrail.sock
wait_for 10 reports_of abort || fail "no abort report"
wait_for 10 reports_of emitter || fail "no emitter report"
"$CRASHTRAIL" status >"$T/out" || fail "status exit $?"
grep -q '^RUNNER ' "$T/out" || fail "status header"
grep -q '^default/abort .*FAILED .*signal=6 (SIGABRT) (abnormal)' "$T/out" || fail "status abort row: $(cat "$T/out")"
grep -q '^default/idle .*RUNNING' "$T/out" || fail "status idle row"
"$CRASHTRAIL" status --json | python3 -c 'import json,sys; json.load(sys.stdin)' || fail "status --json"
"$CRASHTRAIL" events >"$T/out" || fail "events"
grep -q 'runner_failed .*default/abort-.* signal=6 (SIGABRT)' "$T/out" || fail "events line: $(cat "$T/out")"
# The runner's own events arrive attributed to its run.
"$CRASHTRAIL" events --json --type stage_started >"$T/out" || fail "events --type"
python3 - "$T/out" <<'PY' || fail "emitted stage event"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert len(ev) == 1, ev
e = ev[0]
assert e["runner_id"] == "emitter" and e["run_id"].startswith("emitter-"), e
assert e["category"] == "stage", e
# Stored as the stage view took it: its group filled in.
assert e["data"] == {"stage_name": "load", "group_id": "g0",
                     "stage_attempt": 2}, e
PY
r=$(reports_of emitter)
[ "$(jq_py "$r" 'd["termination"]')" = "{'exception_type': 'RuntimeError', 'message': 'boom'}" ] ||
    fail "termination report not kept: $(jq_py "$r" 'd["termination"]')"
run=$(jq_py "$(reports_of abort)" 'd["run_id"]')
"$CRASHTRAIL" show "$run" >"$T/out" || fail "show"
grep -q '^end       signal=6 (SIGABRT) (abnormal)$' "$T/out" || fail "show end: $(cat "$T/out")"
grep -q '^crasher abort pid=' "$T/out" || fail "show tail"
grep -q '^sha256    [0-9a-f]\{64\}$' "$T/out" || fail "show sha256"
"$CRASHTRAIL" show ../etc 2>/dev/null; [ $? -eq 64 ] || fail "show hostile id"
# A live run's samples, charted (ASCII outside a UTF-8 locale), and top.
idle=$("$CRASHTRAIL" status --json | python3 -c '
import json, sys
print([r for r in json.load(sys.stdin)["runners"] if r["runner_id"] == "idle"][0]["run_id"])') ||
    fail "idle run id"
wait_for 10 sh -c "\"$CRASHTRAIL\" show $idle | grep -q '^memory '" ||
    fail "show chart: $("$CRASHTRAIL" show "$idle")"
LC_ALL=C "$CRASHTRAIL" show "$idle" >"$T/out"
grep -q '^--- [0-9]* samples, [0-9]* a column ---$' "$T/out" || fail "chart head: $(cat "$T/out")"
grep -q '^memory    [_.=+*#@-]* ' "$T/out" || fail "chart memory: $(cat "$T/out")"
grep -q '^cpu       .*max [0-9.]*%$' "$T/out" || fail "chart cpu: $(cat "$T/out")"
"$CRASHTRAIL" top -n 1 >"$T/out" || fail "top exit $?"
head -n 1 "$T/out" | grep -q '^RUNNER .*CPU% .*MEMORY' || fail "top header: $(cat "$T/out")"
grep -q "^idle .* live .* MiB .*$idle\$" "$T/out" || fail "top row: $(cat "$T/out")"
"$CRASHTRAIL" top -d 0 2>/dev/null; [ $? -eq 64 ] || fail "top -d 0"
"$CRASHTRAIL" show no-such-run >/dev/null; [ $? -eq 69 ] || fail "show unknown run"
"$CRASHTRAIL" emit deploy version=7 who="a b" >"$T/out" || fail "emit"
jq_py "$T/out" 'd["type"] == "deploy" and d["data"] == {"version": 7, "who": "a b"}' | grep -q True || fail "emit envelope"
# Follow: a new crash shows up on events -f.
"$CRASHTRAIL" events -f --type runner_failed >"$T/follow" &
fpid=$!
# It replays the ring first: the first crash's line says it is attached.
wait_for 10 grep -q 'runner_failed .*abort' "$T/follow" ||
    fail "events -f did not replay the first crash"
curl -s --unix-socket "$CRASHTRAIL_SOCKET" -X POST http://localhost/v1/runners/abort/start >/dev/null
wait_for 10 sh -c "[ \$(grep -c 'runner_failed .*abort' $T/follow) -ge 2 ]" || fail "events -f"
kill "$fpid"
stop_daemon
"$CRASHTRAIL" status 2>"$T/err"; [ $? -eq 69 ] || fail "status with no daemon"
grep -q 'not running' "$T/err" || fail "no-daemon message: $(cat "$T/err")"
