# api_tcp.sh -- the API on TCP (api_listen): with api_token set, every
# request needs exactly "Authorization: Bearer <token>": a wrong token, a
# prefix of the token, the token with more after it, an empty or missing
# header and another scheme are all 401 (JSON, WWW-Authenticate: Bearer),
# and a refused request does nothing (no event recorded, no runner
# stopped, no stream opened); the Unix socket needs no token.  Without a
# token TCP answers as the socket does.  A non-loopback api_listen is
# refused at start (exit 111) unless api_allow_remote = yes; IPv6
# loopback works too where the host has it.
. "$(dirname "$0")/lib.sh"
S=$T/state/crashtrail.sock
TOKEN=tok-3f9a1c77e2b04d5a8e6f
NET=$(dirname "$0")

# A TCP port nobody listens on now.
free_port() {
	python3 -c 'import socket,sys
s = socket.socket(getattr(socket, sys.argv[1]))
s.bind((sys.argv[2], 0)); print(s.getsockname()[1])' "${1:-AF_INET}" "${2:-127.0.0.1}"
}

# start_tcp CONF: start_daemon, then wait for the TCP listener's line.
start_tcp() {
	start_daemon "$1"
	wait_for 10 log_has 'api listening on .*:[0-9]' || fail "no TCP listener"
}

conf=$T/c.conf
port=$(free_port)
collector "$conf" "api_listen = 127.0.0.1:$port" "api_token = $TOKEN"
cat >>"$conf" <<EOC
[runner:sleeper]
command = $H/crasher sleep
startsecs = 0
EOC
start_tcp "$conf"
log_has "api listening on 127.0.0.1:$port (bearer token required)" ||
    fail "the listener does not say a token is required"
wait_for 10 log_has 'sleeper: run .* started' || fail "sleeper did not start"
PYTHONDONTWRITEBYTECODE=1 python3 - "$S" "$port" "$TOKEN" "$NET" <<'PY' || fail "token checks"
import json, sys
sys.path.insert(0, sys.argv[4])
import ctnet

S, TCP, TOKEN = sys.argv[1], ("127.0.0.1", int(sys.argv[2])), sys.argv[3]

def tcp(method, path, auth, body=b""):
    h = {} if auth is None else {"Authorization": auth}
    return ctnet.request(TCP, method, path, body, headers=h)

def refused(method, path, auth, body=b""):
    st, hdrs, b = tcp(method, path, auth, body)
    assert st == 401, (auth, st, b[:200])
    assert hdrs.get("www-authenticate") == "Bearer", hdrs
    e = json.loads(b)
    assert e["code"] == "UNAUTHORIZED" and e["retryable"] is False, e

st, _, b = tcp("GET", "/v1/status", "Bearer " + TOKEN)
assert st == 200 and json.loads(b)["runners"] == 1, (st, b[:200])
bad = [
    None,                              # no header
    "",                                # empty header
    "Bearer",                          # the scheme alone
    "Bearer ",                         # an empty token
    "Bearer " + TOKEN[:-1],            # a prefix of the token
    "Bearer " + TOKEN[:8],
    "Bearer " + TOKEN + "x",           # the token with more after it
    "Bearer " + TOKEN[:-1] + "g",      # wrong in the last character
    "Bearer " + "x" + TOKEN[1:],       # ... and in the first
    "Basic " + TOKEN,                  # another scheme
    "Bearer  " + TOKEN,                # two spaces
    TOKEN,                             # no scheme
]
for auth in bad:
    for path in ("/v1/status", "/v1/runners", "/metrics", "/v1/events"):
        refused("GET", path, auth)
print(len(bad), "wrong Authorization headers refused")

# A refused request does nothing.
latest = ctnet.get_json(S, "/v1/status")["events"]["latest_seq"]
ev = json.dumps({"type": "intruder", "data": {}})
refused("POST", "/telemetry/events", "Bearer " + TOKEN + "x", ev)
refused("POST", "/telemetry/events", None, ev)
refused("POST", "/v1/runners/sleeper/stop", "Bearer " + TOKEN[:-1])
assert ctnet.get_json(S, "/v1/status")["events"]["latest_seq"] == latest
assert ctnet.get_json(S, "/v1/events?type=intruder")["events"] == []
r = ctnet.get_json(S, "/v1/runners")
r = [x for x in r["runners"] if x["runner_id"] == "sleeper"][0]
assert r["state"] == "RUNNING", r
c = ctnet.Stream(TCP, headers={"Authorization": "Bearer " + TOKEN[:-1]})
assert c.wait_head() == 401, c.status
c.close()
assert ctnet.get_json(S, "/v1/status")["sse"]["clients"] == 0

