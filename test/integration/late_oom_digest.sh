# late_oom_digest.sh -- a death report rewritten for a late kernel OOM
# record must not carry the SHA-256 of the slot's previous run.
#
# With max_runs = 2 and one runner, runs alternate between the two slots
# (run_slot: a free slot, else the oldest finished run's): run 1 -> slot 0,
# run 2 -> slot 1, run 3 -> slot 0 again.  Runs 1 and 2 exit 1 with a
# normal log and are hashed.  Run 3's log write fails with a real ENOSPC
# (a full 1 MiB tmpfs), so it is never hashed; it dies by SIGKILL, its
# report is written without a sha256, and then an OOM kill record naming
# its pid arrives on the kernel watcher's FIFO, so the report is written
# again.  That rewrite once took the slot's stale digest, i.e. run 1's.
# (Both slots hold a hashed run when run 3 starts, so wherever it lands,
# the stale digest would be run 1's or run 2's: neither may show.)
# Needs root and mount namespaces (unshare -m); skips elsewhere.
NEED_MOUNT_NS=1	# lib.sh re-runs this under unshare -m, or skips
. "$(dirname "$0")/lib.sh"
F=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}/test/fixtures/kmsg
[ -f "$F/memcg_new_layout.txt" ] || fail "no fixture in $F"
mkdir "$T/logs"
LOGDIR=$T/logs
mount -t tmpfs -o size=1m tmpfs "$T/logs" || skip "cannot mount tmpfs"
CLEANUP_HOOK="umount $T/logs"
mkfifo "$T/kmsg"

# Which run this is, from a counter the runner keeps itself.
cat >"$T/flip.sh" <<EOS
n=\$(( \$(cat $T/n 2>/dev/null || echo 0) + 1 ))
echo \$n >$T/n
case \$n in
1|2)	echo "run \$n of flip: an ordinary log line" >&2
	exit 1 ;;
3)	while [ ! -e $T/full ]; do sleep 0.05; done
	$H/blast 200000 2
	exec $H/crasher sleep ;;
*)	exec $H/crasher sleep ;;
esac
EOS
conf=$T/c.conf
collector "$conf" "log_dir = $T/logs" "kmsg_path = $T/kmsg" "max_runs = 2"
cat >>"$conf" <<EOC
[runner:flip]
command = /bin/sh $T/flip.sh
startsecs = 0
startretries = 10
backoff = 0.1
backoff_max = 0.1
EOC
S=$T/state/crashtrail.sock
start_daemon "$conf"

# started_line N: the Nth "flip: run ID started, pid P" line, as "ID P".
started_line() {
	sed -n 's/.*flip: run \(.*\) started, pid \([0-9]*\)$/\1 \2/p' \
	    "$T/daemon.log" | sed -n "${1}p"
}
# report_path ID: where the daemon said it wrote run ID's report.
report_path() {
	sed -n "s/.*flip: run $1: death report \(.*\)$/\1/p" "$T/daemon.log" |
	    tail -n 1
}
# has_sha FILE: FILE is a report whose stderr_log has a sha256.
has_sha() {
	python3 -c 'import json,sys; assert "sha256" in json.load(open(sys.argv[1]))["stderr_log"]' "$1"
}

# brief FILE: a report's exit and stderr_log (its tail is long).
brief() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps({k: d.get(k) for k in ("run_id", "exit", "stderr_log")}))' "$1" 2>&1
}

# Runs 1 and 2: hashed reports, in slots 0 and 1.  Run 3 starts only once
# run 2 is done, report and all.
wait_for 20 sh -c "[ \$(grep -c 'flip: run .* started, pid' $T/daemon.log) -ge 3 ]" ||
    fail "run 3 did not start"
