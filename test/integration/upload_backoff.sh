# upload_backoff.sh -- the upload retry delay: full jitter, uniform in
# [upload_backoff_min, min(upload_backoff_max, min x 2^(attempt-1))].
# A plain-HTTP presign server answers 503 (no Retry-After) to every
# attempt; with min 0.05 s, max 0.21 s and 24 attempts, every
# upload_failed but the last says retry_in_ms within its attempt's bounds
# (50; <= 100; <= 200; then <= 210: the cap, which min x 2^k passes), the
# server sees each attempt no sooner than that delay, the delays grow
# (some attempt from the third on waits over 100 ms: with doubling the
# odds of none are about 1e-10), and the 24th attempt is the final one.
# (upload_faults.sh has Retry-After, and the TLS server's faults.)
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "needs python3"
SPID=
stop_server() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	[ -n "$SPID" ] && wait "$SPID" 2>/dev/null
	SPID=
}
CLEANUP_HOOK=stop_server
python3 - "$T/srv" <<'PY' 2>"$T/server.log" &
import http.server, json, os, sys, time
out = sys.argv[1]

class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        self.rfile.read(n)
        with open(out + ".log", "a") as f:
            f.write("%.6f %s\n" % (time.monotonic(), self.path))
        body = b'{"error":"busy"}'
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass

s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(out + ".port.tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(out + ".port.tmp", out + ".port")
s.serve_forever()
PY
SPID=$!
wait_for 10 test -f "$T/srv.port" || fail "server did not start: $(cat "$T/server.log")"
port=$(cat "$T/srv.port")
conf=$T/c.conf
collector "$conf" "telemetry = on" "telemetry_api_url = http://127.0.0.1:$port" \
    "upload_backoff_min = 0.05" "upload_backoff_max = 0.21" \
    "upload_max_attempts = 24" "upload_timeout = 5"
cat >>"$conf" <<EOC
[runner:crash]
command = $H/crasher segv
startsecs = 0
autorestart = never
EOC
start_daemon "$conf"
S=$T/state/crashtrail.sock
final() {
	curl -s --unix-socket "$S" 'http://localhost/v1/events?type=upload_failed&limit=1000' |
	    grep -q '"final":true'
}
wait_for 60 final || fail "no final upload_failed: $(tail -n 3 "$T/srv.log")"
curl -s --unix-socket "$S" 'http://localhost/v1/events?type=upload_failed&limit=1000' >"$T/ev"
curl -s --unix-socket "$S" http://localhost/v1/status >"$T/st"
python3 - "$T/ev" "$T/srv.log" "$T/st" <<'PY' || fail "retry delays"
import json, sys
ev = [e["data"] for e in json.load(open(sys.argv[1]))["events"]]
hits = [float(l.split()[0]) for l in open(sys.argv[2])
        if "/telemetry/runner-log/presign" in l]
st = json.load(open(sys.argv[3]))["upload"]
MIN, MAX, N = 50, 210, 24
assert len(ev) == N, ("upload_failed events", len(ev))
assert [d["attempts"] for d in ev] == list(range(1, N + 1)), \
    [d["attempts"] for d in ev]
assert [d["final"] for d in ev] == [False] * (N - 1) + [True]
assert "gave up after 24 attempts" in ev[-1]["reason"], ev[-1]["reason"]
assert "retry_in_ms" not in ev[-1], ev[-1]
assert all(d["status"] == 503 and d["class"] == "http" for d in ev), ev[0]
r = [d["retry_in_ms"] for d in ev[:-1]]
print("retry_in_ms:", r)
for k, ms in enumerate(r, 1):
    hi = min(MAX, MIN << (k - 1))
    assert MIN <= ms <= hi, ("attempt %d: retry_in_ms %d not in [%d, %d]"
                             % (k, ms, MIN, hi))
assert max(r[2:]) > 100, ("the delay never grew past 2 x min", r)
# The server saw each attempt, each no sooner than the delay before it
# (less a little: libevent arms timers from the loop's cached time).
assert len(hits) == N, ("presign requests", len(hits))
for k in range(1, N):
    gap = (hits[k] - hits[k - 1]) * 1000
    assert gap >= r[k - 1] * 0.8 - 10, ("attempt %d came %.0f ms after the one "
                                 "before, retry_in_ms was %d" % (k + 1, gap, r[k - 1]))
assert st["failed_final"] == 1 and st["retries"] == N - 1, st
assert st["backlog"] == 0 and st["in_flight"] == 0, st
PY
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
exit 0
