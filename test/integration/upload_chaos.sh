#!/bin/sh
# upload_chaos.sh -- the crash-log uploader (DESIGN.md 10) while crashtrail
# is killed with SIGKILL at random moments (sometimes with its syncer
# helper, as a kill of its whole cgroup would) and restarted each time,
# until at least 50 abnormal runs and 20 kills have happened
# (test/integration/upload_chaos.py); then a last start with no runner
# starting drains the spool.  The upload server must end with every
# non-empty stderr log of every run that has a death report, exactly those
# bytes, PUT exactly once (a presign answered 409, already stored, is the
# acknowledgement of a PUT that a kill cut from its answer); the spool must
# end empty, no upload may have failed for good, no run may have printed
# and died without a death report, and none may have been published dead
# twice.
# UPLOAD_CHAOS_SEED=N replays the kill timings of a seed;
# UPLOAD_CHAOS_HELPER_KILL=P kills the helper too at that share of the
# kills (default 0.3); UPLOAD_CHAOS_KEEP=DIR copies the test's directory
# (state, logs, restarts.log) there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/certs.sh"

command -v python3 >/dev/null || skip "needs python3"
HERE=$(cd "$(dirname "$0")" && pwd)
CLEANUP_HOOK=stop_server
stop_server() {
	stop_upload_server
	if [ -n "${UPLOAD_CHAOS_KEEP:-}" ]; then
		rm -rf "$UPLOAD_CHAOS_KEEP" && cp -a "$T" "$UPLOAD_CHAOS_KEEP"
	fi
}
start_upload_server

# Two configurations of the same runners: "chaos" restarts them after
# every abnormal end; "final" starts nothing, so the last daemon only
# reclaims what the last kill left and drains the spool.
inst=uchaos$$
for phase in chaos final; do
	conf=$T/$phase.conf
	collector "$conf" "kmsg_path = off" "instance_id = $inst" \
	    "telemetry = on" "telemetry_api_url = https://127.0.0.1:$PORT" \
	    "ca_file = $C/ca.crt" "upload_backoff_min = 0.05" \
	    "upload_backoff_max = 0.5" "upload_max_attempts = 1000" \
	    "upload_timeout = 2" "upload_concurrency = 2" \
	    "upload_per_runner_hour = 0"
	for i in 1 2 3 4 5; do
		# 2 x 45..145 KB of random bytes, base64: 120..390 KB of log,
		# after a first line no other run can have (pid and ns).
		half=$((20000 + i * 25000))
		cat >>"$conf" <<EOC

[runner:up$i]
command = /bin/sh -c 'printf "upload_chaos up$i %s %s\\n" "\$\$" "\$(date +%s%N)" >&2; head -c $half /dev/urandom | base64 >&2; sleep 0.\$((\$\$ % 3 + 1)); head -c $half /dev/urandom | base64 >&2; exit 3'
startsecs = 0
startretries = 1000000
backoff = 0.2
backoff_max = 0.8
stopwaitsecs = 2
EOC
		if [ $phase = final ]; then
			printf 'autostart = no\nautorestart = never\n' >>"$conf"
		fi
	done
done

# Its problems again in fail()'s message: test/run.sh shows a failed
# test's last 60 lines, which fail() fills with the daemon's log.
python3 "$HERE/upload_chaos.py" "$CRASHTRAIL" "$T" "$S" "$inst" 2>&1 |
    tee "$T/check.log"
grep -q 'seed [0-9]*: ok$' "$T/check.log" ||
    fail "upload chaos checks ($(grep -c '^PROBLEM' "$T/check.log") problems; \
$(grep -E 'seed [0-9]+ \(' "$T/check.log" | cut -c8-))
$(grep '^PROBLEM' "$T/check.log" | head -n 10)"
echo ok
