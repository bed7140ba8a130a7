#!/usr/bin/env python3
"""sampler_bench.py -- what crashtrail's metrics sampler costs, side by side
with collectd and node_exporter watching the same idle processes.

Usage: python3 test/bench/sampler_bench.py CRASHTRAIL [--rounds R]
           [--window W] [--fast-window WF] [--warmup S] [--runners N]
           [--rates 1,10] [--cgroup both|off|auto] [--gzip]
           [--collectd PATH] [--node-exporter PATH]

Every measurement has N (64) idle processes, `/bin/sleep TAG.K` (K =
1..N; TAG is unique to this bench run, so each sleeper has a command line
of its own that a ProcessMatch can name), each the leader of its own
process group, and exactly one contender:

  crashtrail base      N runners `command = /bin/sleep TAG.K`,
                       `startsecs = 0`, sample_interval_ms = 0 (sampling
                       off), cgroup = off: the daemon's cost without the
                       sampler, the baseline of "sampler only".
  crashtrail off RHz   the same with sample_interval_ms = 1000/R and
                       cgroup = off (each run measured by process group).
  crashtrail auto RHz  the same with cgroup = auto (each run in its own
                       memory cgroup, read by the sampler), when cgroups
                       are usable here (root and a writable memory
                       controller); otherwise skipped, and said why.
                       --cgroup off|auto runs one set only.
  collectd RHz         /usr/sbin/collectd -f -C CONF with Interval 1/R,
                       LoadPlugin cpu, memory, load, processes, csv;
                       processes: one `ProcessMatch "sbK" "^/bin/sleep
                       TAG[.]K$"` per sleeper (N matches: a value set per
                       sleeper, as crashtrail keeps one per run),
                       CollectFileDescriptor true, CollectContextSwitch
                       false, CollectMemoryMaps false (so it reads stat,
                       status, io and the fd directory of each sleeper,
                       close to crashtrail's stat, io and fd count); csv
                       (StoreRates false) writes every value into a temp
                       dir.  ReadThreads / WriteThreads: collectd's
                       defaults.  Started as the sleepers' sibling, it
                       does not fork.
  node_exporter RHz    /usr/bin/prometheus-node-exporter on 127.0.0.1 (a
                       free port) with --collector.disable-defaults and
                       only cpu, meminfo, loadavg, pressure, processes
                       (the aggregate process collector, which walks all
                       of /proc; node_exporter has no per-process
                       collector), --web.disable-exporter-metrics; a
                       scraper (a child python3 of this script) GETs
                       /metrics every 1/R s on one persistent HTTP/1.1
                       connection (http.client; Accept-Encoding identity,
                       or gzip with --gzip) and reads the whole body.
                       Only node_exporter's CPU is in its figure; the
                       scraper's own is reported apart.

Each measurement: start the contender (and the sleepers, for collectd and
node_exporter), wait until all N are live (crashtrail: /v1/status
runs.live = N), warm up S (3) seconds, then a window of W (20) seconds at
rates up to 1 Hz and WF (W/2) above, so that a 10 Hz window holds as many
ticks as ten 1 Hz ones.  CPU is the contender's process CPU clock
(clock_gettime on clock_getcpuclockid(pid): utime+stime of every thread,
exited ones too, in ns: /proc/PID/stat's utime+stime are the same
quantity in 10 ms ticks, too coarse for a 1 Hz sampler over 20 s), plus
cutime+cstime from /proc/PID/stat (children reaped: none expected), as
CPU seconds per minute; /proc/PID/stat's utime+stime are reported too.
crashtrail's syncer helper (its child, found by parent pid and named in
/v1/status helper.pid) is reported apart.  For crashtrail, GET /metrics
on <state_dir>/crashtrail.sock at the start and the end of each window
gives crashtrail_sampler_cpu_seconds_total (and ticks and wall time): the
daemon's own count of its sampler's CPU.  After each crashtrail window
its VmRSS (/proc/PID/status) is read; the one at 1 Hz is held against
the stated budget (N = 64 idle runners under 16 MiB RSS), and so is a
projection for when every run's sample ring is full (the rings are
calloc'd, so they take memory only as samples land: the window sees
almost none; full = that RSS + live runs x ring_bytes_per_run from
/v1/status, less what is already filled; an hour at 1 Hz by default).

R (3) interleaved rounds run every contender once each, in an order
rotated by len/R places a round.  Reported per contender: the median
over rounds with min..max; "sampler only" is crashtrail at R Hz minus the
baseline of the same round; the ratios collectd / crashtrail and
node_exporter / crashtrail are taken per round (against the sampler only
and against the whole daemon) and given as median [min..max].

Prints the result and appends the summary table to $BENCH_SUMMARY if set.
Every process it starts is stopped by its pid, and the temp dir removed,
on any exit (SIGTERM, SIGINT and SIGHUP included).  Exit status 1 if a
contender that is installed could not be measured.
"""
import argparse
import gzip as gzipmod
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

