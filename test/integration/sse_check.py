"""sse_check.py -- the SSE stream checks of sse.sh, as a real client.

Usage: python3 sse_check.py SOCKET PID
Talks to the daemon over its Unix socket: plain sockets, no libraries.
"""
import functools
import json
import os
import selectors
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
import ctapi  # noqa: E402 (next to this script)

SOCK, PID = sys.argv[1], int(sys.argv[2])
request = functools.partial(ctapi.request, SOCK)


def post_event(i, pad=0):
    st, body = request("POST", "/telemetry/events",
                       json.dumps({"type": "tick", "data": {"i": i, "pad": "p" * pad}}))
    assert st == 200, body
    return json.loads(body)["seq"]


class Stream(ctapi.Stream):
    """One SSE client, attached when made (its head is in: the daemon
    sends it every later event); read() returns (id, event, data) frames
    as they come, first those that came with the head."""

    def __init__(self, query="", last_id=None, rcvbuf=None):
        ctapi.Stream.__init__(self, SOCK, query, last_id, rcvbuf=rcvbuf)
        self.pending = self.attached()

    def read(self, n, timeout=10):
        got, self.pending = self.pending, []
        end = time.time() + timeout
        self.s.settimeout(0.5)
        while len(got) < n and time.time() < end:
            try:
                b = self.s.recv(65536)
            except socket.timeout:
                continue
            assert b, "stream closed"
            got += self.feed(b)
        return got


def rss_kib():
    for line in open("/proc/%d/status" % PID):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


def status():
    st, body = request("GET", "/v1/status")
    return json.loads(body)


# 1. A crash reaches a connected stream as runner_failed with the tail.
a = Stream()
st, _ = request("POST", "/v1/runners/crash/start")
assert st == 200
frames = a.read(2)
fail = [f for f in frames if f[1] == "runner_failed"]
assert fail, frames
d = fail[0][2]
assert d["type"] == "runner_failed" and d["runner_id"] == "crash", d
assert d["data"]["exit"]["cause"] == "signal=11 (SIGSEGV)", d["data"]["exit"]
assert "crasher segv" in d["data"]["tail"]["text"], d["data"]["tail"]
assert int(fail[0][0]) == d["seq"]
a.close()
print("1: runner_failed frame ok, seq", d["seq"])

# 2. Resume with Last-Event-ID: nothing lost, nothing repeated.
b = Stream("?type=tick")
first = [post_event(i) for i in range(10)]
got = b.read(10)
b.close()
last = int(got[-1][0])
assert [int(g[0]) for g in got] == first, (got, first)
more = [post_event(i) for i in range(10, 20)]
c = Stream("?type=tick", last_id=last)
got2 = c.read(10)
c.close()
assert [int(g[0]) for g in got2] == more, ([g[0] for g in got2], more)
assert [g[2]["data"]["i"] for g in got2] == list(range(10, 20))
print("2: resume ok after", last)

# 3. A client that fell behind the ring gets one gap with the count.
for i in range(100):
    post_event(i)
s = status()["events"]
oldest = s["oldest_seq"]
g = Stream("?from_seq=1")
frames = g.read(3)
g.close()
assert frames[0][1] == "gap", frames[0]
gap = frames[0][2]
assert gap["missed"] == oldest - 2 and gap["from_seq"] == 2, (gap, oldest)
assert int(frames[1][0]) == oldest, (frames[1][0], oldest)
print("3: gap ok, missed", gap["missed"])

# 4. 200 readers and one that never reads: memory stays flat; the
# non-reader is cut after a final gap frame.
sel = selectors.DefaultSelector()
clients = [Stream() for _ in range(200)]
for cl in clients:
    cl.s.setblocking(False)
    sel.register(cl.s, selectors.EVENT_READ, cl)
stuck = Stream(rcvbuf=4096)
counts = {id(cl): len(cl.pending) for cl in clients}


def pump(seconds):
    end = time.time() + seconds
    while time.time() < end:
        for key, _ in sel.select(timeout=0.05):
            try:
                data = key.fileobj.recv(1 << 16)
            except BlockingIOError:
                continue
            assert data, "a reading client was closed"
            counts[id(key.data)] += len(key.data.feed(data))


def pump_until(what, cond, timeout=30):
    """Read the clients until COND holds (ctapi.poll's deadline)."""
    ctapi.poll(what, lambda: pump(0.05) or cond(), timeout, every=0)


def sse_settled():
    st = status()["sse"]
    return st if st["cut"] >= 1 and st["clients"] == 200 else None


# Warm-up: the client slots' buffers are reserved at start-up but touched
# lazily, so the first burst brings them in (bounded by max_clients x
# buffer).  From then on memory must not grow, however much flows.
start = rss_kib()
for i in range(1000):
    post_event(i, pad=1000)
    if i % 50 == 0:
        pump(0.01)
pump_until("every reader's 1000 warm-up frames",
           lambda: min(counts.values()) >= 1000)
before = rss_kib()
for i in range(3000):
    post_event(i, pad=1000)
    if i % 50 == 0:
        pump(0.01)
pump_until("every reader's 4000 frames",
           lambda: min(counts.values()) >= 4000)
after = rss_kib()
st = ctapi.poll("the non-reader cut and 200 readers left", sse_settled)
print("4: rss at start %d KiB, after warm-up %d KiB, after 3000 more events "
      "%d KiB; clients %d, cut %d" % (start, before, after, st["clients"],
                                       st["cut"]))
assert min(counts.values()) >= 4000, min(counts.values())
assert st["cut"] >= 1, st
assert st["clients"] == 200, st
if os.environ.get("CRASHTRAIL_SANITIZED"):
    # ASan keeps freed blocks in quarantine (the request path's), so RSS
    # says nothing about our memory there; the plain build asserts it.
    print("4: sanitized build: RSS not asserted")
else:
    assert after - before < 1024, (before, after)
# The cut client got its final gap frame, then the end of the stream.
stuck.s.settimeout(5)
tail = b""
while True:
    try:
        chunk = stuck.s.recv(1 << 16)
    except socket.timeout:
        break
    if not chunk:
        break
    tail += chunk
assert b'"cut":true' in tail[-400:], tail[-400:]
print("4: cut client saw its final gap frame")
for cl in clients:
    cl.close()
