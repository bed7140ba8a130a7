# api.sh -- every endpoint over the real Unix socket, and every error path
# answering its JSON envelope with the right status.
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf" "api_max_body = 4K" "api_max_connections = 8"
cat >>"$conf" <<EOC
[runner:segv]
command = $H/crasher segv
startsecs = 0
autorestart = never
[runner:sleeper]
command = $H/crasher sleep
startsecs = 0
[runner:stubborn]
command = $H/crasher ignoreterm
startsecs = 0
stopwaitsecs = 2
EOC
start_daemon "$conf"
S=$T/state/crashtrail.sock
[ "$(stat -c %a "$S")" = 660 ] || fail "socket mode is not 0660"
wait_for 10 reports_of segv || fail "no segv report"

# req METHOD PATH [BODY]: sets $code and leaves the body in $T/body.
req() {
	if [ $# -ge 3 ]; then
		code=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' --unix-socket "$S" \
		    -X "$1" -H 'Content-Type: application/json' \
		    --data-binary "$3" "http://localhost$2")
	else
		code=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' --unix-socket "$S" \
		    -X "$1" "http://localhost$2")
	fi
}
# expect STATUS CODE METHOD PATH [BODY]: an error envelope.
expect() {
	_st=$1 _code=$2; shift 2
	req "$@"
	[ "$code" = "$_st" ] || fail "$* -> $code, want $_st: $(cat "$T/body")"
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"code", "message", "retryable"}, d
assert d["code"] == sys.argv[2], d
assert isinstance(d["retryable"], bool) and d["message"], d
' "$T/body" "$_code" || fail "$* envelope: $(cat "$T/body")"
}

