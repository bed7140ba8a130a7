# tail_join.sh -- while a run's log file holds every byte, its tail is read
# back from the file; from the byte the file stops taking (here the
# per-file cap, mid-write) it is kept in memory.  The two parts must join
# exactly: the tail is the stream's end, for a live run (the API) and in
# the death report.
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf" "kmsg_path = off" "tail_bytes = 256K" "tail_lines = 100000"
cat >>"$conf" <<EOC
[runner:capped]
command = /bin/sh -c '$H/blast 150000 2; while [ ! -e $T/go ]; do sleep 0.05; done; $H/blast 1000 2 1'
startsecs = 0
autorestart = never
log_max_bytes = 100001
[runner:whole]
command = /bin/sh -c '$H/blast 300000 2; while [ ! -e $T/go ]; do sleep 0.05; done; exit 1'
startsecs = 0
autorestart = never
EOC
S=$T/state/crashtrail.sock
start_daemon "$conf"
wait_for 20 log_has 'capped/.*per-file cap' || fail "cap not reached"
# Both blasts are done once their stored bytes stop at the sizes.
stored() {
	curl -s --unix-socket "$S" http://x/v1/runs | python3 -c '
import json, sys
d = {r["runner_id"]: r for r in json.load(sys.stdin)["runs"] if r["state"] == "live"}
print(d[sys.argv[1]]["run_id"] if d.get(sys.argv[1], {}).get("stderr_bytes") == int(sys.argv[2]) else "")' "$1" "$2"
}
for r in "capped 150000" "whole 300000"; do
	set -- $r
	wait_for 20 sh -c "curl -s --unix-socket $S http://x/v1/runs | grep -q '\"stderr_bytes\":$2'" ||
	    fail "$1 did not write its $2 bytes"
	id=$(stored "$1" "$2")
	[ -n "$id" ] || fail "no live run of $1"
	curl -s --unix-socket "$S" "http://x/v1/runs/$id/log?tail=100000" >"$T/live.$1"
done
touch "$T/go"
wait_for 20 reports_of capped || fail "no report for capped"
wait_for 20 reports_of whole || fail "no report for whole"
python3 - "$(reports_of capped)" "$(reports_of whole)" "$T/live.capped" "$T/live.whole" <<'PY' || fail "tail checks"
import json, sys
pattern = bytes((10 if i % 128 == 127 else 97 + i % 26) for i in range(65536))
def stream(n):
    return (pattern * (n // 65536 + 1))[:n]
cap, whole = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
full_c = stream(150000) + stream(1000)
assert cap["stderr_log"]["size"] == 100001, cap["stderr_log"]
assert cap["tail"]["text"].encode() == full_c, (cap["tail"]["bytes"], len(full_c))
assert whole["tail"]["text"].encode() == stream(300000)[-262144:].split(b"\n", 1)[1] or \
    stream(300000).endswith(whole["tail"]["text"].encode()), whole["tail"]["bytes"]
assert len(whole["tail"]["text"]) > 200000, whole["tail"]["bytes"]
live_c, live_w = open(sys.argv[3], "rb").read(), open(sys.argv[4], "rb").read()
assert live_c == stream(150000), (len(live_c), "capped, live")
assert stream(300000).endswith(live_w) and len(live_w) > 200000, len(live_w)
print("capped tail", len(full_c), "bytes exact; whole tail", whole["tail"]["bytes"])
PY
stop_daemon
