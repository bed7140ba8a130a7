"""latency.py -- from SIGKILL of a runner to its runner_failed frame on an
SSE client, with 20 runners supervised: p50, p90, p99, max over N kills;
by default side by side with the same while the upload server is
black-holed (DESIGN.md 10: nothing on the upload path may delay
supervision).

Usage: python3 test/bench/latency.py [CRASHTRAIL [CRASHER [N]]]
       (default ./crashtrail, build/obj/test/crasher, 300 kills per mode)

Each measurement starts its own crashtrail in a fresh temp dir with
LAT_RUNNERS runners (20):
  LAT_VICTIMS (4)   `crasher sleep`, autorestart = always, backoff
                    LAT_BACKOFF seconds (0.05): the ones that are killed
                    (each prints three lines first, so every death leaves
                    a non-empty stderr log)
  LAT_WRITERS (4)   test/bench/blast.c (built here with $CC) writing
                    LAT_WRITE_RATE bytes/s (131072) of lines to stderr,
                    4 KiB per write, all the time
  the rest (12)     `crasher sleep`: alive and silent
It connects one SSE client to /telemetry/stream over the Unix socket API,
waits until every runner has started, kills each victim once untimed (the
warm-up), then kills one victim at a time (round robin, so that a
victim's restart backoff is not in the figures): it drains what the
stream has sent so far, takes the time, calls kill(2) with SIGKILL on the
victim's pid (from its runner_started frame), and reads the stream until
the runner_failed frame of that run has been parsed (JSON decoded, run_id
compared); then the next kill, at once (or after LAT_GAP_MS ms, 0:
back to back, so a death's file work after its frame -- report, hash,
spool record -- is still going on when the next kill lands).  The client is this Python process: its
own read and parse time is in the figures (an upper bound for
crashtrail's part).

Two modes, LAT_REPS (3) interleaved rounds of N / LAT_REPS kills each
(the order alternates: normal first in odd rounds, black-holed first in
even ones):
  normal       telemetry off (the uploader does nothing): the baseline.
  blackholed   telemetry = on, telemetry_api_url = https://127.0.0.1:PORT
               where PORT is test/bench/blackhole.py (LAT_BLACKHOLE: syn,
               the default, drops every SYN so connect() hangs in
               SYN-SENT; accept completes TCP and never answers the TLS
               ClientHello), upload_timeout = LAT_UPLOAD_TIMEOUT (30 s,
               longer than a round: the transfers hang the whole time),
               upload_concurrency = 2, upload_backoff_min 0.05,
               upload_backoff_max 0.2, upload_max_attempts 1000.  Every
               victim death is a spooled job (record written and fsync'd,
               log hashed) behind two hung transfers.  Before the timed
               kills /v1/status must show in_flight = 2; after them it is
               read again and must show in_flight = 2 and a backlog, and
               the hung sockets are counted in /proc/net/tcp; if not, the
               run fails, since the comparison would prove nothing.
Both modes GET /v1/status at the same points, so the client does the
same work in each.  Reported: each round's p50 and p99 per mode, the
median over rounds of each with min..max, and blackholed / normal as the
ratio of the medians with the per-round ratios' min..max; then every
kill of a mode pooled, as p50/p90/p99/max.  LAT_UPLOAD=0 runs only the
normal mode, N kills in one daemon, as before the uploader.

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
nkills = int(sys.argv[3]) if len(sys.argv) > 3 else 300
nrunners = int(os.environ.get("LAT_RUNNERS", "20"))
nvictims = int(os.environ.get("LAT_VICTIMS", "4"))
nwriters = int(os.environ.get("LAT_WRITERS", "4"))
write_rate = int(os.environ.get("LAT_WRITE_RATE", "131072"))
backoff = os.environ.get("LAT_BACKOFF", "0.05")
frame_timeout = float(os.environ.get("LAT_TIMEOUT", "10"))
with_upload = os.environ.get("LAT_UPLOAD", "1") != "0"
reps = int(os.environ.get("LAT_REPS", "3")) if with_upload else 1
bh_mode = os.environ.get("LAT_BLACKHOLE", "syn")
up_timeout = os.environ.get("LAT_UPLOAD_TIMEOUT", "30")
up_conc = 2
gap = float(os.environ.get("LAT_GAP_MS", "0")) / 1000
summary = os.environ.get("BENCH_SUMMARY", "")
cc = os.environ.get("CC", "cc")
nsleepers = nrunners - nvictims - nwriters
if nkills < 1 or nvictims < 1 or nwriters < 0 or nsleepers < 0 or reps < 1:
    sys.exit("latency.py: need N >= 1, LAT_VICTIMS >= 1, LAT_REPS >= 1 "
             "and LAT_VICTIMS + LAT_WRITERS <= LAT_RUNNERS")
if bh_mode not in ("syn", "accept"):
    sys.exit("latency.py: LAT_BLACKHOLE is syn or accept")
per_round = max(1, nkills // reps)


class Stop(Exception):
    pass


def on_signal(sig, _frame):
    raise Stop("signal %d" % sig)


for _sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(_sig, on_signal)

tmp = tempfile.mkdtemp(prefix="crashtrail-latency.")
daemon = None           # the crashtrail of the measurement under way
daemon_dir = None
blackhole = None        # the blackhole.py process
bh_port = None
bh_filler = 0           # blackhole.py's own queue-filling connection
sock = None
seen_pids = set()       # every runner pid the stream told us about
buf = b""
header_done = False
live = {}               # runner_id -> (run_id, pid) of its live run
upload_frames = 0       # upload_* frames parsed


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
    global upload_frames
    rid = e.get("runner_id")
    if ev == "runner_started":
        pid = e["data"]["pid"]
        seen_pids.add(pid)
        live[rid] = (e["run_id"], pid)
    elif ev in ("runner_failed", "runner_exited", "runner_fatal") and \
            rid in live and live[rid][0] == e.get("run_id"):
        del live[rid]
    elif ev and ev.startswith("upload_"):
        upload_frames += 1


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


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def status(path):
    """GET /v1/status on the Unix socket: the decoded JSON."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    try:
        s.connect(path)
        s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: latency\r\n"
                  b"Connection: close\r\n\r\n")
        raw = b""
        while True:
            b = s.recv(1 << 16)
            if not b:
                break
            raw += b
    finally:
        s.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError("/v1/status: %r" % head[:200])
    if b"transfer-encoding: chunked" in head.lower():
        out = b""
        while body:
            n, _, body = body.partition(b"\r\n")
            n = int(n.split(b";")[0], 16)
            if n == 0:
                break
            out += body[:n]
            body = body[n + 2:]
        body = out
    return json.loads(body)


