"""latency.py -- from SIGKILL of a runner to its runner_failed frame on an
SSE client, with 20 runners supervised: p50, p90, p99, max over N kills.

Usage: python3 test/bench/latency.py [CRASHTRAIL [CRASHER [N]]]
       (default ./crashtrail, build/obj/test/crasher, 300 kills)

Starts its own crashtrail in a temp dir with LAT_RUNNERS runners (20):
  LAT_VICTIMS (4)   `crasher sleep`, autorestart = always, backoff
                    LAT_BACKOFF seconds (0.05): the ones that are killed
  LAT_WRITERS (4)   test/bench/blast.c (built here with $CC) writing
                    LAT_WRITE_RATE bytes/s (131072) of lines to stderr,
                    4 KiB per write, all the time
  the rest (12)     `crasher sleep`: alive and silent
It connects one SSE client to /telemetry/stream over the Unix socket API,
waits until every runner has started, then kills one victim at a time
(round robin, so that a victim's restart backoff is not in the figures):
it drains what the stream has sent so far, takes the time, calls
kill(2) with SIGKILL on the victim's pid (from its runner_started frame),
and reads the stream until the runner_failed frame of that run has been
parsed (JSON decoded, run_id compared); then the next kill.  The client is
this Python process: its own read and parse time is in the figures (an
upper bound for crashtrail's part).

Prints the result and appends a short summary to $BENCH_SUMMARY if set.
Every process it starts is stopped by pid, and the temp dir removed, on
any exit (SIGTERM, SIGINT and SIGHUP included).
"""
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
ct = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./crashtrail")
crasher = os.path.abspath(sys.argv[2] if len(sys.argv) > 2
                          else "build/obj/test/crasher")
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 300
nrunners = int(os.environ.get("LAT_RUNNERS", "20"))
nvictims = int(os.environ.get("LAT_VICTIMS", "4"))
nwriters = int(os.environ.get("LAT_WRITERS", "4"))
write_rate = int(os.environ.get("LAT_WRITE_RATE", "131072"))
backoff = os.environ.get("LAT_BACKOFF", "0.05")
frame_timeout = float(os.environ.get("LAT_TIMEOUT", "10"))
summary = os.environ.get("BENCH_SUMMARY", "")
cc = os.environ.get("CC", "cc")
nsleepers = nrunners - nvictims - nwriters
if rounds < 1 or nvictims < 1 or nwriters < 0 or nsleepers < 0:
    sys.exit("latency.py: need N >= 1, LAT_VICTIMS >= 1 and "
             "LAT_VICTIMS + LAT_WRITERS <= LAT_RUNNERS")


class Stop(Exception):
    pass


def on_signal(sig, _frame):
    raise Stop("signal %d" % sig)


for _sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(_sig, on_signal)

tmp = tempfile.mkdtemp(prefix="crashtrail-latency.")
daemon = None
sock = None
seen_pids = set()       # every runner pid the stream told us about
buf = b""
header_done = False
live = {}               # runner_id -> (run_id, pid) of its live run


def frames(block):
    """Parse what the stream has sent; with block, wait for at least one
    more recv.  Yields (event, data-bytes)."""
    global buf, header_done
    while True:
        while True:
            if not header_done:
                if b"\r\n\r\n" not in buf:
                    break
                head, _, buf = buf.partition(b"\r\n\r\n")
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError("stream refused: %r" % head[:200])
                header_done = True
            if b"\n\n" not in buf:
                break
            fr, _, buf = buf.partition(b"\n\n")
            ev = data = None
            for line in fr.split(b"\n"):
                if line.startswith(b"event: "):
                    ev = line[7:].decode()
                elif line.startswith(b"data: "):
                    data = line[6:]
            if data is not None:
                yield ev, data
        # A socket with a timeout polls before recv even with
        # MSG_DONTWAIT: make it non-blocking for a drain instead.
        sock.settimeout(frame_timeout if block else 0)
        try:
            b = sock.recv(1 << 16)
        except BlockingIOError:
            return
        except socket.timeout:
            raise RuntimeError("no frame from the stream in %.0f s"
                               % frame_timeout)
        if not b:
            raise RuntimeError("the stream ended")
        buf += b


