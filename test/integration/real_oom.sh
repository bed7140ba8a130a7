# real_oom.sh -- a real kernel OOM kill: a runner that eats memory inside a
# memory cgroup with a small limit is killed by the kernel; crashtrail reads
# /dev/kmsg and its death report says oom_killed and names the kill.  Needs
# root, a readable /dev/kmsg and a writable cgroup memory controller (v1 at
# /sys/fs/cgroup/memory, or v2 with memory enabled); skips with the reason.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to make a memory cgroup"
[ -r /dev/kmsg ] || skip "cannot read /dev/kmsg"
cg=
if [ -w /sys/fs/cgroup/memory ] && mkdir "/sys/fs/cgroup/memory/ct-oom-$$" 2>/dev/null; then
	cg=/sys/fs/cgroup/memory/ct-oom-$$
	echo $((64 * 1024 * 1024)) >"$cg/memory.limit_in_bytes" || skip "cannot set memory.limit_in_bytes"
	echo 0 >"$cg/memory.swappiness" 2>/dev/null
elif grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null &&
    mkdir "/sys/fs/cgroup/ct-oom-$$" 2>/dev/null; then
	cg=/sys/fs/cgroup/ct-oom-$$
	echo $((64 * 1024 * 1024)) >"$cg/memory.max" || skip "cannot set memory.max"
	echo 0 >"$cg/memory.swap.max" 2>/dev/null
else
	skip "no writable cgroup memory controller (v1 or v2) here"
fi
CLEANUP_HOOK="rmdir $cg"
conf=$T/c.conf
collector "$conf"
cat >>"$conf" <<EOC
[runner:hog]
command = /bin/sh -c 'echo \$\$ >$cg/cgroup.procs && exec $H/crasher hog'
startsecs = 0
autorestart = never
EOC
start_daemon "$conf"
wait_for 60 reports_of hog || fail "no report for the hog"
r=$(reports_of hog)
python3 - "$r" <<'PY' || fail "report: $(head -c 2000 "$r")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["exit"]["cause"] == "signal=9 (SIGKILL)", d["exit"]
assert d["exit"]["oom_killed"] is True, d["exit"]
k = [x for x in d["kernel_records"] if x["kind"] == "oom_kill"][0]["oom"]
assert k["pid"] == d["pid"], (k["pid"], d["pid"])
assert k["process_name"] == "crasher", k
print("oom kill:", k["constraint"], k.get("oom_kind"), k["rss_kb"], "kB")
PY
log_has 'hog: run .* killed by the kernel OOM killer' || fail "no OOM log line"
stop_daemon
