# metrics_stages.sh -- the minute before the death: a runner that grows
# its memory step by step and reports stages (memstep.py) is sampled
# every 100 ms; its telemetry shows RSS rising across its stages, the
# stage view follows the rules (first-seen order, a start without a
# queue, a retry is attempt 2, the run's end closes what was open, in
# numeric group order), its death report carries the last stage and
# samples that end within one interval of the death, and the API
# refuses what it must (bad from_seq, stage events for an ended run, no
# run_id, stage_foo).  A second runner outlives its ring (samples_per_run
# 30): the oldest samples are evicted and counted.  /metrics passes
# promtool with the per-run and host gauges in it.
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf" "sample_interval_ms = 100" "samples_per_run = 30" \
    "report_samples = 20"
cat >>"$conf" <<EOC
[runner:mem]
command = python3 $TOP/test/integration/memstep.py 0.1
startsecs = 0
autorestart = never

[runner:idle]
command = /bin/sh -c 'exec sleep 600'
startsecs = 0
EOC
start_daemon "$conf"
python3 "$TOP/test/integration/metrics_check.py" "$T" ||
    fail "metrics checks"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/metrics.txt" || fail "promtool check metrics"
fi
stop_daemon
# Each run had its own cgroup (where allowed); none outlives the daemon.
for id in $(sed -n 's/.*: run \([^ ]*\) started, pid.*/\1/p' "$T/daemon.log"); do
	for d in /sys/fs/cgroup/memory/crashtrail /sys/fs/cgroup/crashtrail; do
		if [ -e "$d/$id" ]; then fail "cgroup $d/$id left behind"; fi
	done
done
