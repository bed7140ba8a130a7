# svlisten_backlog.sh -- the supervisord listener's backlog is bounded at
# 256 crashes, dropping the oldest: driven over its stdin/stdout exactly as
# supervisord would (READY, a header line, len bytes of payload, RESULT
# 2\nOK), 300 crashes while the daemon is down are each answered at once;
# the first 44 are dropped (each logged with the count so far), and once
# the daemon is up exactly the newest 256 arrive, oldest first, each with
# its own pid.  The listener then goes on delivering, and exits 0 at the
# end of its input.  (supervisord.sh has a real supervisord.)
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf"
mkdir -p "$T/state"
: >"$T/pids"
kill_pids() {
	for p in $(cat "$T/pids" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
}
CLEANUP_HOOK=kill_pids
python3 - "$CRASHTRAIL" "$conf" "$T" <<'PY' || fail "listener backlog: $(tail -n 20 "$T/listener.log")"
import json, os, select, signal, socket, subprocess, sys, time
CT, CONF, T = sys.argv[1:4]
SOCK = T + "/state/crashtrail.sock"
procs = []

def spawn(args, **kw):
    p = subprocess.Popen(args, **kw)
    procs.append(p)
    with open(T + "/pids", "a") as f:
        f.write("%d\n" % p.pid)
    return p

lst = spawn([CT, "supervisord-listener", "--socket", SOCK],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(T + "/listener.log", "w"))

def expect(want, secs=10):
    got, end = b"", time.monotonic() + secs
    while len(got) < len(want):
        left = end - time.monotonic()
        assert left > 0, ("listener did not answer", want, got)
        r, _, _ = select.select([lst.stdout], [], [], left)
        if r:
            b = os.read(lst.stdout.fileno(), len(want) - len(got))
            assert b, ("listener closed its stdout", got)
            got += b
    assert got == want, (want, got)

serial = [0]
def crash(name, pid):
    payload = ("processname:%s groupname:grp from_state:RUNNING expected:0 "
               "pid:%d" % (name, pid)).encode()
    serial[0] += 1
    head = ("ver:3.0 server:supervisor serial:%d pool:crashtrail "
            "poolserial:%d eventname:PROCESS_STATE_EXITED len:%d\n"
            % (serial[0], serial[0], len(payload))).encode()
    lst.stdin.write(head + payload)
    lst.stdin.flush()
    expect(b"RESULT 2\nOK")
    expect(b"READY\n")

def events():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(SOCK)
    s.sendall(b"GET /v1/events?type=service_crashed&limit=1000 HTTP/1.1\r\n"
              b"Host: x\r\nConnection: close\r\n\r\n")
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return [e["data"] for e in
            json.loads(out.partition(b"\r\n\r\n")[2])["events"]]

def log():
    return open(T + "/listener.log").read()

def wait(cond, secs):
    end = time.monotonic() + secs
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)

try:
    expect(b"READY\n")
    # 1. The daemon is down: every crash is answered, the oldest dropped.
    for i in range(300):
        crash("svc-%03d" % i, 10000 + i)
    drops = [l for l in log().splitlines() if "backlog full (256)" in l]
    assert len(drops) == 44, len(drops)
    for k, l in enumerate(drops):
        assert ("dropped the crash of svc-%03d, the oldest (%d dropped so far)"
                % (k, k + 1)) in l, (k, l)
    assert "cannot post to" in log()
    # 2. The daemon comes up: the newest 256, in order, each once.
    d = spawn([CT, "run", "-c", CONF], stdout=subprocess.DEVNULL,
              stderr=open(T + "/daemon.log", "w"))
    wait(lambda: os.path.exists(SOCK) and " ready\n" in
         open(T + "/daemon.log").read(), 10)
    wait(lambda: "(256 so far)" in log(), 30)
    ev = events()
    assert [e["service_name"] for e in ev] == \
        ["svc-%03d" % i for i in range(44, 300)], [e["service_name"] for e in ev[:3]]
    assert [e["pid"] for e in ev] == list(range(10044, 10300))
    assert all(e["phase"] == "running" and e["group_name"] == "grp"
               for e in ev)
    assert "answers again" in log()
    # 3. It goes on: the next crash is delivered as it comes.
    crash("after", 424242)
    wait(lambda: "(257 so far)" in log(), 10)
    ev = events()
    assert len(ev) == 257 and ev[-1]["service_name"] == "after" and \
        ev[-1]["pid"] == 424242, ev[-1]
    lst.stdin.close()
    assert lst.wait(10) == 0, lst.returncode
    assert "end of input; exiting" in log()
    assert "never delivered" not in log()
    d.send_signal(signal.SIGTERM)
    assert d.wait(30) == 0, d.returncode
    print("44 of 300 dropped, the newest 256 delivered in order")
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
PY
exit 0