COLLECTD = "/usr/sbin/collectd"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
COLLECTD_PLUGIN_DIR = "/usr/lib/collectd"
COLLECTD_TYPES_DB = "/usr/share/collectd/types.db"
COLLECTD_PLUGINS = ("cpu", "memory", "load", "processes", "csv")
NE_COLLECTORS = ("cpu", "meminfo", "loadavg", "pressure", "processes")
INSTALL_HINT = "apt-get install collectd prometheus-node-exporter"
RSS_BUDGET_KIB = 16 * 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------
# The scraper child: `sampler_bench.py --scrape-child HOST PORT INTERVAL GZ`.

def scrape_child(host, port, interval, gz):
    stats = {"scrapes": 0, "errors": 0, "late": 0, "bytes": 0,
             "reconnects": 0, "last_len": 0, "has_procs": False,
             "has_psi": False, "t0": time.monotonic()}
    stop = []

    def on_term(_sig, _frame):
        stop.append(1)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    hdrs = {"Accept-Encoding": "gzip" if gz else "identity",
            "Accept": "text/plain"}
    conn = http.client.HTTPConnection(host, port, timeout=10)
    nxt = time.monotonic()
    while not stop:
        try:
            conn.request("GET", "/metrics", headers=hdrs)
            r = conn.getresponse()
            body = r.read()
            if r.status != 200:
                raise RuntimeError("HTTP %d" % r.status)
            if r.getheader("Content-Encoding", "") == "gzip":
                body = gzipmod.decompress(body)
            stats["scrapes"] += 1
            stats["bytes"] += len(body)
            stats["last_len"] = len(body)
            if stats["scrapes"] == 1 or stats["scrapes"] % 50 == 0:
                stats["has_procs"] = b"\nnode_processes_pids " in body
                stats["has_psi"] = b"\nnode_pressure_cpu_waiting" in body
        except (OSError, http.client.HTTPException, RuntimeError):
            stats["errors"] += 1
            conn.close()
            stats["reconnects"] += 1
            conn = http.client.HTTPConnection(host, port, timeout=10)
        nxt += interval
        now = time.monotonic()
        if nxt < now:
            stats["late"] += 1
            nxt = now
        else:
            # A signal wakes time.sleep (PEP 475 retries only without a
            # handler that raises); the loop then sees stop.
            time.sleep(nxt - now)
    conn.close()
    stats["elapsed"] = time.monotonic() - stats["t0"]
    sys.stdout.write(json.dumps(stats) + "\n")
    sys.stdout.flush()
    os._exit(0)


if len(sys.argv) == 6 and sys.argv[1] == "--scrape-child":
    scrape_child(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
                 sys.argv[5] == "1")


# --------------------------------------------------------------------------
# Arguments, state, cleanup.

ap = argparse.ArgumentParser(
    description="crashtrail sampler cost vs collectd and node_exporter")
ap.add_argument("crashtrail")
ap.add_argument("--rounds", type=int, default=3)
ap.add_argument("--window", type=float, default=20.0,
                help="window in seconds at rates <= 1 Hz (20)")
ap.add_argument("--fast-window", type=float, default=None,
                help="window in seconds at rates > 1 Hz (WINDOW/2)")
ap.add_argument("--warmup", type=float, default=3.0)
ap.add_argument("--runners", type=int, default=64)
ap.add_argument("--rates", default="1,10",
                help="sampling rates in Hz, comma-separated (1,10)")
ap.add_argument("--cgroup", choices=("both", "off", "auto"), default=None,
                help="crashtrail sets: both where cgroups are usable, "
                "else off")
ap.add_argument("--gzip", action="store_true",
                help="the node_exporter scraper asks for gzip")
ap.add_argument("--collectd", default=COLLECTD, help=COLLECTD)
ap.add_argument("--node-exporter", default=NODE_EXPORTER, help=NODE_EXPORTER)
args = ap.parse_args()
COLLECTD = args.collectd
NODE_EXPORTER = args.node_exporter

ct = os.path.abspath(args.crashtrail)
nrun = args.runners
rounds = args.rounds
win_slow = args.window
win_fast = args.fast_window if args.fast_window is not None \
    else args.window / 2
summary = os.environ.get("BENCH_SUMMARY", "")
try:
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
except ValueError:
    sys.exit("sampler_bench.py: --rates is a comma-separated list of Hz")
for r in rates:
    if r <= 0 or 1000.0 / r < 50 or abs(1000.0 / r - round(1000.0 / r)) > 1e-6:
        sys.exit("sampler_bench.py: rate %g Hz: 1000/rate must be a whole "
                 "number of ms >= 50 (sample_interval_ms' minimum)" % r)
if nrun < 1 or rounds < 1 or win_slow <= 0 or win_fast <= 0 or \
        args.warmup < 0:
    sys.exit("sampler_bench.py: need --runners >= 1, --rounds >= 1, "
             "positive windows")
if not os.access(ct, os.X_OK):
    sys.exit("sampler_bench.py: %s is not an executable" % ct)


