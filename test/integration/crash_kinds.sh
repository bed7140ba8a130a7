# crash_kinds.sh -- real children that really crash, each classified, logged,
# tailed and reported (or not, when clean); under umask 077, every file
# crashtrail makes is 0640 (the socket 0660) and every directory 0750,
# while the runners keep the umask they were started under.
. "$(dirname "$0")/lib.sh"
umask 077
C=$H/crasher
conf=$T/c.conf
collector "$conf"
runner() {	# name command [extra lines]
	_n=$1 _c=$2; shift 2
	printf '[runner:%s]\ncommand = %s\nautorestart = never\nstartsecs = 0\n' \
	    "$_n" "$_c" >>"$conf"
	for l in "$@"; do echo "$l" >>"$conf"; done
}
runner segv "$C segv"
runner selfkill "$C selfkill"
runner abort "$C abort"
runner exit3 "$C exit 3"
runner exit0 "$C exit 0"
runner nonl "$C nonl 52428800"
runner wrap137 "/bin/sh -c '$C sleep & p=\$!; kill -KILL \$p; wait \$p; exit \$?'"
runner badutf8 "$C badutf8"
runner grandchild "$C grandchild" "stopwaitsecs = 5"
runner listed "$C exit 42" "exitcodes = 0,42"
runner mask "/bin/sh -c 'umask >&2; : >$T/runner-made; exit 0'"

start_daemon "$conf"
for r in segv selfkill abort exit3 nonl wrap137 badutf8 grandchild; do
	wait_for 30 reports_of $r || fail "no death report for $r"
done
# The grandchild still holds the stderr pipe: the report did not wait
# for EOF.  It ignores SIGTERM, so only the leftover SIGKILL ends it.
# Its pid from the parent's line (written before the parent exits; the
# grandchild's own line may come after the pipe was closed).
gc=$(sed -n 's/^parent exits 3, grandchild \([0-9]*\) stays$/\1/p' \
    "$T"/state/runner_log/default/grandchild/*.stderr.log)
[ -n "$gc" ] || fail "grandchild pid not in its log"
kill -0 "$gc" 2>/dev/null || fail "grandchild $gc died before the report: $(cat "$T"/state/runner_log/default/grandchild/*.stderr.log)"
wait_for 15 sh -c "! kill -0 $gc" || fail "leftover grandchild $gc not killed"
wait_for 10 log_has 'exit0: run .* ended: exitcode=0 (clean)' ||
    fail "exit0 not logged as clean"
wait_for 10 log_has 'listed: run .* ended: exitcode=42 (clean)' ||
    fail "exitcode listed in exitcodes not clean"
wait_for 10 log_has 'mask: run .* ended: exitcode=0 (clean)' ||
    fail "mask runner did not end"
[ "$(cat "$T"/state/runner_log/default/mask/*.stderr.log)" = 0077 ] ||
    fail "the runner's umask: $(cat "$T"/state/runner_log/default/mask/*.stderr.log), want 0077"
[ "$(stat -c %a "$T/runner-made")" = 600 ] ||
    fail "a runner's file is $(stat -c %a "$T/runner-made"), want 600 (its umask 077)"

python3 - "$T/state/runner_log/default" <<'PY' || fail "report checks"
import hashlib, json, os, sys
root = sys.argv[1]
def one(runner, suffix):
    d = os.path.join(root, runner)
    f = [x for x in os.listdir(d) if x.endswith(suffix)]
    assert len(f) == 1, (runner, suffix, f)
    return os.path.join(d, f[0])
def check(runner, cause, **exit_fields):
    rep = json.load(open(one(runner, ".death.json")))
    log = one(runner, ".stderr.log")
    raw = open(log, "rb").read()
    e = rep["exit"]
    assert e["cause"] == cause, (runner, e["cause"], cause)
    assert e["abnormal"] is True, runner
    for k, v in exit_fields.items():
        assert e[k] == v, (runner, k, e[k], v)
    s = rep["stderr_log"]
    assert s["path"] == log and s["size"] == len(raw), (runner, s)
    assert s["sha256"] == hashlib.sha256(raw).hexdigest(), runner
    assert s["dropped_bytes"] == 0, runner
    assert rep["runner_id"] == runner and rep["instance_id"] == "default"
    assert rep["run_id"].startswith(runner + "-"), rep["run_id"]
    t = rep["tail"]
    text = t["text"].encode("utf-8", "surrogatepass")
    if b"\xff" not in raw:
        assert raw.endswith(text) and t["bytes"] == len(text), runner
    return rep, raw
check("segv", "signal=11 (SIGSEGV)", signal=11, signal_name="SIGSEGV",
    exit_code=None)
check("selfkill", "signal=9 (SIGKILL)", signal=9)
check("abort", "signal=6 (SIGABRT)", signal=6, signal_name="SIGABRT")
rep, raw = check("exit3", "exitcode=3", exit_code=3, signal=None)
assert rep["tail"]["text"].startswith("crasher exit pid="), rep["tail"]
assert rep["tail"]["lines"] == 3, rep["tail"]["lines"]
rep, raw = check("nonl", "exitcode=1", exit_code=1)
assert len(raw) == 52428800 + raw.index(b"two\n") + 4, len(raw)
assert rep["tail"]["bytes"] == 65536 and set(rep["tail"]["text"]) == {"x"}
assert rep["tail"]["lines"] == 1
rep, raw = check("wrap137", "exitcode=137", exit_code=137, likely_signal=9,
    likely_signal_name="SIGKILL")
rep, raw = check("badutf8", "exitcode=5", exit_code=5)
assert b"bad \xff\xfe bytes \x01\x1b[31m \xc3\x28\n" in raw, raw
assert "\ufffd\ufffd bytes \u0001\u001b[31m \ufffd(" in rep["tail"]["text"]
check("grandchild", "exitcode=3", exit_code=3)
for clean in ("exit0", "listed"):
    d = os.path.join(root, clean)
    assert not [x for x in os.listdir(d) if x.endswith(".death.json")], clean
    assert open(one(clean, ".stderr.log"), "rb").read().startswith(b"crasher exit")
print("all reports check out")
# Everything crashtrail made under state_dir, whatever the umask (077).
import stat
state = os.path.dirname(os.path.dirname(root))
n = 0
for d, dirs, files in os.walk(state):
    assert os.stat(d).st_mode & 0o7777 == 0o750, (d, oct(os.stat(d).st_mode))
    for f in files:
        p = os.path.join(d, f)
        st = os.lstat(p)
        want = 0o660 if stat.S_ISSOCK(st.st_mode) else 0o640
        assert st.st_mode & 0o7777 == want, (p, oct(st.st_mode))
        n += 1
print("modes of %d files and their directories check out" % n)
PY
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
