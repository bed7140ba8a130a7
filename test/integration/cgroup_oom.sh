# cgroup_oom.sh -- a runner with memory_max = 64M in its own memory cgroup
# (cgroup = auto) eats memory until the kernel kills it: the death report
# says oom_killed from both sources, the cgroup's own oom_kill counter and
# the kernel's log (/dev/kmsg), its samples show the memory climbing
# toward the limit, and the run's cgroup is gone afterwards.  Needs root,
# a writable memory cgroup (v1 or v2) and a readable /dev/kmsg; skips
# with the reason crashtrail gives in /v1/status where they are missing.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root for a memory cgroup"
[ -r /dev/kmsg ] || skip "cannot read /dev/kmsg"
# An empty run cgroup left by a crashtrail that died: swept at start.
stale=
for d in /sys/fs/cgroup/memory/crashtrail /sys/fs/cgroup/crashtrail; do
	if [ -d "$d" ] && mkdir "$d/stale-$$" 2>/dev/null; then
		stale=$d/stale-$$
		break
	fi
done
unstale() {
	if [ -n "$stale" ] && [ -d "$stale" ]; then rmdir "$stale"; fi
}
CLEANUP_HOOK=unstale
conf=$T/c.conf
collector "$conf" "sample_interval_ms = 50"
cat >>"$conf" <<EOC
[runner:hog]
command = python3 $TOP/test/integration/memstep.py 0.05 forever
memory_max = 64M
startsecs = 0
autorestart = never
EOC
start_daemon "$conf"
S=$T/state/crashtrail.sock
curl -s --unix-socket "$S" http://localhost/v1/status >"$T/st"
if [ "$(jq_py "$T/st" 'd["sampler"]["cgroups"]')" != True ]; then
	why=$(jq_py "$T/st" 'd["sampler"]["cgroups_reason"]')
	stop_daemon
	skip "no memory cgroups here: $why"
fi
if [ -n "$stale" ]; then
	if [ -d "$stale" ]; then fail "the stale cgroup $stale was not swept"; fi
	log_has "empty run cgroups left by an earlier crashtrail removed" ||
	    fail "no log line for the sweep"
fi
wait_for 60 reports_of hog || fail "no report for the hog"
r=$(reports_of hog)
# The kernel's record may land just after the report: it is rewritten.
wait_for 10 grep -q kernel_log "$r" || true
python3 - "$r" <<'PY' || fail "report: $(head -c 3000 "$r")"
import json, sys
d = json.load(open(sys.argv[1]))
e = d["exit"]
assert e["cause"] == "signal=9 (SIGKILL)" and e["oom_killed"] is True, e
assert "cgroup" in e["oom_sources"], e
assert "kernel_log" in e["oom_sources"], e
m = d["metrics"]
assert m["cgroup_oom_kills"] >= 1, m
# The cgroup's memory, which its limit compares, climbs to the limit.
rss = [s["cgroup_memory_bytes"] for s in m["samples"]
       if "cgroup_memory_bytes" in s]
assert rss and max(rss) > 32 << 20 and max(rss) <= 64 << 20, rss
k = [x for x in d["kernel_records"] if x["kind"] == "oom_kill"][0]["oom"]
assert k["pid"] == d["pid"], (k, d["pid"])
assert k["constraint"] == "memcg" and d["run_id"] in k["oom_memcg"], k
assert d["last_stage"]["stage_name"] == "eat", d["last_stage"]
# The climb: the samples' memory grows toward the limit (the last sample
# may come after the kill, when the cgroup has already let go of it).
assert max(rss) > rss[0] + (16 << 20), rss
assert rss.index(max(rss)) >= len(rss) - 3, rss
print("oom from", e["oom_sources"], "cgroup kills", m["cgroup_oom_kills"],
      "peak", max(rss) >> 20, "MiB of 64")
PY
log_has "hog: run .* its cgroup counted an OOM kill\|killed by the kernel OOM" ||
    fail "no OOM log line"
# The run's cgroup went with it.
rid=$(jq_py "$r" 'd["run_id"]')
for d in /sys/fs/cgroup/memory/crashtrail /sys/fs/cgroup/crashtrail \
    /sys/fs/cgroup/unified/crashtrail; do
	if [ -d "$d/$rid" ]; then
		wait_for 5 sh -c "! [ -d $d/$rid ]" ||
		    fail "cgroup $d/$rid left behind"
	fi
done
stop_daemon
