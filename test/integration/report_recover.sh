# report_recover.sh -- a death is published first and its report written
# after the log is hashed; crashtrail killed in between must not lose the
# report: at the next start it is written from the journal's runner_failed
# event (without a sha256: the log was never hashed) and the run is
# answered by /v1/runs/{id} and `crashtrail show`.
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf" "kmsg_path = off" "log_max_files = 64"
cat >>"$conf" <<EOC
[runner:big]
command = $H/blast 400000000 2 3
startsecs = 0
autorestart = never
log_max_bytes = 0
EOC
S=$T/state/crashtrail.sock
start_daemon "$conf"
# The moment its death is published, before the 400 MB log is hashed.
wait_for 60 sh -c "curl -s --unix-socket $S 'http://x/v1/events?type=runner_failed' | grep -q run_id" ||
    fail "no runner_failed"
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=
id=$(curl -s --unix-socket "$S" 'http://x/v1/events?type=runner_failed' 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["events"][0]["run_id"])' 2>/dev/null)
# The daemon is gone: read the id from its log instead.
[ -n "$id" ] || id=$(sed -n 's/.*big: run \(big-[0-9TZ]*\) FAILED.*/\1/p' "$T/daemon.log" | head -n 1)
[ -n "$id" ] || fail "no run id"
if reports_of big >/dev/null; then
	skip "the report was written before the kill (the window was missed)"
fi
start_daemon "$conf"
log_has 'death report written from the journal' || fail "report not recovered"
r=$(reports_of big) || fail "no report file after the restart"
python3 - "$r" "$id" <<'PY' || fail "recovered report: $(head -c 600 "$r")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["run_id"] == sys.argv[2], d["run_id"]
assert d["exit"]["cause"] == "exitcode=3", d["exit"]
assert "sha256" not in d["stderr_log"], d["stderr_log"]
assert d["tail"]["bytes"] > 0
PY
code=$(curl -s -o "$T/run.json" -w '%{http_code}' --unix-socket "$S" "http://x/v1/runs/$id")
[ "$code" = 200 ] || fail "/v1/runs/$id: $code $(cat "$T/run.json")"
"$CRASHTRAIL" show -s "$S" "$id" >"$T/show" || fail "show $id: $(cat "$T/show")"
grep -q 'exitcode=3' "$T/show" || fail "show: $(cat "$T/show")"
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
