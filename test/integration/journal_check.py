"""journal_check.py -- the client side of journal_resume.sh.

Usage: python3 journal_check.py SOCKET COMMAND ARGS
  post N [--pad B]     POST N events, print each seq
  stream-from S N      SSE with Last-Event-ID S: exactly S+1 .. S+N, no gap
  events-from S N      /v1/events paging from S: exactly S+1 .. S+N
  future S LATEST      SSE with Last-Event-ID S: a reset frame naming
                       LATEST, then a new event arrives
  too-old S            SSE from S: one gap frame up to the journal's
                       oldest, then contiguous events from there
"""
import functools
import json
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the tree
import ctapi  # noqa: E402 (next to this script)

SOCK, CMD, ARGS = sys.argv[1], sys.argv[2], sys.argv[3:]
request = functools.partial(ctapi.request, SOCK)


def post(i, pad=0):
    st, body = request("POST", "/telemetry/events", json.dumps(
        {"type": "tick", "data": {"i": i, "pad": "p" * pad}}).encode())
    assert st == 200, body
    return json.loads(body)["seq"]


def stream(last_id, nframes):
    st = ctapi.Stream(SOCK, last_id=last_id, timeout=5)
    frames = []
    while len(frames) < nframes:
        b = st.s.recv(65536)
        assert b, "stream closed after %d frames" % len(frames)
        frames += [f for f in st.feed(b) if f[1] is not None]
    return st, frames[:nframes]


if CMD == "post":
    pad = int(ARGS[2]) if len(ARGS) > 2 and ARGS[1] == "--pad" else 0
    for i in range(int(ARGS[0])):
        print(post(i, pad))
elif CMD == "stream-from":
    start, n = int(ARGS[0]), int(ARGS[1])
    s, frames = stream(start, n)
    s.close()
    ids = [int(f[0]) for f in frames]
    assert [f[1] for f in frames if f[1] in ("gap", "reset")] == [], frames[:3]
    assert ids == list(range(start + 1, start + n + 1)), (ids[:5], ids[-5:])
    assert all(f[2]["seq"] == int(f[0]) for f in frames)
    print("stream from", start, "exact:", ids[0], "..", ids[-1])
elif CMD == "events-from":
    start, n = int(ARGS[0]), int(ARGS[1])
    got, nxt = [], start
    while True:
        st, body = request("GET", "/v1/events?from_seq=%d&limit=50" % nxt)
        d = json.loads(body)
        assert st == 200 and d["dropped"] == 0, d
        if not d["events"]:
            break
        got += [e["seq"] for e in d["events"]]
        nxt = d["next_seq"]
    assert got == list(range(start + 1, start + n + 1)), (got[:5], got[-5:])
    print("/v1/events from", start, "exact:", got[0], "..", got[-1])
elif CMD == "future":
    ask, latest = int(ARGS[0]), int(ARGS[1])
    s, frames = stream(ask, 1)
    assert frames[0][1] == "reset", frames
    r = frames[0][2]
    assert r["requested_seq"] == ask and r["latest_seq"] == latest, r
    seq = post(0)
    got = []
    while str(seq) not in [f[0] for f in got]:
        b = s.s.recv(65536)
        assert b, "stream ended before the new event"
        got += s.feed(b)
    s.close()
    st, body = request("GET", "/v1/events?from_seq=%d" % ask)
    d = json.loads(body)
    assert d.get("reset") is True and d["next_seq"] == seq, d
    print("reset frame", r, "then event", seq)
elif CMD == "too-old":
    start = int(ARGS[0])
    st, body = request("GET", "/v1/status")
    oldest = json.loads(body)["journal"]["first_seq"]
    assert oldest > start + 1, oldest
    s, frames = stream(start, 4)
    s.close()
    assert frames[0][1] == "gap", frames[0]
    g = frames[0][2]
    assert g["from_seq"] == start + 1 and g["to_seq"] == oldest - 1 and \
        g["missed"] == oldest - start - 1, (g, oldest)
    assert [int(f[0]) for f in frames[1:]] == [oldest, oldest + 1,
                                               oldest + 2], frames[1:]
    st, body = request("GET", "/v1/events?from_seq=%d&limit=3" % start)
    d = json.loads(body)
    assert d["dropped"] == oldest - start - 1 and d["oldest_seq"] == oldest, d
    assert [e["seq"] for e in d["events"]] == [oldest, oldest + 1, oldest + 2]
    print("gap", g, "then", oldest)
else:
    raise SystemExit("unknown command " + CMD)
