# diagnostics.sh -- runners that print each built-in diagnostic's real text
# and die carry it, with evidence, in their death reports; a [diagnostic:ID]
# from the config works too; a clean exit attaches nothing; a runner that
# prints 1 GiB of unmatched lines leaves the daemon's memory flat, and the
# line it dies with is still matched though the flood was over budget.
. "$(dirname "$0")/lib.sh"
C=$H/crasher
conf=$T/c.conf
collector "$conf" "log_quota_bytes = 0"
# Long commands continue on indented lines (joined with one space), so
# the text is folded at spaces.
say() {	# runner-name text
	printf '[runner:%s]\ncommand = %s say "%s"\nstartsecs = 0\nautorestart = never\n' \
	    "$1" "$C" "$(printf '%s' "$2" | fold -s -w 120 | sed '2,$s/^/    /')" >>"$conf"
}
say metal 'loading weights\nlibc++abi: terminating due to uncaught exception of type std::runtime_error: [METAL] Command buffer execution failed: Caused GPU Timeout Error (00000002:kIOGPUCommandBufferCallbackErrorTimeout)'
say metalbare '[METAL] Command buffer execution failed: Caused GPU Timeout Error (00000002:kIOGPUCommandBufferCallbackErrorTimeout)'
say metaloom '[METAL] Command buffer execution failed: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)'
say ring '[ring] Receiving from socket 51 failed with errno 104\nnoise in between\n[ring] Receiving from socket 51 failed with errno 104\n[ring] Too many send/recv errors. Aborting...'
say cuda 'RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB'
say xid 'NVRM: Xid (PCI:0000:3b:00): 79, pid=1234, name=python3, GPU has fallen off the bus.'
say py 'Traceback (most recent call last):\n  File \"serve.py\", line 3, in <module>\n    main()\nValueError: bad shape (3, 4)'
say segv 'Fatal Python error: Segmentation fault'
say rust "thread 'main' panicked at src/main.rs:4:5:\nindex out of bounds"
say gopanic 'panic: runtime error: invalid memory address or nil pointer dereference\ngoroutine 1 [running]:'
say heap 'malloc(): corrupted top size'
say custom 'worker lost its lease on shard 7'
cat >>"$conf" <<EOC
[runner:clean]
command = /bin/sh -c 'echo "[METAL] Command buffer execution failed:
    Caused GPU Timeout Error (00000002:kIOGPUCommandBufferCallbackErrorTimeout)"
    >&2; exit 0'
startsecs = 0
autorestart = never
[runner:noise]
command = /bin/sh -c 'sleep 1; $H/blast 1073741824 2;
    echo "Fatal Python error: Segmentation fault" >&2; exit 1'
startsecs = 0
autorestart = never
log_max_bytes = 0
[diagnostic:lease-lost]
severity = error
match = lost its lease on shard
summary = the worker lost its shard lease
EOC
start_daemon "$conf"
for r in metal metalbare metaloom ring cuda xid py segv rust gopanic heap custom; do
	wait_for 20 reports_of $r || fail "no report for $r"
done
wait_for 10 log_has 'clean: run .* ended: exitcode=0 (clean)' || fail "clean"
rss() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' /proc/$DPID/status; }
# "before" once the flood is under way (32 MiB stored): the buffers it
# goes through, reserved at start-up, are touched by then.
wait_for 30 sh -c "[ \$(stat -c %s $T/state/runner_log/default/noise/*.stderr.log) -ge 33554432 ]" ||
    fail "noise did not start its flood"
before=$(rss)
wait_for 120 reports_of noise || fail "noise runner did not finish"
after=$(rss)
echo "daemon RSS while 1 GiB of unmatched lines went through: $before KiB -> $after KiB"
[ $((after - before)) -lt 2048 ] || fail "memory grew by $((after - before)) KiB"

python3 - "$T/state/runner_log/default" <<'PY' || fail "diagnostics in reports"
import json, os, sys
root = sys.argv[1]
def rep(r):
    d = os.path.join(root, r)
    return json.load(open(os.path.join(d, [f for f in os.listdir(d) if f.endswith(".death.json")][0])))
def diag(r, id_):
    ds = rep(r)["diagnostics"]
    m = [d for d in ds if d["id"] == id_]
    assert m, (r, id_, [d["id"] for d in ds])
    return m[0]
d = diag("metal", "metal-gpu-timeout")
assert "GPU Timeout" in d["message"] and d["count"] == 1, d
assert d["last_evidence"][-1].startswith("libc++abi:") and "loading weights" in d["last_evidence"], d
assert "GPU Timeout" in diag("metalbare", "metal-gpu-timeout")["message"]
diag("metaloom", "metal-gpu-oom")
d = diag("ring", "ring-socket-recv-errno")
assert d["count"] == 2, d          # noise between repeats does not split them
assert d["error_number"] == 104 and d["error_name"] == "ECONNRESET", d
assert d["errno_platform"] == "linux", d
diag("ring", "ring-transport-abort")
diag("cuda", "cuda-oom")
diag("xid", "nvidia-xid")
d = diag("py", "python-traceback")
assert "ValueError: bad shape (3, 4)" in d["message"], d
diag("segv", "segfault")
diag("rust", "rust-panic")
diag("gopanic", "go-panic")
diag("heap", "glibc-heap-corruption")
d = diag("custom", "lease-lost")
assert d["severity"] == "error" and d["summary"] == "the worker lost its shard lease", d
noise = rep("noise")
# 1 GiB is far over the matcher's budget (diag_rate, 64 MiB/s): most of
# it is skipped and counted, and the tail is matched at the death, so the
# last line's diagnostic is still found.
assert noise["diagnostics_skipped_bytes"] > 0, noise["diagnostics_skipped_bytes"]
assert [d["id"] for d in noise["diagnostics"]] == ["segfault"], noise["diagnostics"]
assert noise["stderr_log"]["size"] == 1073741824 + 39
d = os.path.join(root, "clean")
assert not [f for f in os.listdir(d) if f.endswith(".death.json")]
print("all diagnostics found")
PY
# runner_failed events carry them too.
curl -s --unix-socket "$T/state/crashtrail.sock" \
    'http://localhost/v1/events?type=runner_failed&limit=1000' >"$T/ev.json"
python3 - "$T/ev.json" <<'PY' || fail "runner_failed events"
import json, sys
evs = json.load(open(sys.argv[1]))["events"]
m = [e for e in evs if e["runner_id"] == "metal"][0]
assert m["data"]["diagnostics"][0]["id"] == "metal-gpu-timeout", m["data"]["diagnostics"]
PY
stop_daemon
# A bad [diagnostic:ID] is a config error with its line.
printf '[diagnostic:x]\nseverity = loud\nmatch = boom\n' >"$T/bad.conf"
"$CRASHTRAIL" check-config -c "$T/bad.conf" 2>"$T/err"; [ $? -eq 78 ] || fail "bad diagnostic accepted"
grep -q 'bad.conf:2: .*severity' "$T/err" || grep -q 'bad.conf:1: \[diagnostic:x\]' "$T/err" || fail "bad diagnostic message: $(cat "$T/err")"