def note(ev, e):
    """Track live runs from runner_started / runner_* end frames."""
    rid = e.get("runner_id")
    if ev == "runner_started":
        pid = e["data"]["pid"]
        seen_pids.add(pid)
        live[rid] = (e["run_id"], pid)
    elif ev in ("runner_failed", "runner_exited", "runner_fatal") and \
            rid in live and live[rid][0] == e.get("run_id"):
        del live[rid]


def drain():
    for ev, data in frames(False):
        note(ev, json.loads(data))


def wait_for(pred):
    """Read frames until pred(ev, envelope) is true; returns the time the
    matching frame was parsed."""
    for ev, data in frames(True):
        e = json.loads(data)
        note(ev, e)
        if pred(ev, e):
            wait_for.env = e
            return time.monotonic_ns()
    raise RuntimeError("the stream ended")


def ts_epoch(ts):
    """An envelope's "ts" (RFC 3339, UTC, microseconds) in seconds."""
    import calendar
    day, _, rest = ts.rstrip("Z").partition("T")
    hms, _, frac = rest.partition(".")
    t = calendar.timegm(time.strptime(day + "T" + hms, "%Y-%m-%dT%H:%M:%S"))
    return t + float("0." + (frac or "0"))


def baseline(n=300):
    """This machine's own wake-up tail, for scale: an idle process woken
    by a byte on a socketpair and answering it, n times, 10 ms apart (no
    crashtrail involved)."""
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        a.close()
        while True:
            d = b.recv(16)
            if not d:
                os._exit(0)
            b.send(d)
    b.close()
    rt = []
    for _ in range(n):
        time.sleep(0.01)
        t = time.perf_counter()
        a.send(b"x")
        a.recv(16)
        rt.append((time.perf_counter() - t) * 1000)
    a.close()
    os.waitpid(pid, 0)
    rt.sort()
    return ("Baseline (no crashtrail): an idle process woken by a byte on a "
            "socketpair and answering, %d times: p50 %.2f ms, p99 %.2f ms, "
            "max %.2f ms." % (n, pct(rt, .50), pct(rt, .99), rt[-1]))


def pct(lat, p):
    """Nearest-rank percentile of the sorted list lat."""
    return lat[max(0, min(len(lat) - 1, math.ceil(p * len(lat)) - 1))]


def stop_all():
    if daemon is not None and daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
    # A runner leads its own process group; if the daemon could not stop
    # them (it died), do it here, by the pids the stream reported.
    for pid in seen_pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


