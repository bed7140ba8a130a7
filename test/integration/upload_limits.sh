#!/bin/sh
# upload_limits.sh -- the uploader's bounds and its life across restarts,
# against upload_server.py:
#  1. upload_per_runner_hour = 2: a runner that dies five times gets two
#     uploads; three jobs wait in the spool, counted as deferred, while
#     another runner's log goes through at once.
#  2. Restart with no hourly limit: the three records are swept and sent;
#     a record that is not one is set aside as *.bad, never deleted.
#  3. upload_spool_jobs = 3 with the server stalling every connection: the
#     oldest job not in flight is dropped for each new one, reported as a
#     final upload_failed and counted; once the server answers again the
#     three kept jobs are stored.
#  5. upload_files = stderr, stdout, report sends all three, each with the
#     SHA-256 of its stored bytes.
#  4. telemetry = on without a URL is a config error (78) naming the key;
#     CRASHTRAIL_TELEMETRY_API_URL supplies it; --telemetry turns uploads
#     on; `crashtrail status` prints the uploads line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/certs.sh"

command -v python3 >/dev/null || skip "needs python3"
HERE=$(cd "$(dirname "$0")" && pwd)
CLEANUP_HOOK=stop_upload_server
start_upload_server
L=$HERE/upload_limits.py

# conf FILE [collector lines]: the runners are started by the test.
conf() {
	_f=$1; shift
	collector "$_f" "telemetry_api_url = https://127.0.0.1:$PORT" \
	    "ca_file = $C/ca.crt" "upload_backoff_min = 0.05" \
	    "upload_backoff_max = 0.2" "upload_timeout = 1" "$@"
	for r in loop other d; do
		cat >>"$_f" <<EOC
[runner:$r]
command = /bin/sh -c 'echo $r \$\$ \$(date +%s%N) >&2; exit 3'
autostart = no
autorestart = never
startsecs = 0
EOC
	done
}

# 4 first: configuration and the command line.
conf "$T/nourl.conf" "telemetry = on"
sed -i '/telemetry_api_url/d' "$T/nourl.conf"
"$CRASHTRAIL" check-config -c "$T/nourl.conf" >/dev/null 2>"$T/err"
[ $? -eq 78 ] || fail "telemetry without a URL: not a config error"
grep -q telemetry_api_url "$T/err" || fail "error does not name the key: $(cat "$T/err")"
CRASHTRAIL_TELEMETRY_API_URL=https://127.0.0.1:$PORT/ \
    "$CRASHTRAIL" check-config -c "$T/nourl.conf" >"$T/out" 2>&1 ||
    fail "the URL from the environment: $(cat "$T/out")"
grep -q "uploads: on, to https://127.0.0.1:$PORT\$" "$T/out" ||
    fail "check-config: $(cat "$T/out")"

# 1. The hourly limit, with --telemetry instead of the key.
conf "$T/a.conf" "upload_per_runner_hour = 2"
: >"$T/daemon.log"
"$CRASHTRAIL" run --telemetry -c "$T/a.conf" >/dev/null 2>>"$T/daemon.log" &
DPID=$!
wait_for 10 log_has ' ready$' || fail "daemon did not get ready"
python3 "$L" hourly "$T" "$CTL" || fail "hourly limit"
"$CRASHTRAIL" status -s "$T/state/crashtrail.sock" >"$T/status" ||
    fail "crashtrail status"
grep -q '^uploads: 3 queued, 0 in flight, 3 done, 0 failed, 0 retries, 3 deferred, 0 dropped$' \
    "$T/status" || fail "status line: $(cat "$T/status")"
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=

# 2. Swept at start; a bad record set aside.
printf 'crashtrail-upload-job 9\n' >"$T/state/spool/1-x.stderr.job"
conf "$T/b.conf" "telemetry = on" "upload_per_runner_hour = 0"
start_daemon "$T/b.conf"
log_has 'upload: on, .*; 3 jobs resumed' || fail "sweep: $(grep upload: "$T/daemon.log")"
python3 "$L" swept "$T" "$CTL" || fail "swept jobs"
[ -f "$T/state/spool/1-x.stderr.job.bad" ] || fail "bad record not set aside"
stop_daemon

# 5. upload_files = stderr, stdout, report: the three files of a run, the
# report hashed once its rename is done.
conf "$T/f.conf" "telemetry = on" "upload_files = stderr, stdout, report"
cat >>"$T/f.conf" <<EOC
[runner:three]
command = /bin/sh -c 'echo to stdout; echo to stderr >&2; exit 3'
autostart = no
autorestart = never
startsecs = 0
EOC
start_daemon "$T/f.conf"
python3 "$L" files "$T" "$CTL" || fail "three files"
# The upload metrics exist only with uploads on: checked here.
curl -s --unix-socket "$T/state/crashtrail.sock" http://localhost/metrics \
    >"$T/metrics" || fail "GET /metrics"
grep -q '^crashtrail_upload_succeeded_total [1-9]' "$T/metrics" ||
    fail "no upload metrics: $(grep upload "$T/metrics" | head -3)"
grep -q '^crashtrail_upload_attempt_failures_total{class="tls"} 0$' \
    "$T/metrics" || fail "upload failure classes missing"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/metrics" || fail "promtool check metrics"
fi
stop_daemon

# 3. A full spool.
conf "$T/c.conf" "telemetry = on" "upload_spool_jobs = 3" \
    "upload_concurrency = 1" "upload_max_attempts = 100"
start_daemon "$T/c.conf"
python3 "$L" full "$T" "$CTL" || fail "spool full"
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
echo ok
