# sse_limits.sh -- the stream's bounds: with sse_max_clients = 2 a third
# client gets 429 RESOURCE_LIMIT_EXCEEDED (retryable) and a slot is free
# again once a client goes; a client behind a 16-slot ring gets one gap
# frame whose missed, from_seq and to_seq all agree with the ring (to_seq
# is the last event missed: the next frame is to_seq + 1); and an idle
# stream gets a ": keepalive" comment, not before 15 s.  (15 s is fixed in
# sse.c, so this test waits for it once: up to 30 s, see below.)
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf" "sse_max_clients = 2" "event_ring = 16" "journal_bytes = 0"
start_daemon "$conf"
S=$T/state/crashtrail.sock
PYTHONDONTWRITEBYTECODE=1 python3 - "$S" "$(dirname "$0")" <<'PY' || fail "stream limits"
import json, sys, time
sys.path.insert(0, sys.argv[2])
import ctnet
S = sys.argv[1]

def post(i):
    st, _, b = ctnet.request(S, "POST", "/telemetry/events",
                             json.dumps({"type": "tick", "data": {"i": i}}))
    assert st == 200, (st, b[:200])
    return json.loads(b)["seq"]

def clients():
    return ctnet.get_json(S, "/v1/status")["sse"]["clients"]

def wait(cond, secs=10):
    end = time.monotonic() + secs
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)

# 1. Two slots: the third client is refused, until one goes.
a, b = ctnet.Stream(S), ctnet.Stream(S)
assert a.wait_head() == 200 and b.wait_head() == 200
wait(lambda: clients() == 2)
c = ctnet.Stream(S)
assert c.wait_head() == 429, c.status
e = json.loads(c.body)
assert e["code"] == "RESOURCE_LIMIT_EXCEEDED" and e["retryable"] is True, e
c.close()
# The refused one took no slot; the two streams still get events.
seq = post(0)
for s in (a, b):
    f = s.frames(1)
    assert f and int(f[0][0]) == seq, f
a.close()
wait(lambda: clients() == 1)
d = ctnet.Stream(S)
assert d.wait_head() == 200, d.status
wait(lambda: clients() == 2)
c = ctnet.Stream(S)
assert c.wait_head() == 429, c.status
c.close()
b.close()
d.close()
wait(lambda: clients() == 0)
print("1: the third client got 429; slots come back")

# 2. Behind the ring: one gap frame, then the oldest event kept.
first = post(1)
for i in range(2, 41):
    last = post(i)
ev = ctnet.get_json(S, "/v1/status")["events"]
oldest = ev["oldest_seq"]
assert ev["latest_seq"] == last and first < oldest - 1, (ev, first)
s = ctnet.Stream(S, headers={"Last-Event-ID": str(first)})
f = s.frames(1 + last - oldest + 1)
s.close()
assert f[0][1] == "gap", f[0]
g = f[0][2]
assert g == {"missed": oldest - first - 1, "from_seq": first + 1,
             "to_seq": oldest - 1}, (g, first, oldest)
assert g["to_seq"] - g["from_seq"] + 1 == g["missed"], g
assert [int(x[0]) for x in f[1:]] == list(range(oldest, last + 1)), f[1:3]
assert all(x[1] == "tick" for x in f[1:])
# ?from_seq= says the same.
s = ctnet.Stream(S, "?from_seq=%d" % (first + 3))
g2 = s.frames(1)[0]
s.close()
assert g2[1] == "gap" and g2[2] == {"missed": oldest - first - 4,
    "from_seq": first + 4, "to_seq": oldest - 1}, g2
print("2: gap", g)

# 3. An idle stream: a keepalive comment, 15 s after it began (the daemon
# ticks every 15 s, so the first one comes 15 to 30 s after connecting).
s = ctnet.Stream(S)
assert s.wait_head() == 200
t0 = time.monotonic()
it = s.next_item(timeout=40)
s.close()
assert it == ("comment", "keepalive"), it
dt = s.when - t0
assert dt >= 14.5, ("keepalive after only %.1f s" % dt)
print("3: keepalive after %.1f s" % dt)
PY
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
exit 0
