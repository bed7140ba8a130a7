# disk_full.sh -- a full disk (a real ENOSPC from a 1 MiB tmpfs) loses
# nothing silently: the stored log is an exact prefix, dropped bytes are
# counted, the tail keeps the end, and supervision goes on.
# Needs root and mount namespaces (unshare -m); skips elsewhere.
NEED_MOUNT_NS=1	# lib.sh re-runs this under unshare -m, or skips
. "$(dirname "$0")/lib.sh"
mkdir "$T/logs"
LOGDIR=$T/logs
mount -t tmpfs -o size=1m tmpfs "$T/logs" || skip "cannot mount tmpfs"
CLEANUP_HOOK="umount $T/logs"
# Take half the space, so the run's log hits ENOSPC part way through.
head -c 524288 /dev/zero >"$T/logs/filler"

conf=$T/c.conf
collector "$conf" "log_dir = $T/logs"
cat >>"$conf" <<EOC
[runner:writer]
command = /bin/sh -c '$H/blast 3000000 2; echo LAST-LINE >&2; while [ ! -e $T/go ]; do sleep 0.05; done; exit 1'
startsecs = 0
autorestart = never
[runner:ticker]
command = /bin/sh -c 'echo tick >&2; sleep 0.2; exit 1'
startsecs = 0
backoff = 0.1
backoff_max = 0.1
EOC
start_daemon "$conf"
wait_for 20 log_has 'write failed: No space left on device after' ||
    fail "no ENOSPC logged"
before=$(grep -c 'ticker: run .* started' "$T/daemon.log")
wait_for 10 sh -c "[ \$(grep -c 'ticker: run .* started' $T/daemon.log) -gt $before ]" ||
    fail "supervision stopped while the disk was full"
[ "$(grep -c 'writer.*No space left on device' "$T/daemon.log")" -eq 1 ] ||
    fail "ENOSPC for the writer should be logged exactly once"
rm "$T/logs/filler"
touch "$T/go"
wait_for 20 reports_of writer || fail "no death report after space came back"
python3 - "$(reports_of writer)" <<'PY' || fail "report checks"
import json, sys
rep = json.load(open(sys.argv[1]))
s = rep["stderr_log"]
raw = open(s["path"], "rb").read()
pattern = bytes((10 if i % 128 == 127 else 97 + i % 26) for i in range(65536))
full = (pattern * 46)[:3000000] + b"LAST-LINE\n"
assert 0 < len(raw) < len(full) and full.startswith(raw), len(raw)
assert s["size"] == len(raw), (s["size"], len(raw))
assert s["dropped_bytes"] == len(full) - len(raw), s
assert s["bytes_written_by_runner"] == len(full), s
assert s["truncated_because"] == "write failed", s
assert s["error"] == "No space left on device", s
assert rep["tail"]["text"].endswith("LAST-LINE\n"), rep["tail"]["text"][-40:]
assert rep["exit"]["cause"] == "exitcode=1"
print("prefix", len(raw), "dropped", s["dropped_bytes"])
PY
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