rc = 0
try:
    blast = os.path.join(tmp, "blast")
    subprocess.run([cc, "-O2", "-o", blast, os.path.join(here, "blast.c")],
                   check=True)
    conf = os.path.join(tmp, "c.conf")
    victims = ["victim%d" % k for k in range(1, nvictims + 1)]
    with open(conf, "w") as f:
        f.write("[collector]\nstate_dir = %s/state\n" % tmp)
        for name in victims:
            f.write("\n[runner:%s]\ncommand = %s sleep\nstartsecs = 0\n"
                    "autorestart = always\nbackoff = %s\nbackoff_max = %s\n"
                    % (name, crasher, backoff, backoff))
        for k in range(1, nwriters + 1):
            f.write("\n[runner:writer%d]\ncommand = %s %d 2 %d\n"
                    "startsecs = 0\nlog_max_bytes = 0\n"
                    % (k, blast, 1 << 62, write_rate))
        for k in range(1, nsleepers + 1):
            f.write("\n[runner:sleeper%d]\ncommand = %s sleep\n"
                    "startsecs = 0\n" % (k, crasher))
    log = open(os.path.join(tmp, "daemon.log"), "w")
    daemon = subprocess.Popen([ct, "run", "-q", "-c", conf], stderr=log,
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL)
    path = os.path.join(tmp, "state", "crashtrail.sock")
    for _ in range(200):
        if os.path.exists(path) or daemon.poll() is not None:
            break
        time.sleep(0.05)
    if daemon.poll() is not None:
        raise RuntimeError("crashtrail exited %d: %s" % (
            daemon.returncode, open(os.path.join(tmp, "daemon.log")).read()))
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(frame_timeout)
    sock.connect(path)
    sock.sendall(b"GET /telemetry/stream?replay=all HTTP/1.1\r\n"
                 b"Host: latency\r\n\r\n")
    wait_for(lambda ev, e: len(live) == nrunners)
    time.sleep(0.5)                     # let the start-up settle
    load0 = open("/proc/loadavg").read().split()[:3]

    lat = []
    inside = []
    t_begin = time.monotonic()
    k = 0
    while len(lat) < rounds:
        name = victims[k % nvictims]
        k += 1
        drain()
        if name not in live:            # still in its restart backoff
            wait_for(lambda ev, e, n=name: n in live)
            drain()
        run_id, pid = live[name]
        w0 = time.time()
        t0 = time.monotonic_ns()
        os.kill(pid, signal.SIGKILL)
        t1 = wait_for(lambda ev, e, r=run_id:
                      ev == "runner_failed" and e.get("run_id") == r)
        lat.append((t1 - t0) / 1e6)
        # The envelope's ts is taken when crashtrail builds the event:
        # kill -> ts is the kernel and the daemon, ts -> parsed the
        # stream and the client (wall clock, so an estimate).
        inside.append((ts_epoch(wait_for.env["ts"]) - w0) * 1000)
    elapsed = time.monotonic() - t_begin
    load1 = open("/proc/loadavg").read().split()[:3]
    wbytes = 0                          # what the writers got stored
    for d, _, files in os.walk(os.path.join(tmp, "state", "runner_log")):
        if os.path.basename(d).startswith("writer"):
            wbytes += sum(os.path.getsize(os.path.join(d, f))
                          for f in files if f.endswith(".stderr.log"))
    live_end = len(live)

    lat.sort()
    inside.sort()
    line = ("Latency: SIGKILL -> runner_failed parsed on an SSE client "
            "(Unix socket), %d kills, %d runners (%d victims killed in "
            "turn, %d writing %d KiB/s each, %d silent), backoff %s s:"
            % (len(lat), nrunners, nvictims, nwriters, write_rate // 1024,
               nsleepers, backoff))
    res = ("| p50 %.2f ms | p90 %.2f ms | p99 %.2f ms | max %.2f ms | "
           "min %.2f ms | mean %.2f ms |"
           % (pct(lat, .50), pct(lat, .90), pct(lat, .99), lat[-1], lat[0],
              sum(lat) / len(lat)))
    extra = ("%.1f s for the kills; the writers' logs hold %.1f MiB; "
             "%d of %d runners live at the end; loadavg %s before, %s after."
             % (elapsed, wbytes / 1048576, live_end, nrunners,
                " ".join(load0), " ".join(load1)))
    split = ("Of that, kill -> the event built in crashtrail (its ts): p50 "
             "%.2f ms, p99 %.2f ms, max %.2f ms; the rest is the stream "
             "and the Python client." % (pct(inside, .50), pct(inside, .99),
                                         inside[-1]))
    print(split)
    base = baseline()
    print(line)
    print(res)
    print(extra)
    print(base)
    if summary:
        with open(summary, "a") as f:
            f.write("\n%s\n%s\n%s\n%s\n%s\n" % (line, res, extra, split,
                                                  base))
except Stop as ex:
    print("latency.py: stopped by %s" % ex, file=sys.stderr)
    rc = 1
except Exception as ex:
    print("latency.py: %s" % ex, file=sys.stderr)
    try:
        sys.stderr.write(open(os.path.join(tmp, "daemon.log")).read()[-2000:])
    except OSError:
        pass
    rc = 1
finally:
    # No signal may cut the clean-up short.
    for _sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(_sig, signal.SIG_IGN)
    if sock is not None:
        sock.close()
    stop_all()
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(rc)