def rate_s(r):
    return ("%g Hz" % r)


def win_for(rate):
    return win_slow if rate <= 1 else win_fast


class Stop(Exception):
    pass


def on_signal(sig, _frame):
    raise Stop("signal %d" % sig)


for _sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(_sig, on_signal)

tmp = tempfile.mkdtemp(prefix="crashtrail-sampler.")
TAG = "1%07d" % os.getpid()       # the sleepers' duration: TAG.K seconds
started = []                      # [label, Popen] of every process started


def sleeper_cmd(k):
    return ["/bin/sleep", "%s.%d" % (TAG, k)]


def is_our_sleeper(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            a = f.read().split(b"\0")
    except OSError:
        return False
    return len(a) >= 2 and a[0] == b"/bin/sleep" and \
        a[1].startswith(TAG.encode() + b".")


def our_sleepers():
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and is_our_sleeper(int(d)):
            out.append(int(d))
    return out


def spawn(label, argv, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("start_new_session", True)
    p = subprocess.Popen(argv, **kw)
    started.append([label, p])
    return p


def stop_proc(p, timeout=30.0):
    """SIGTERM p by its pid, wait, SIGKILL if it will not go."""
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        except ProcessLookupError:
            pass
    for ent in started:
        if ent[1] is p:
            started.remove(ent)
            break


def stop_everything():
    """Every process started here, newest first, by pid; then any sleeper
    of ours that outlived its crashtrail (the runners are the daemon's
    children: stopped by it, or here by pid if it died)."""
    for _label, p in list(reversed(started)):
        stop_proc(p, timeout=15.0)
    for pid in our_sleepers():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# --------------------------------------------------------------------------
# Measuring.

def cpu_clock_ns(pid):
    """The process CPU clock of pid (CPUCLOCK_SCHED of the whole thread
    group: MAKE_PROCESS_CPUCLOCK(pid, 2)), ns; None if it cannot be read."""
    try:
        return time.clock_gettime_ns(((~pid) << 3) | 2)
    except OSError:
        return None


def proc_stat(pid):
    """(utime+stime, cutime+cstime, ppid, comm) in seconds from
    /proc/PID/stat, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    comm = s[s.index("(") + 1:s.rindex(")")]
    f = s[s.rindex(")") + 2:].split()
    return ((int(f[11]) + int(f[12])) / CLK_TCK,
            (int(f[13]) + int(f[14])) / CLK_TCK, int(f[1]), comm)


def cpu_now(pid):
    st = proc_stat(pid)
    ck = cpu_clock_ns(pid)
    if st is None:
        return None
    return {"clock": None if ck is None else ck / 1e9, "stat": st[0],
            "children": st[1], "t": time.monotonic()}


def cpu_rate(a, b):
    """CPU s/min over two cpu_now() readings: (clock-based, stat-based)."""
    if a is None or b is None:
        return None, None
    dt = b["t"] - a["t"]
    ch = b["children"] - a["children"]
    st = (b["stat"] - a["stat"] + ch) / dt * 60
    ck = None if a["clock"] is None or b["clock"] is None else \
        (b["clock"] - a["clock"] + ch) / dt * 60
    return ck, st


def vmrss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def nprocs():
    return sum(1 for d in os.listdir("/proc") if d.isdigit())


def children_of(pid):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st is not None and st[2] == pid:
                out.append((int(d), st[3]))
    return out


def uds_get(path, what):
    """GET what on the Unix socket path: the body (bytes)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    try:
        s.connect(path)
        s.sendall(b"GET " + what.encode() + b" HTTP/1.1\r\nHost: bench\r\n"
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
        raise RuntimeError("%s: %r" % (what, head[:200]))
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
    return body


def sampler_counters(sock):
    """crashtrail_sampler_{cpu,wall}_seconds_total and ticks_total."""
    body = uds_get(sock, "/metrics").decode()
    want = {"crashtrail_sampler_cpu_seconds_total": "cpu",
            "crashtrail_sampler_wall_seconds_total": "wall",
            "crashtrail_sampler_ticks_total": "ticks"}
    out = {"t": time.monotonic()}
    for line in body.splitlines():
        p = line.split()
        if len(p) == 2 and p[0] in want:
            out[want[p[0]]] = float(p[1])
    return out


def wait_until(pred, timeout, what):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise RuntimeError("%s: not within %.0f s" % (what, timeout))
        time.sleep(0.05)


def hold(secs, procs):
    """Sleep secs, checking that every Popen in procs stays alive."""
    end = time.monotonic() + secs
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        for label, p in procs:
            if p.poll() is not None:
                raise RuntimeError("%s exited (status %s) during the "
                                   "measurement" % (label, p.returncode))
        time.sleep(min(0.5, left))


def start_sleepers():
    ps = []
    for k in range(1, nrun + 1):
        ps.append(spawn("sleeper %d" % k, sleeper_cmd(k),
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return ps


def stop_sleepers(ps):
    for p in ps:
        if p.poll() is None:
            p.kill()
    for p in ps:
        p.wait()
        stop_proc(p)


def tail(path, n=8):
    try:
        with open(path, errors="replace") as f:
            return " | ".join(f.read().splitlines()[-n:])
    except OSError:
        return "(no log)"


def measure_crashtrail(c, tag):
    """One crashtrail with N runners; the dict of what was seen."""
    d = os.path.join(tmp, tag)
    os.mkdir(d)
    conf = os.path.join(d, "c.conf")
    ms = 0 if c["rate"] == 0 else int(round(1000.0 / c["rate"]))
    with open(conf, "w") as f:
        f.write("[collector]\nstate_dir = %s/state\nsample_interval_ms = %d"
                "\ncgroup = %s\n" % (d, ms, c["cg"]))
        for k in range(1, nrun + 1):
            f.write("\n[runner:sb%d]\ncommand = %s\nstartsecs = 0\n"
                    % (k, " ".join(sleeper_cmd(k))))
    log = os.path.join(d, "daemon.log")
    sock = os.path.join(d, "state", "crashtrail.sock")
    with open(log, "w") as lf:
        p = spawn("crashtrail " + tag, [ct, "run", "-c", conf],
                  stdout=lf, stderr=subprocess.STDOUT)
    res = {"pid": p.pid}
    try:
        def ready():
            if p.poll() is not None:
                raise RuntimeError("crashtrail exited %s: %s"
                                   % (p.returncode, tail(log)))
            with open(log, errors="replace") as f:
                return " ready\n" in f.read()
        wait_until(ready, 20, "crashtrail ready")

        def live():
            st = json.loads(uds_get(sock, "/v1/status"))
            return st if st["runs"]["live"] == nrun else None
        st = wait_until(live, 20, "%d runs live" % nrun)
        res["cgroups"] = st["sampler"].get("cgroups")
        res["cgroups_reason"] = st["sampler"].get("cgroups_reason")
        helper = st.get("helper", {}).get("pid")
        # A run is live from its fork; its exec of the sleeper follows.
        def all_execd():
            ks = children_of(p.pid)
            n = len([k for k, comm in ks if is_our_sleeper(k)])
            return ks if n == nrun else None
        kids = wait_until(all_execd, 20, "%d sleepers exec'd" % nrun)
        res["helper"] = helper if helper in [k for k, _ in kids] else None
        hold(args.warmup, [("crashtrail", p)])
        res["nprocs"] = nprocs()
        m0 = sampler_counters(sock)
        a = cpu_now(p.pid)
        ha = cpu_now(res["helper"]) if res["helper"] else None
        hold(c["window"], [("crashtrail", p)])
        b = cpu_now(p.pid)
        hb = cpu_now(res["helper"]) if res["helper"] else None
        m1 = sampler_counters(sock)
        res["cpu"], res["cpu_stat"] = cpu_rate(a, b)
        res["helper_cpu"], _ = cpu_rate(ha, hb)
        res["window"] = b["t"] - a["t"]
        span = m1["t"] - m0["t"]
        res["self"] = (m1["cpu"] - m0["cpu"]) / span * 60
        res["self_wall"] = (m1["wall"] - m0["wall"]) / span * 60
        res["ticks"] = m1["ticks"] - m0["ticks"]
        res["tick_hz"] = res["ticks"] / span
        res["us_tick"] = (m1["cpu"] - m0["cpu"]) / res["ticks"] * 1e6 \
            if res["ticks"] else None
        res["rss"] = vmrss_kib(p.pid)
        res["helper_rss"] = vmrss_kib(res["helper"]) if res["helper"] else None
        st = json.loads(uds_get(sock, "/v1/status"))
        # The rings are calloc'd and cost memory only as samples land:
        # after the window they are nearly empty.  Full (samples_per_run
        # ticks: an hour at 1 Hz) each live run's ring adds what is left.
        sp = st["sampler"]
        fill = min(1.0, sp["ticks"] / float(sp["samples_per_run"]))
        res["ring_kib"] = sp["ring_bytes_per_run"] / 1024.0
        res["ring_full_s"] = sp["samples_per_run"] * ms / 1000.0
        res["rss_full"] = None if res["rss"] is None else res["rss"] + \
            st["runs"]["live"] * res["ring_kib"] * (1 - fill)
        if st["runs"]["live"] != nrun:
            raise RuntimeError("%d runs live after the window, want %d"
                               % (st["runs"]["live"], nrun))
        if c["rate"] and res["tick_hz"] < 0.8 * c["rate"]:
            res["note"] = "only %.1f ticks/s" % res["tick_hz"]
    finally:
        stop_proc(p)
    left = our_sleepers()
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    if left:
        res["note"] = (res.get("note", "") + "; %d runners outlived the "
                       "daemon" % len(left)).lstrip("; ")
    return res


def collectd_conf(d, rate):
    lines = ['Hostname "sampler-bench"', "FQDNLookup false",
             'BaseDir "%s"' % d, 'PIDFile "%s/collectd.pid"' % d,
             'PluginDir "%s"' % COLLECTD_PLUGIN_DIR,
             'TypesDB "%s"' % COLLECTD_TYPES_DB,
             "Interval %g" % (1.0 / rate), ""]
    lines += ["LoadPlugin %s" % p for p in COLLECTD_PLUGINS]
    lines += ["", "<Plugin processes>", "  CollectFileDescriptor true",
              "  CollectContextSwitch false", "  CollectMemoryMaps false"]
    for k in range(1, nrun + 1):
        lines.append('  ProcessMatch "sb%d" "^/bin/sleep %s[.]%d$"'
                     % (k, TAG, k))
    lines += ["</Plugin>", "", "<Plugin csv>",
              '  DataDir "%s/csv"' % d, "  StoreRates false", "</Plugin>", ""]
    return "\n".join(lines)


def collectd_check(d, elapsed, rate):
    """From the csv files: how many sleepers collectd saw (ps_count
    processes = 1 in its last line) and the rate it wrote values at."""
    base = os.path.join(d, "csv", "sampler-bench")
    seen = 0
    lines = 0
    for k in range(1, nrun + 1):
        pd = os.path.join(base, "processes-sb%d" % k)
        try:
            fs = sorted(f for f in os.listdir(pd) if f.startswith("ps_count"))
        except OSError:
            continue
        if not fs:
            continue
        with open(os.path.join(pd, fs[-1])) as f:
            rows = [r for r in f.read().splitlines() if r[:1].isdigit()]
        if k == 1:
            lines = len(rows)
        if rows and rows[-1].split(",")[1].split(".")[0] == "1":
            seen += 1
    return seen, lines / elapsed if elapsed > 0 else 0


def measure_collectd(c, tag):
    d = os.path.join(tmp, tag)
    os.mkdir(d)
    conf = os.path.join(d, "collectd.conf")
    with open(conf, "w") as f:
        f.write(collectd_conf(d, c["rate"]))
    sl = start_sleepers()
    log = os.path.join(d, "collectd.log")
    res = {}
    p = None
    try:
        with open(log, "w") as lf:
            p = spawn("collectd " + tag, [COLLECTD, "-f", "-C", conf],
                      stdout=lf, stderr=subprocess.STDOUT)
        t_start = time.monotonic()
        res["pid"] = p.pid
        hold(args.warmup + 0.5, [("collectd", p)])
        res["nprocs"] = nprocs()
        a = cpu_now(p.pid)
        hold(c["window"], [("collectd", p)])
        b = cpu_now(p.pid)
        res["cpu"], res["cpu_stat"] = cpu_rate(a, b)
        res["window"] = b["t"] - a["t"]
        res["rss"] = vmrss_kib(p.pid)
        kids = children_of(p.pid)
        if kids:
            res["note"] = "collectd has %d child(ren)" % len(kids)
        seen, vrate = collectd_check(d, time.monotonic() - t_start,
                                     c["rate"])
        res["seen"] = seen
        res["value_hz"] = vrate
        if seen != nrun:
            raise RuntimeError("collectd saw %d of %d sleepers (log: %s)"
                               % (seen, nrun, tail(log)))
    finally:
        if p is not None:
            stop_proc(p)
        stop_sleepers(sl)
    return res


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def measure_node_exporter(c, tag):
    d = os.path.join(tmp, tag)
    os.mkdir(d)
    sl = start_sleepers()
    log = os.path.join(d, "node_exporter.log")
    res = {}
    p = scr = None
    try:
        port = free_port()
        argv = [NODE_EXPORTER, "--web.listen-address=127.0.0.1:%d" % port,
                "--collector.disable-defaults",
                "--web.disable-exporter-metrics", "--log.level=warn"]
        argv += ["--collector.%s" % k for k in NE_COLLECTORS]
        with open(log, "w") as lf:
            p = spawn("node_exporter " + tag, argv, stdout=lf,
                      stderr=subprocess.STDOUT)
        res["pid"] = p.pid

        def listening():
            if p.poll() is not None:
                raise RuntimeError("node_exporter exited %s: %s"
                                   % (p.returncode, tail(log)))
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                return True
            except OSError:
                return False
        wait_until(listening, 20, "node_exporter listening")
        scr = spawn("scraper " + tag,
                    [sys.executable, os.path.abspath(__file__),
                     "--scrape-child", "127.0.0.1", str(port),
                     repr(1.0 / c["rate"]), "1" if args.gzip else "0"],
                    stdout=subprocess.PIPE)
        both = [("node_exporter", p), ("scraper", scr)]
        hold(args.warmup, both)
        res["nprocs"] = nprocs()
        a, sa = cpu_now(p.pid), cpu_now(scr.pid)
        hold(c["window"], both)
        b, sb = cpu_now(p.pid), cpu_now(scr.pid)
        res["cpu"], res["cpu_stat"] = cpu_rate(a, b)
        res["scraper_cpu"], _ = cpu_rate(sa, sb)
        res["window"] = b["t"] - a["t"]
        res["rss"] = vmrss_kib(p.pid)
        scr.send_signal(signal.SIGTERM)
        out, _ = scr.communicate(timeout=15)
        stop_proc(scr)
        scr = None
        s = json.loads(out.decode().strip().splitlines()[-1])
        res["scrapes"] = s["scrapes"]
        res["scrape_hz"] = s["scrapes"] / s["elapsed"]
        res["scrape_bytes"] = s["last_len"]
        if s["errors"] or not s["has_procs"] or not s["has_psi"]:
            res["note"] = "%d scrape errors; processes %s, pressure %s" % (
                s["errors"], "yes" if s["has_procs"] else "MISSING",
                "yes" if s["has_psi"] else "missing")
        if s["scrapes"] == 0:
            raise RuntimeError("no scrape succeeded (log: %s)" % tail(log))
        if s["late"] > 0.1 * s["scrapes"]:
            res["note"] = (res.get("note", "") + "; %d late scrapes"
                           % s["late"]).lstrip("; ")
    finally:
        if scr is not None:
            stop_proc(scr)
        if p is not None:
            stop_proc(p)
        stop_sleepers(sl)
    return res


# --------------------------------------------------------------------------
# Plan.

def cgroups_usable():
    if os.geteuid() != 0:
        return False, "not root"
    v1 = "/sys/fs/cgroup/memory"
    if os.path.isdir(v1) and os.access(v1, os.W_OK) and \
            os.path.exists(os.path.join(v1, "memory.limit_in_bytes")):
        return True, "cgroup v1 memory controller at %s, writable" % v1
    for v2 in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        try:
            with open(os.path.join(v2, "cgroup.controllers")) as f:
                if "memory" in f.read().split() and os.access(v2, os.W_OK):
                    return True, "cgroup v2 with memory at %s" % v2
        except OSError:
            pass
    return False, "no writable memory cgroup controller"


cg_ok, cg_why = cgroups_usable()
if args.cgroup is None:
    cg_sets = ["off", "auto"] if cg_ok else ["off"]
elif args.cgroup == "both":
    cg_sets = ["off", "auto"]
else:
    cg_sets = [args.cgroup]

skipped = []
have_collectd = os.access(COLLECTD, os.X_OK)
if not have_collectd:
    skipped.append("skipped: collectd not installed (%s)" % INSTALL_HINT)
else:
    miss = [p for p in COLLECTD_PLUGINS if not os.path.exists(
        os.path.join(COLLECTD_PLUGIN_DIR, p + ".so"))]
    if miss or not os.path.exists(COLLECTD_TYPES_DB):
        have_collectd = False
        skipped.append("skipped: collectd plugins missing (%s) (%s)"
                       % (", ".join(miss) or COLLECTD_TYPES_DB,
                          INSTALL_HINT))
have_ne = os.access(NODE_EXPORTER, os.X_OK)
if not have_ne:
    skipped.append("skipped: node_exporter not installed (%s)"
                   % INSTALL_HINT)

contenders = [{"key": "ct-base", "kind": "ct", "rate": 0, "cg": "off",
               "window": win_slow, "label": "crashtrail, sampling off"}]
for r in rates:
    for i, cg in enumerate(cg_sets):
        contenders.append({"key": "ct-%s@%g" % (cg, r), "kind": "ct",
                           "rate": r, "cg": cg, "window": win_for(r),
                           "label": "crashtrail cgroup=%s" % cg})
        if i == 0 and have_collectd:
            contenders.append({"key": "collectd@%g" % r, "kind": "collectd",
                               "rate": r, "window": win_for(r),
                               "label": "collectd"})
    if have_ne:
        contenders.append({"key": "ne@%g" % r, "kind": "ne", "rate": r,
                           "window": win_for(r), "label": "node_exporter"})

results = {c["key"]: [None] * rounds for c in contenders}
failures = []


def host_line():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/loadavg") as f:
        la = " ".join(f.read().split()[:3])
    return "%s, %d CPUs, %s" % (os.uname().release, os.cpu_count(), model), la


def version(argv):
    try:
        out = subprocess.run(argv, stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=10)
        txt = (out.stdout + out.stderr).decode(errors="replace")
        return txt.strip().splitlines()[0] if txt.strip() else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "?"


def collectd_version():
    try:
        out = subprocess.run([COLLECTD, "-h"], stdin=subprocess.DEVNULL,
                             capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    for line in (out.stdout + out.stderr).decode(
            errors="replace").splitlines():
        if re.match(r"collectd \d", line):
            return line.split(",")[0]
    return "?"


def fmt(v, f="%.3f"):
    return "-" if v is None else f % v


def describe(c, r):
    w = "%s %s" % (c["label"], rate_s(c["rate"]) if c["rate"] else "")
    if r is None:
        return w + ": failed"
    s = "%s: %s CPU s/min (stat ticks %s), window %.1f s" % (
        w.strip(), fmt(r["cpu"]), fmt(r["cpu_stat"], "%.2f"), r["window"])
    if c["kind"] == "ct":
        s += ", helper %s" % fmt(r.get("helper_cpu"))
        s += "; self-measured sampler %s s/min, %.1f ticks/s, %s us/tick" % (
            fmt(r["self"]), r["tick_hz"], fmt(r["us_tick"], "%.0f"))
        s += "; RSS %.1f MiB (helper %s)" % (
            r["rss"] / 1024, fmt(r["helper_rss"] and r["helper_rss"] / 1024,
                                 "%.1f MiB"))
        if c["cg"] == "auto":
            s += "; cgroups %s" % ("in use" if r["cgroups"] else
                                   "NOT in use: %s" % r["cgroups_reason"])
    elif c["kind"] == "collectd":
        s += "; saw %d/%d sleepers, %.1f values/s per series; RSS %.1f MiB" \
            % (r["seen"], nrun, r["value_hz"], r["rss"] / 1024)
    else:
        s += "; scraper %s CPU s/min, %d scrapes (%.1f/s), %d bytes each; " \
             "RSS %.1f MiB" % (fmt(r["scraper_cpu"]), r["scrapes"],
                                r["scrape_hz"], r["scrape_bytes"],
                                r["rss"] / 1024)
    s += "; %d processes on the host" % r["nprocs"]
    if r.get("note"):
        s += "; NOTE: " + r["note"]
    return s


# --------------------------------------------------------------------------
# Run.

rc = 0
try:
    hl, load0 = host_line()
    print("crashtrail sampler benchmark, %s"
          % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    print("host: %s; loadavg before: %s" % (hl, load0))
    print("crashtrail: %s (%s)" % (ct, version([ct, "--version"])))
    print("collectd: %s" % (collectd_version() if have_collectd
                            else "not used"))
    print("node_exporter: %s" % (version([NODE_EXPORTER, "--version"])
                                 if have_ne else "not used"))
    for s in skipped:
        print(s)
    print("cgroups: %s; crashtrail sets: %s" % (
        cg_why if cg_ok else "not usable (%s)" % cg_why,
        ", ".join("cgroup=" + c for c in cg_sets)))
    print("load: %d idle sleepers, rates %s, %d round(s), window %g s "
          "(%g s above 1 Hz), warm-up %g s; scraper: one persistent "
          "http.client connection, %s" % (
              nrun, ", ".join(rate_s(r) for r in rates), rounds, win_slow,
              win_fast, args.warmup, "gzip" if args.gzip else "identity"))
    if have_collectd:
        print("collectd config (ProcessMatch lines: %d, one per sleeper):"
              % nrun)
        for line in collectd_conf("<tmp>", rates[0]).splitlines():
            if "ProcessMatch" in line and "\"sb1\"" not in line:
                continue
            print("    " + line)
    sys.stdout.flush()
    t_start = time.monotonic()
    n = len(contenders)
    for rd in range(rounds):
        off = rd * n // rounds
        order = contenders[off:] + contenders[:off]
        for j, c in enumerate(order):
            tag = "r%d-%s" % (rd + 1, c["key"].replace("@", "-"))
            sys.stderr.write("round %d [%d/%d] %s ...\n"
                             % (rd + 1, j + 1, n, c["key"]))
            sys.stderr.flush()
            try:
                if c["kind"] == "ct":
                    r = measure_crashtrail(c, tag)
                elif c["kind"] == "collectd":
                    r = measure_collectd(c, tag)
                else:
                    r = measure_node_exporter(c, tag)
            except RuntimeError as e:
                r = None
                failures.append("round %d %s: %s" % (rd + 1, c["key"], e))
                rc = 1
            results[c["key"]][rd] = r
            print("round %d: %s" % (rd + 1, describe(c, r)))
            if r is None:
                print("    " + failures[-1])
            sys.stdout.flush()
            shutil.rmtree(os.path.join(tmp, tag), ignore_errors=True)
    _, load1 = host_line()
    took = time.monotonic() - t_start
except Stop as e:
    sys.stderr.write("sampler_bench.py: stopped (%s)\n" % e)
    rc = 130
finally:
    for _sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(_sig, signal.SIG_IGN)
    stop_everything()
    shutil.rmtree(tmp, ignore_errors=True)
if rc == 130:
    sys.exit(rc)


# --------------------------------------------------------------------------
# Summary.

def median(xs):
    s = sorted(xs)
    k = len(s)
    return s[k // 2] if k % 2 else (s[k // 2 - 1] + s[k // 2]) / 2


def mr(xs, f="%.3f"):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "-"
    if len(xs) == 1:
        return f % xs[0]
    return (f + " [" + f + ".." + f + "]") % (median(xs), min(xs), max(xs))


def field(key, name):
    return [None if r is None else r.get(name) for r in results.get(key, [])]


def sampler_only(key):
    """Per round: crashtrail at a rate minus the same round's baseline."""
    out = []
    for a, b in zip(results[key], results["ct-base"]):
        if a is None or b is None or a["cpu"] is None or b["cpu"] is None:
            out.append(None)
        else:
            out.append(a["cpu"] - b["cpu"])
    return out


def ratios(num, den):
    out = []
    for a, b in zip(num, den):
        if a is not None and b is not None and b > 0:
            out.append(a / b)
    return out


lines = []
lines.append("")
lines.append("Sampler cost: %d idle runners / sleepers, CPU seconds per minute "
             "(process CPU clock), median [min..max] of %d interleaved round(s); "
             "window %g s (%g s above 1 Hz) after %g s warm-up; %d CPUs, "
             "loadavg %s before, %s after; %.0f s in all." % (
                 nrun, rounds, win_slow, win_fast, args.warmup,
                 os.cpu_count(), load0, load1, took))
lines.append("| contender | rate | CPU s/min | sampler only (- baseline) | "
             "self-measured sampler s/min | us/tick | RSS MiB | other |")
lines.append("|---|---|---|---|---|---|---|---|")
for c in contenders:
    k = c["key"]
    rss = [None if x is None else x / 1024 for x in field(k, "rss")]
    if c["kind"] == "ct":
        other = "helper " + mr(field(k, "helper_cpu"))
        if c["cg"] == "auto":
            used = set(x for x in field(k, "cgroups") if x is not None)
            other += "; cgroups " + ("in use" if used == {True} else
                                     "NOT in use" if used == {False}
                                     else "mixed")
        so = "-" if c["rate"] == 0 else mr(sampler_only(k))
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            c["label"], rate_s(c["rate"]) if c["rate"] else "-",
            mr(field(k, "cpu")), so, mr(field(k, "self")),
            "-" if c["rate"] == 0 else mr(field(k, "us_tick"), "%.0f"),
            mr(rss, "%.1f"), other))
    elif c["kind"] == "collectd":
        lines.append("| collectd | %s | %s | - | - | - | %s | %s |" % (
            rate_s(c["rate"]), mr(field(k, "cpu")), mr(rss, "%.1f"),
            "values/s %s" % mr(field(k, "value_hz"), "%.1f")))
    else:
        lines.append("| node_exporter | %s | %s | - | - | - | %s | "
                     "scraper %s s/min, %s scrapes/s |" % (
                         rate_s(c["rate"]), mr(field(k, "cpu")),
                         mr(rss, "%.1f"), mr(field(k, "scraper_cpu")),
                         mr(field(k, "scrape_hz"), "%.1f")))
for s in skipped:
    lines.append(s)
lines.append("")
lines.append("Ratios per round, median [min..max]: other tool's CPU / "
             "crashtrail's sampler only, and / the whole daemon.")
lines.append("| rate | crashtrail set | collectd / sampler | "
             "collectd / daemon | node_exporter / sampler | "
             "node_exporter / daemon |")
lines.append("|---|---|---|---|---|---|")
for r in rates:
    for cg in cg_sets:
        k = "ct-%s@%g" % (cg, r)
        so = sampler_only(k)
        whole = field(k, "cpu")
        cols = []
        for other in ("collectd@%g" % r, "ne@%g" % r):
            if other not in results:
                cols += ["skipped", "skipped"]
                continue
            o = field(other, "cpu")
            cols += [mr(ratios(o, so), "%.1f"), mr(ratios(o, whole), "%.1f")]
        lines.append("| %s | cgroup=%s | %s |" % (rate_s(r), cg,
                                                    " | ".join(cols)))
rss1 = []
for cg in cg_sets:
    k = "ct-%s@%g" % (cg, 1.0)
    if k in results:
        xs = [x for x in field(k, "rss") if x is not None]
        if xs:
            rss1.append("cgroup=%s %.1f MiB (max of %d)"
                        % (cg, max(xs) / 1024, len(xs)))
            rss1[-1] += " OK" if max(xs) <= RSS_BUDGET_KIB else \
                " OVER BUDGET"
if rss1:
    lines.append("crashtrail VmRSS with %d idle runners at 1 Hz after the "
                 "window: %s (budget: 64 idle runners under 16 MiB)."
                 % (nrun, "; ".join(rss1)))
    full = []
    r0 = None
    for cg in cg_sets:
        k = "ct-%s@%g" % (cg, 1.0)
        xs = [r for r in results.get(k, []) if r and r.get("rss_full")]
        if xs:
            r0 = xs[0]
            m = max(r["rss_full"] for r in xs)
            full.append("cgroup=%s %.1f MiB%s" % (
                cg, m / 1024, "" if m <= RSS_BUDGET_KIB else " OVER BUDGET"))
    if full:
        lines.append("Projected once every run's ring is full (%d runs x "
                     "%.1f KiB, after %.0f s at 1 Hz; the window saw a few "
                     "samples): %s." % (nrun, r0["ring_kib"],
                                        r0["ring_full_s"], "; ".join(full)))
for f in failures:
    lines.append("FAILED: " + f)
for line in lines:
    print(line)
if summary:
    with open(summary, "a") as f:
        f.write("\n".join(lines) + "\n")
sys.exit(rc)