def hung_sockets():
    """Client sockets to the black hole: (SYN-SENT, ESTABLISHED) counts,
    from /proc/net/tcp (remote 127.0.0.1:bh_port)."""
    rem = "0100007F:%04X" % bh_port
    filler = "0100007F:%04X" % bh_filler
    syn = est = 0
    try:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                p = line.split()
                if p[2] == rem and p[1] != filler:
                    syn += p[3] == "02"
                    est += p[3] == "01"
    except OSError:
        return None
    return syn, est


def said(pid, timeout=5.0):
    """Wait until the victim pid has written its three lines (crasher.c
    prints them before pause()), from its write count in /proc/PID/io, so
    that its death leaves a non-empty stderr log, hence an upload job; a
    kill before that would be a death with nothing to upload."""
    want = len("crasher sleep pid=%d\n" % pid) + 34
    end = time.monotonic() + timeout
    while True:
        try:
            with open("/proc/%d/io" % pid) as f:
                for line in f:
                    if line.startswith("wchar:"):
                        if int(line.split()[1]) >= want:
                            return
                        break
        except OSError:
            return                      # no /proc (or not readable): go on
        if time.monotonic() > end:
            raise RuntimeError("victim %d wrote nothing in %.0f s"
                               % (pid, timeout))
        time.sleep(0.001)


def stop_daemon():
    """Stop this measurement's daemon and its runners; seconds it took."""
    global daemon
    t = time.monotonic()
    if daemon is not None and daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
    daemon = None
    # A runner leads its own process group; if the daemon could not stop
    # them (it died), do it here, by the pids the stream reported.
    for pid in seen_pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    seen_pids.clear()
    return time.monotonic() - t


def stop_all():
    global blackhole
    if sock is not None:
        sock.close()
    stop_daemon()
    if blackhole is not None and blackhole.poll() is None:
        blackhole.send_signal(signal.SIGTERM)
        try:
            blackhole.wait(timeout=10)
        except subprocess.TimeoutExpired:
            blackhole.kill()
            blackhole.wait()
    blackhole = None