# The right token does what it asks, on every kind of request.
st, _, b = tcp("POST", "/telemetry/events", "Bearer " + TOKEN,
               json.dumps({"type": "friend", "data": {"n": 1}}))
assert st == 200 and json.loads(b)["type"] == "friend", (st, b[:200])
c = ctnet.Stream(TCP, "?replay=all&type=friend",
                 headers={"Authorization": "Bearer " + TOKEN})
f = c.frames(1)
c.close()
assert f and f[0][1] == "friend", f
st, _, b = tcp("GET", "/metrics", "Bearer " + TOKEN)
assert st == 200 and b"crashtrail_events_evicted_total" in b, st
# The Unix socket needs no token.
assert ctnet.get_json(S, "/v1/status")["runners"] == 1
st, _, b = ctnet.request(S, "POST", "/telemetry/events",
                         json.dumps({"type": "local", "data": {}}))
assert st == 200, st
print("token accepted exactly; the socket needs none")
PY
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"

# No token: TCP answers without one.
port=$(free_port)
collector "$conf" "api_listen = 127.0.0.1:$port"
start_tcp "$conf"
log_has 'bearer token required' && fail "says a token is required without one"
PYTHONDONTWRITEBYTECODE=1 python3 - "$port" "$NET" <<'PY' || fail "no-token checks"
import json, sys
sys.path.insert(0, sys.argv[2])
import ctnet
TCP = ("127.0.0.1", int(sys.argv[1]))
assert ctnet.get_json(TCP, "/v1/status")["runners"] == 0
st, _, b = ctnet.request(TCP, "POST", "/telemetry/events",
                         json.dumps({"type": "open", "data": {}}))
assert st == 200, (st, b[:200])
PY
stop_daemon

# Not loopback: refused at start, unless api_allow_remote = yes.
port=$(free_port AF_INET 0.0.0.0)
collector "$conf" "api_listen = 0.0.0.0:$port" "api_token = $TOKEN"
"$CRASHTRAIL" run -c "$conf" >"$T/remote.out" 2>"$T/remote.log" &
rpid=$!
wait_for 10 sh -c "! kill -0 $rpid" || { kill -KILL $rpid; fail "a non-loopback api_listen was not refused"; }
wait $rpid
rc=$?
[ "$rc" -eq 111 ] || fail "non-loopback refused with exit $rc, want 111"
grep -q "api_listen '0.0.0.0:$port' is not a loopback address; set api_allow_remote = yes" \
    "$T/remote.log" || fail "refusal not explained: $(cat "$T/remote.log")"
grep -q ' ready$' "$T/remote.log" && fail "got ready with a non-loopback api_listen"
python3 -c 'import socket,sys
s = socket.socket(); s.settimeout(2)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0 else 1)' "$port" ||
    fail "something listens on the refused port"

collector "$conf" "api_listen = 0.0.0.0:$port" "api_token = $TOKEN" \
    "api_allow_remote = yes"
start_tcp "$conf"
PYTHONDONTWRITEBYTECODE=1 python3 - "$port" "$TOKEN" "$NET" <<'PY' || fail "allow_remote checks"
import sys
sys.path.insert(0, sys.argv[3])
import ctnet
TCP, TOKEN = ("127.0.0.1", int(sys.argv[1])), sys.argv[2]
st, _, _ = ctnet.request(TCP, "GET", "/v1/status")
assert st == 401, st
assert ctnet.get_json(TCP, "/v1/status",
                      headers={"Authorization": "Bearer " + TOKEN})
PY
stop_daemon

# IPv6 loopback, where this host has it.
if port=$(free_port AF_INET6 ::1 2>/dev/null); then
	collector "$conf" "api_listen = [::1]:$port" "api_token = $TOKEN"
	start_tcp "$conf"
	PYTHONDONTWRITEBYTECODE=1 python3 - "$port" "$TOKEN" "$NET" <<'PY' || fail "IPv6 loopback"
import sys
sys.path.insert(0, sys.argv[3])
import ctnet
TCP, TOKEN = ("::1", int(sys.argv[1])), sys.argv[2]
assert ctnet.request(TCP, "GET", "/v1/status",
                     headers={"Authorization": "Bearer " + TOKEN + "x"})[0] == 401
assert ctnet.get_json(TCP, "/v1/status",
                      headers={"Authorization": "Bearer " + TOKEN})
PY
	stop_daemon
else
	echo "no IPv6 loopback here: [::1] not checked"
fi
exit 0
