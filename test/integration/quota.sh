# quota.sh -- the per-file cap keeps an exact prefix, and the log_dir quota
# prunes the oldest runs' files first, never the live run's: every run
# pruned is older than every run kept, and a pruned run leaves no file.
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf" "log_quota_bytes = 400K"
cat >>"$conf" <<EOC
[runner:big]
command = $H/blast 150000 2 1
startsecs = 0
backoff = 0.05
backoff_max = 0.05
log_max_bytes = 100K
EOC
start_daemon "$conf"
wait_for 30 sh -c "[ \$(grep -c 'big: run .*: death report' $T/daemon.log) -ge 8 ]" ||
    fail "runs did not go on"
curl -s --unix-socket "$T/state/crashtrail.sock" \
    'http://localhost/v1/events?type=collector_warning&limit=1000' >"$T/warn"
python3 - "$T/warn" <<'PY' || fail "collector_warning events: $(head -c 600 "$T/warn")"
import json, sys
ev = json.load(open(sys.argv[1]))["events"]
kinds = {e["data"]["warning"] for e in ev}
assert "log_files_pruned" in kinds and "log_file_stopped" in kinds, kinds
p = [e for e in ev if e["data"]["warning"] == "log_files_pruned"][0]["data"]
assert p["quota"] == 409600 and p["bytes"] > 0, p
s = [e for e in ev if e["data"]["warning"] == "log_file_stopped"][0]
assert s["runner_id"] == "big" and s["data"]["reason"].startswith("per-file cap"), s
PY
stop_daemon
log_has 'pruned ' || fail "nothing was pruned"
python3 - "$T/daemon.log" "$T/state/runner_log/default/big" <<'PY' || fail "pruned the wrong runs"
import os, re, sys
pruned = [os.path.basename(m) for m in
          re.findall(r" pruned (\S+) \(\d+ bytes\)", open(sys.argv[1]).read())]
files = os.listdir(sys.argv[2])
kept = sorted({f.split(".")[0] for f in files})
assert pruned and kept, (pruned, kept)
assert len(set(pruned)) == len(pruned), "a run pruned twice"
assert not set(pruned) & set(kept), ("a pruned run left files",
                                     set(pruned) & set(kept))
# The names are UTC times: oldest first means every pruned one sorts
# before every kept one (and the pruned went in that order).
assert pruned == sorted(pruned), pruned
assert max(pruned) < min(kept), ("a newer run pruned before an older one",
                                 max(pruned), min(kept))
print(len(pruned), "oldest runs pruned,", len(kept), "kept")
PY
total=$(find "$T/state/runner_log" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
[ "$total" -le 409600 ] || fail "log_dir holds $total bytes, over the 400K quota"
python3 - "$T/state/runner_log/default/big" <<'PY' || fail "cap checks"
import json, os, sys
d = sys.argv[1]
reps = sorted(f for f in os.listdir(d) if f.endswith(".death.json"))
assert reps, "no reports left"
capped = 0
for f in reps:
    r = json.load(open(os.path.join(d, f)))
    s = r["stderr_log"]
    if r["exit"]["stop_requested"]:
        # A run the final stop caught before it wrote its bytes: no cap
        # case, but its file and report agree.
        assert s["size"] == os.path.getsize(s["path"]), s
        continue
    capped += 1
    assert s["size"] == 102400 and s["dropped_bytes"] == 150000 - 102400, s
    assert s["truncated_because"].startswith("per-file cap"), s
    assert os.path.getsize(s["path"]) == 102400
    # The tail is the stream's end, past the cap too: the part the file has
    # and the part only memory kept join exactly.
    pattern = bytes((10 if i % 128 == 127 else 97 + i % 26) for i in range(65536))
    full = (pattern * 3)[:150000].decode()
    t = r["tail"]
    assert t["lines"] == 200 and full.endswith(t["text"]), (t["lines"], t["bytes"])
    assert t["bytes"] == 199 * 128 + 150000 % 128, t["bytes"]
assert capped > 0, "no capped run kept"
print(len(reps), "runs kept,", capped, "capped")
PY
