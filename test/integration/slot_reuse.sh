# slot_reuse.sh -- run slots are reused (max_runs is small here): nothing of
# a slot's previous run may show in the next one's accounting or report.
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf" "max_runs = 4"
cat >>"$conf" <<EOC
[runner:big]
command = /bin/sh -c '$H/blast 100000 1; exit 1'
startsecs = 0
backoff = 0.05
backoff_max = 0.05
[runner:merged]
command = /bin/sh -c 'printf ab; exit 1'
capture_stdout = merge
startsecs = 0
backoff = 0.05
backoff_max = 0.05
EOC
start_daemon "$conf"
wait_for 30 sh -c "[ \$(grep -c 'merged: run .*: death report' $T/daemon.log) -ge 10 ]" ||
    fail "runs did not go on"
curl -s --unix-socket "$T/state/crashtrail.sock" http://localhost/metrics >"$T/m"
python3 - "$T/m" <<'PY' || fail "merged runner's byte counter: $(grep merged "$T/m")"
import re, sys
m = {}
for line in open(sys.argv[1]):
    g = re.match(r'(\S+)\{.*runner_id="merged"(.*)\} (\d+)', line)
    if g:
        m[g.group(1) + g.group(2)] = int(g.group(3))
ends = m['crashtrail_runner_ends_total,end="abnormal"']
assert m["crashtrail_runner_log_bytes_total"] == 2 * ends, m
PY
stop_daemon
python3 - "$T/state/runner_log/default/merged" <<'PY' || fail "a reused slot leaked its last run's files"
import json, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    if not f.endswith(".death.json"):
        continue
    r = json.load(open(os.path.join(d, f)))
    assert r["stderr_log"]["size"] == 2, r["stderr_log"]
    assert "stdout_log" not in r, r.get("stdout_log")
    assert r["stderr_log"]["path"].startswith(d), r["stderr_log"]["path"]
PY
grep -q 'merged: .* FAILED: exitcode=1 after .*, 2 bytes of stderr' "$T/daemon.log" || fail "merged byte count"