for i in 1 2; do
	set -- $(started_line $i)
	[ $# -eq 2 ] || fail "no start line for run $i"
	eval "id$i=$1 pid$i=$2"
done
for i in 1 2; do
	eval "id=\$id$i"
	r=$(report_path "$id")
	[ -n "$r" ] || fail "no report for run $i ($id)"
	wait_for 20 has_sha "$r" || fail "run $i's report has no sha256: $(cat "$r")"
	eval "sha$i=\$(jq_py \"\$r\" 'd[\"stderr_log\"][\"sha256\"]')"
done
echo "run 1: $id1, pid $pid1, slot 0, stderr_log.sha256 $sha1"
echo "run 2: $id2, pid $pid2, slot 1, stderr_log.sha256 $sha2"
[ "$sha1" != "$sha2" ] || fail "runs 1 and 2 have the same sha256"

# Run 3 (slot 0 again, run 1's): fill the disk, then let it write.
set -- $(started_line 3)
id3=$1 pid3=$2
curl -s --unix-socket "$S" 'http://localhost/v1/runs?runner=flip' >"$T/runs"
# /v1/runs lists the pool's slots in order first (then the history).
echo "run 3: $id3, pid $pid3; /v1/runs, slots 0 and 1:" \
    $(python3 -c 'import json,sys; print(" ".join(r["run_id"] for r in json.load(open(sys.argv[1]))["runs"][:2]))' "$T/runs" 2>/dev/null)
head -c 2097152 /dev/zero >"$T/logs/filler" 2>/dev/null
touch "$T/full"
wait_for 20 log_has "/flip/.*stderr.log: write failed: No space left on device after" ||
    fail "no ENOSPC for run 3's log"
rm "$T/logs/filler"
# Once its sh has become crasher, run 3 is a single process: kill it.
wait_for 10 grep -qx crasher "/proc/$pid3/comm" || fail "run 3 did not exec crasher"
kill -KILL "$pid3"
wait_for 20 sh -c "[ -n \"\$(sed -n 's/.*flip: run $id3: death report \(.*\)$/\1/p' $T/daemon.log)\" ]" ||
    fail "no report for run 3"
r3=$(report_path "$id3")
wait_for 20 python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$r3" ||
    fail "run 3's report did not appear: $r3"
python3 - "$r3" <<'PY' || fail "run 3's first report: $(brief "$r3")"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["stderr_log"]
assert d["exit"]["cause"] == "signal=9 (SIGKILL)", d["exit"]
assert d["exit"]["oom_killed"] is False, d["exit"]
assert s["truncated_because"] == "write failed", s
assert s["error"] == "No space left on device", s
assert "sha256" not in s, s
print("run 3's first report: not hashed (ENOSPC), no sha256, oom_killed false")
PY

# The late record (within 10 s of the end): the report is written again.
sed "s/Killed process 8123 (python)/Killed process $pid3 (crasher)/" \
    "$F/memcg_new_layout.txt" >"$T/dump"
exec 3>"$T/kmsg"
cat "$T/dump" >&3
exec 3>&-
wait_for 10 log_has "flip: run $id3: pid $pid3 (crasher) killed by the kernel OOM killer" ||
    fail "the late OOM record was not matched to run 3"
wait_for 10 sh -c "python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))[\"exit\"][\"oom_killed\"] is True' $r3" ||
    fail "run 3's report was not rewritten: $(brief "$r3")"
python3 - "$r3" "$pid3" "$sha1" "$sha2" <<'PY' || fail "run 3's rewritten report has a wrong stderr_log.sha256: $(brief "$r3")"
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
pid, sha1, sha2 = int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = d["stderr_log"]
assert d["exit"]["oom_killed"] is True, d["exit"]
assert d["exit"]["cause"] == "signal=9 (SIGKILL)", d["exit"]
k = d["kernel_records"][0]
assert k["kind"] == "oom_kill" and k["oom"]["pid"] == pid, k
assert s["error"] == "No space left on device", s
own = hashlib.sha256(open(s["path"], "rb").read()).hexdigest()
got = s.get("sha256")
assert got != sha1, "rewritten report carries run 1's (the slot's previous run's) sha256 %s; run 3's own file hashes to %s" % (got, own)
assert got != sha2, "rewritten report carries run 2's sha256 %s" % got
assert got is None or got == own, "sha256 %s is not run 3's own file's %s" % (got, own)
print("run 3's rewritten report: oom_killed true, stderr_log.sha256", got)
PY
# The rewrite went through the usual path: its bytes are charged to the
# quota, so the log store's count is what is on disk (the old direct
# report_write skipped the charge).
wait_for 10 sh -c "python3 - '$T/state/crashtrail.sock' '$LOGDIR/runner_log' <<'PY'
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'GET /v1/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
out = b''
while True:
    b = s.recv(65536)
    if not b: break
    out += b
st = json.loads(out.partition(b'\r\n\r\n')[2])
disk = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(sys.argv[2])
           for f in fs if not '.tmp' in f)
assert st['logs']['bytes'] == disk, (st['logs']['bytes'], disk)
PY" || fail "log store bytes differ from the files on disk after the rewrite"
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