def start_blackhole():
    global blackhole, bh_port, bh_filler
    blackhole = subprocess.Popen(
        [sys.executable, os.path.join(here, "blackhole.py"), bh_mode],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    line = blackhole.stdout.readline().split()
    if len(line) != 3:
        raise RuntimeError("blackhole.py did not start (exit %s)"
                           % blackhole.poll())
    bh_port, bh_filler = int(line[0]), int(line[2])


def measure(mode, n, blast, tag):
    """One daemon, n timed kills.  A dict of what was seen."""
    global daemon, daemon_dir, sock, buf, header_done, live, upload_frames
    d = os.path.join(tmp, tag)
    os.mkdir(d)
    daemon_dir = d
    conf = os.path.join(d, "c.conf")
    victims = ["victim%d" % k for k in range(1, nvictims + 1)]
    with open(conf, "w") as f:
        f.write("[collector]\nstate_dir = %s/state\n" % d)
        if mode == "blackholed":
            f.write("telemetry = on\n"
                    "telemetry_api_url = https://127.0.0.1:%d\n"
                    "upload_timeout = %s\nupload_concurrency = %d\n"
                    "upload_backoff_min = 0.05\nupload_backoff_max = 0.2\n"
                    "upload_max_attempts = 1000\n"
                    % (bh_port, up_timeout, up_conc))
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
    buf, header_done, live, upload_frames = b"", False, {}, 0
    log = open(os.path.join(d, "daemon.log"), "w")
    daemon = subprocess.Popen([ct, "run", "-q", "-c", conf], stderr=log,
                              stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL)
    log.close()
    path = os.path.join(d, "state", "crashtrail.sock")
    for _ in range(200):
        if os.path.exists(path) or daemon.poll() is not None:
            break
        time.sleep(0.05)
    if daemon.poll() is not None:
        raise RuntimeError("crashtrail exited %d: %s" % (
            daemon.returncode, open(os.path.join(d, "daemon.log")).read()))
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(frame_timeout)
    sock.connect(path)
    sock.sendall(b"GET /telemetry/stream?replay=all HTTP/1.1\r\n"
                 b"Host: latency\r\n\r\n")
    wait_for(lambda ev, e: len(live) == nrunners)
    time.sleep(0.5)                     # let the start-up settle

    def kill_one(name):
        if gap:
            time.sleep(gap)
        drain()
        if name not in live:            # still in its restart backoff
            wait_for(lambda ev, e, n=name: n in live)
            drain()
        run_id, pid = live[name]
        said(pid)
        w0 = time.time()
        t0 = time.monotonic_ns()
        os.kill(pid, signal.SIGKILL)
        t1 = wait_for(lambda ev, e, r=run_id:
                      ev == "runner_failed" and e.get("run_id") == r)
        return (t1 - t0) / 1e6, (ts_epoch(wait_for.env["ts"]) - w0) * 1000

    # The warm-up, untimed: one death per victim, so the black-holed
    # daemon has its transfers hung before the first timed kill.
    for name in victims:
        kill_one(name)
    st0 = None
    deadline = time.monotonic() + 10
    while True:
        drain()
        st0 = status(path)["upload"]
        if mode != "blackholed" or st0["in_flight"] == up_conc or \
                time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if mode == "blackholed" and st0["in_flight"] != up_conc:
        raise RuntimeError("%s: the transfers did not hang: in_flight %d "
                           "after the warm-up" % (tag, st0["in_flight"]))
    time.sleep(0.2)
    upload_frames = 0
    load0 = open("/proc/loadavg").read().split()[:3]
    lat, inside = [], []
    t_begin = time.monotonic()
    k = 0
    while len(lat) < n:
        a, b = kill_one(victims[k % nvictims])
        k += 1
        lat.append(a)
        inside.append(b)
    elapsed = time.monotonic() - t_begin
    # Every timed death must have become a job (the record is written by
    # the helper, so the last few may land a moment later).
    deadline = time.monotonic() + 5
    while True:
        drain()
        st1 = status(path)["upload"]
        if mode != "blackholed" or time.monotonic() > deadline or \
                st1["backlog"] + st1["dropped"] >= st0["backlog"] + n:
            break
        time.sleep(0.05)
    socks = hung_sockets() if mode == "blackholed" else None
    load1 = open("/proc/loadavg").read().split()[:3]
    wbytes = 0                          # what the writers got stored
    for dd, _, files in os.walk(os.path.join(d, "state", "runner_log")):
        if os.path.basename(dd).startswith("writer"):
            wbytes += sum(os.path.getsize(os.path.join(dd, f))
                          for f in files if f.endswith(".stderr.log"))
    spooled = 0
    try:
        spooled = len(os.listdir(os.path.join(d, "state", "spool")))
    except OSError:
        pass
    r = dict(mode=mode, lat=sorted(lat), inside=sorted(inside),
             elapsed=elapsed, wbytes=wbytes, live=len(live), st0=st0,
             st1=st1, socks=socks, frames=upload_frames, load0=load0,
             load1=load1, spooled=spooled)
    sock.close()
    sock = None
    r["stop"] = stop_daemon()
    shutil.rmtree(d, ignore_errors=True)
    daemon_dir = None
    return r


def pooled_line(lat):
    return ("| p50 %.2f ms | p90 %.2f ms | p99 %.2f ms | max %.2f ms | "
            "min %.2f ms | mean %.2f ms |"
            % (pct(lat, .50), pct(lat, .90), pct(lat, .99), lat[-1], lat[0],
               sum(lat) / len(lat)))


def describe(n):
    return ("%d kills, %d runners (%d victims killed in turn, %d writing "
            "%d KiB/s each, %d silent), backoff %s s"
            % (n, nrunners, nvictims, nwriters, write_rate // 1024,
               nsleepers, backoff))


rc = 0
try:
    blast = os.path.join(tmp, "blast")
    subprocess.run([cc, "-O2", "-o", blast, os.path.join(here, "blast.c")],
                   check=True)
    out = []
    if not with_upload:
        r = measure("normal", nkills, blast, "normal")
        lat, inside = r["lat"], r["inside"]
        line = ("Latency: SIGKILL -> runner_failed parsed on an SSE client "
                "(Unix socket), %s:" % describe(len(lat)))
        res = pooled_line(lat)
        extra = ("%.1f s for the kills; the writers' logs hold %.1f MiB; "
                 "%d of %d runners live at the end; loadavg %s before, %s "
                 "after." % (r["elapsed"], r["wbytes"] / 1048576, r["live"],
                             nrunners, " ".join(r["load0"]),
                             " ".join(r["load1"])))
        split = ("Of that, kill -> the event built in crashtrail (its ts): "
                 "p50 %.2f ms, p99 %.2f ms, max %.2f ms; the rest is the "
                 "stream and the Python client."
                 % (pct(inside, .50), pct(inside, .99), inside[-1]))
        print(split)
        out = [line, res, extra, split]
        for s in out[:3]:
            print(s)
    else:
        start_blackhole()
        bh_what = ("connect() hangs in SYN-SENT: listen(0), accept queue "
                   "kept full, SYNs dropped" if bh_mode == "syn" else
                   "TCP accepted, the TLS ClientHello never answered")
        head = ("Latency: SIGKILL -> runner_failed parsed on an SSE client "
                "(Unix socket), %s; %d interleaved rounds, each a fresh "
                "daemon per mode; normal = telemetry off; blackholed = "
                "telemetry on, upload server black-holed (%s), "
                "upload_timeout %s s, upload_concurrency %d, every death a "
                "spooled job:" % (describe(per_round) + " per round and mode",
                                  reps, bh_what, up_timeout, up_conc))
        print(head)
        out.append(head)
        res = {"normal": [], "blackholed": []}
        bad = []
        for rnd in range(1, reps + 1):
            order = ["normal", "blackholed"]
            if rnd % 2 == 0:
                order.reverse()
            for mode in order:
                r = measure(mode, per_round, blast, "%s%d" % (mode, rnd))
                res[mode].append(r)
                lat = r["lat"]
                s = ("  round %d %-10s p50 %6.2f ms  p99 %6.2f ms  max "
                     "%6.2f ms  (%.1f s; writers stored %.1f MiB; %d/%d "
                     "live; stopped in %.2f s)"
                     % (rnd, mode, pct(lat, .5), pct(lat, .99), lat[-1],
                        r["elapsed"], r["wbytes"] / 1048576, r["live"],
                        nrunners, r["stop"]))
                if mode == "blackholed":
                    u0, u1 = r["st0"], r["st1"]
                    f = ",".join("%s %d" % kv for kv in
                                 sorted(u1["failures"].items()) if kv[1])
                    socks = r["socks"]
                    s += ("\n      upload before -> after the kills: "
                          "in_flight %d -> %d, backlog %d -> %d jobs "
                          "(%d B; %d records in the spool dir; jobs made for "
                          "%d of the %d timed deaths); retries %d, "
                          "failures {%s}, dropped %d, deferred %d, "
                          "succeeded %d; %s; upload_* frames during the "
                          "kills %d"
                          % (u0["in_flight"], u1["in_flight"], u0["backlog"],
                             u1["backlog"], u1["backlog_bytes"],
                             r["spooled"], u1["backlog"] + u1["dropped"]
                             - u0["backlog"] - u0["dropped"], per_round,
                             u1["retries"], f, u1["dropped"],
                             u1["deferred"], u1["succeeded"],
                             "sockets to the black hole: %d SYN-SENT, %d "
                             "ESTABLISHED" % socks if socks else
                             "no /proc/net/tcp", r["frames"]))
                    if u1["in_flight"] != up_conc or u1["backlog"] == 0 or \
                            not u1["enabled"] or u1["backlog"] + \
                            u1["dropped"] - u0["backlog"] - u0["dropped"] \
                            < per_round:
                        bad.append("round %d: in_flight %d, backlog %d -> "
                                   "%d" % (rnd, u1["in_flight"],
                                           u0["backlog"], u1["backlog"]))
                print(s)
                out.append(s)

        def stats(mode, q):
            v = [pct(r["lat"], q) for r in res[mode]]
            return median(v), min(v), max(v), v

        lines = []
        for q, qn in ((.5, "p50"), (.99, "p99")):
            nm, nlo, nhi, nv = stats("normal", q)
            bm, blo, bhi, bv = stats("blackholed", q)
            ratios = [b / a for a, b in zip(nv, bv)]
            lines.append(
                "%s: normal %.2f ms (%.2f..%.2f), blackholed %.2f ms "
                "(%.2f..%.2f); blackholed/normal %.2fx (per round "
                "%.2f..%.2f); normal's own rounds span %.2f..%.2fx of its "
                "median" % (qn, nm, nlo, nhi, bm, blo, bhi, bm / nm,
                            min(ratios), max(ratios), nlo / nm, nhi / nm))
        lines.insert(0, "Medians over the %d rounds (min..max):" % reps)
        for mode in ("normal", "blackholed"):
            lat = sorted(x for r in res[mode] for x in r["lat"])
            ins = sorted(x for r in res[mode] for x in r["inside"])
            lines.append("all %d kills, %-10s %s  kill -> event built "
                         "(its ts) p50 %.2f ms, p99 %.2f ms"
                         % (len(lat), mode, pooled_line(lat),
                            pct(ins, .5), pct(ins, .99)))
        lines.append("loadavg %s at the start, %s at the end."
                     % (" ".join(res["normal"][0]["load0"]),
                        " ".join(res[order[-1]][-1]["load1"])))
        for s in lines:
            print(s)
        out += lines
        if bad:
            s = ("NOT VALID: the black-holed daemon did not hold %d hung "
                 "transfers and a job for every timed death: %s" % (up_conc, "; ".join(bad)))
            print(s)
            out.append(s)
            rc = 1
    base = baseline()
    print(base)
    out.append(base)
    if summary:
        with open(summary, "a") as f:
            f.write("\n" + "\n".join(out) + "\n")
except Stop as ex:
    print("latency.py: stopped by %s" % ex, file=sys.stderr)
    rc = 1
except Exception as ex:
    print("latency.py: %s" % ex, file=sys.stderr)
    try:
        sys.stderr.write(open(os.path.join(daemon_dir, "daemon.log"))
                         .read()[-2000:])
    except (OSError, TypeError):
        pass
    rc = 1
finally:
    # No signal may cut the clean-up short.
    for _sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(_sig, signal.SIG_IGN)
    stop_all()
    shutil.rmtree(tmp, ignore_errors=True)
sys.exit(rc)