req GET /v1/status; [ "$code" = 200 ] || fail "status"
jq_py "$T/body" 'd["runners"] == 3 and d["events"]["latest_seq"] >= 3' | grep -q True || fail "status body"
req GET /v1/runners; [ "$code" = 200 ] || fail "runners"
jq_py "$T/body" '[r["runner_id"] for r in d["runners"]] == ["segv", "sleeper", "stubborn"]' | grep -q True || fail "runners body"
req GET '/v1/runs?runner=segv&state=failed'; [ "$code" = 200 ] || fail "runs"
run=$(jq_py "$T/body" 'd["runs"][0]["run_id"]')
req GET "/v1/runs/$run"; [ "$code" = 200 ] || fail "run $run"
jq_py "$T/body" 'd["exit"]["cause"] == "signal=11 (SIGSEGV)" and len(d["stderr_log"]["sha256"]) == 64' | grep -q True || fail "run report"
req GET "/v1/runs/$run/log"; [ "$code" = 200 ] || fail "log"
cmp -s "$T/body" "$T"/state/runner_log/default/segv/*.stderr.log || fail "log file differs"
req GET "/v1/runs/$run/log?tail=1"; [ "$(cat "$T/body")" = "context line two" ] || fail "tail=1: $(cat "$T/body")"
req GET '/v1/events?type=runner_failed'; [ "$code" = 200 ] || fail "events"
jq_py "$T/body" 'all(e["type"] == "runner_failed" for e in d["events"]) and len(d["events"]) == 1' | grep -q True || fail "events filter"
req POST /telemetry/events '{"type":"deploy","category":"system","data":{"v":"caf\u00e9","n":[1,-2.5e-3,true,null]}}'
[ "$code" = 200 ] || fail "ingest: $code $(cat "$T/body")"
jq_py "$T/body" 'd["type"] == "deploy" and d["seq"] > 0 and d["data"]["v"] == "caf\u00e9" and d["data"]["n"] == [1, -0.0025, True, None]' | grep -q True || fail "ingest envelope"
req POST /v1/runners/sleeper/restart; [ "$code" = 200 ] || fail "restart"
wait_for 10 log_has 'sleeper: STOPPED -> STARTING' || fail "restart did not start again"
req POST /v1/runners/sleeper/stop; [ "$code" = 200 ] || fail "stop"
wait_for 10 log_has 'sleeper: STOPPING -> STOPPED' || fail "stop"
req GET /metrics; [ "$code" = 200 ] || fail "metrics"
grep -q '^crashtrail_runner_ends_total{instance_id="default",runner_id="segv",end="abnormal"} 1$' "$T/body" ||
    fail "metrics content"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/body" || fail "promtool check metrics"
else
	python3 - "$T/body" <<'PY' || fail "metrics format"
import re, sys
typed = set()
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        typed.add(line.split()[2])
        continue
    m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? (-?[0-9.e+]+)', line)
    assert m and m.group(1) in typed, line
PY
fi

# Errors: status, code, and a message naming the problem.
expect 400 INVALID_PARAMS POST /telemetry/events '{"type":'
expect 400 INVALID_PARAMS POST /telemetry/events '[1,2]'
expect 400 INVALID_PARAMS POST /telemetry/events '{"category":"system"}'
grep -q 'type is required' "$T/body" || fail "missing type message"
expect 400 INVALID_PARAMS POST /telemetry/events '{"type":"x","category":"nope"}'
grep -q "invalid category 'nope'" "$T/body" || fail "category message"
expect 400 INVALID_PARAMS POST /telemetry/events '{"type":"x","seq":1}'
expect 400 INVALID_PARAMS POST /telemetry/events '{"type":"x","source":{"kind":"kernel_api"}}'
expect 400 INVALID_PARAMS POST /telemetry/events '{"type":"x","extra":1}'
expect 400 INVALID_PARAMS POST /telemetry/events '{"type":"x"} trailing'
expect 400 INVALID_PARAMS POST /telemetry/events '{"type":"x","data":"\ud800"}'
expect 400 INVALID_PARAMS POST /telemetry/events '{"type":"x","run_id":"../../etc"}'
expect 400 INVALID_PARAMS POST /telemetry/events '{"type":"Bad Type"}'
expect 400 INVALID_PARAMS POST /telemetry/events '{"type":"x","runner_id":"ab\u0000/../x"}'
expect 413 PAYLOAD_TOO_LARGE POST /telemetry/events "{\"type\":\"x\",\"data\":\"$(head -c 5000 /dev/zero | tr '\0' a)\"}"
for v in -1 abc 1e3 18446744073709551616 '' 1.5 '%2B1'; do
	expect 400 INVALID_PARAMS GET "/v1/events?from_seq=$v"
	grep -q "from_seq must be a non-negative integer, got '" "$T/body" ||
	    fail "from_seq message for '$v': $(cat "$T/body")"
done
expect 400 INVALID_PARAMS GET '/v1/events?limit=0'
expect 400 INVALID_PARAMS GET '/v1/events?limit=100000'
expect 400 INVALID_PARAMS GET '/v1/runs?state=zombie'
expect 400 INVALID_PARAMS GET '/v1/runs/%2e%2e%2f%2e%2e%2fetc'
expect 400 INVALID_PARAMS GET '/v1/runs/..'
expect 400 INVALID_PARAMS GET '/v1/runs/a%00b'
expect 400 INVALID_PARAMS POST '/v1/runners/..%2F..%2Fx/start'
expect 404 NOT_FOUND GET '/v1/runs/no-such-run'
expect 404 NOT_FOUND GET "/v1/runs/no-such-run/stages"
expect 404 NOT_FOUND GET "/v1/runs/no-such-run/telemetry?from_seq=0"
expect 400 INVALID_PARAMS GET "/v1/runs/$run/telemetry?from_seq=-1"
expect 400 INVALID_PARAMS GET "/v1/runs/$run/telemetry?limit=0"
expect 400 INVALID_PARAMS GET "/v1/host?n=x"
expect 404 NOT_FOUND GET "/v1/runs/$run/nothing"
expect 400 INVALID_PARAMS GET "/v1/runs/$run/log?tail=abc"
expect 404 NOT_FOUND POST '/v1/runners/ghost/start'
expect 404 NOT_FOUND POST '/v1/runners/segv/explode'
expect 404 NOT_FOUND GET '/nope'
expect 404 NOT_FOUND GET '/v1/nope'
expect 405 METHOD_NOT_ALLOWED POST /v1/status '{}'
expect 405 METHOD_NOT_ALLOWED GET /telemetry/events
expect 405 METHOD_NOT_ALLOWED DELETE /v1/runners
expect 405 METHOD_NOT_ALLOWED GET /v1/runners/segv/start
expect 400 INVALID_PARAMS GET '/telemetry/stream?replay=some'
code=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' --unix-socket "$S" -H 'Last-Event-ID: x1' http://localhost/telemetry/stream)
[ "$code" = 400 ] || fail "bad Last-Event-ID: $code"
# A stop after a restart wins: the runner stays down.
req POST /v1/runners/stubborn/restart; [ "$code" = 200 ] || fail "restart stubborn"
req POST /v1/runners/stubborn/stop; [ "$code" = 200 ] || fail "stop stubborn"
wait_for 15 log_has 'stubborn: STOPPING -> STOPPED' || fail "stubborn did not stop"
# A restart after the stop would start it in the same turn of the loop
# that logged STOPPED: once a later request is answered, it would show.
req GET /v1/runners
[ "$(grep -c 'stubborn: run .* started' "$T/daemon.log")" -eq 1 ] ||
    fail "stop after restart restarted the runner"
python3 - "$T/body" <<'PY' || fail "last_end names the run that ended"
import json, sys
r = [r for r in json.load(open(sys.argv[1]))["runners"] if r["runner_id"] == "stubborn"][0]
assert r["state"] == "STOPPED" and r["last_end"]["cause"] == "signal=9 (SIGKILL)", r
assert r["last_end"]["run_id"].startswith("stubborn-"), r
PY
# Paging through more events than one answer holds loses none.
python3 - "$S" <<'PY' || fail "events paging"
import json, socket, sys
def req(method, path, body=b""):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    s.sendall(b"%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % (method, path, len(body)) + body)
    out = b""
    while True:
        b = s.recv(1 << 16)
        if not b: break
        out += b
    return json.loads(out.partition(b"\r\n\r\n")[2])
want = [req(b"POST", b"/telemetry/events", json.dumps({"type": "bulk", "data": {"i": i, "pad": "x" * 3900}}).encode())["seq"] for i in range(300)]
got, frm, pages = [], want[0] - 1, 0
while True:
    d = req(b"GET", b"/v1/events?type=bulk&limit=1000&from_seq=%d" % frm)
    if not d["events"]: break
    got += [e["seq"] for e in d["events"]]
    frm = d["next_seq"]; pages += 1
assert got == want and pages >= 2, (pages, len(got), len(want))
PY
# A bounded number of connections: 8 kept open, the 9th is refused with
# 503, and one closed makes room again.
python3 - "$S" "$(dirname "$0")" <<'PY' || fail "connection limit"
import socket, sys
sys.path.insert(0, sys.argv[2])
sys.dont_write_bytecode = True
import ctapi
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    return s
def get(s):
    s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    while len(body) < n:
        body += s.recv(4096)
    return int(head.split()[1]), body
held = [conn() for _ in range(8)]
for s in held:
    assert get(s)[0] == 200
extra = conn()
st, body = get(extra)
assert st == 503 and b"RESOURCE_LIMIT_EXCEEDED" in body, (st, body)
held.pop().close()
# Room again once the daemon has seen the close: each try until then
# is one more refusal.
def room():
    st = get(conn())[0]
    assert st in (200, 503), st
    return st == 200
ctapi.poll("a connection slot after one closed", room)
PY
# A second daemon on the same state_dir refuses to start.
"$CRASHTRAIL" run -c "$conf" 2>"$T/second.log"; rc=$?
[ $rc -eq 111 ] && grep -q 'is in use' "$T/second.log" || fail "second daemon: $rc"
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
[ ! -e "$S" ] || fail "socket left behind"
