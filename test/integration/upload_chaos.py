"""upload_chaos.py -- the checks of upload_chaos.sh.

Usage: python3 upload_chaos.py CRASHTRAIL DIR SERVERDIR INSTANCE_ID
DIR holds chaos.conf and final.conf (the same runners; final.conf starts
none) and gets state/, daemon.log and restarts.log; SERVERDIR is
upload_server.py's (its ports file names the control port).

Chaos: crashtrail runs on chaos.conf, is killed with SIGKILL a random
0.05..1.5 s after it answers, and is started again (at once or after up to
0.3 s), until at least MIN_DEATHS death reports exist and MIN_KILLS kills
have happened (or CHAOS_BUDGET seconds have passed).  One kill in
HELPER_KILL_P (UPLOAD_CHAOS_HELPER_KILL, default 0.3; 0 for none) also
kills the syncer helper at once, as a kill of the whole cgroup would; the
others leave it to finish what the daemon had sent it.  Then the daemon
is killed a last time and started on final.conf, which reclaims what the
kill left and starts nothing, and we wait (deadline) until every
non-empty stderr log has a death report, the spool holds nothing and the
daemon has no upload job.

Checks:
  - the server's objects are exactly the non-empty stderr logs of the
    runs with a death report, each with the log's size, PUT once (a
    presign answered 409 acknowledges a PUT whose answer a kill cut off);
  - no upload ended in a final failure (upload_failed "final": true);
  - no run printed and died without a death report, and none was
    published dead twice (two runner_failed events for one run_id);
  - the spool holds no *.job, no .*.tmp, no *.bad;
  - the last daemon exits 0 on SIGTERM, and no runner of this instance
    is left running.
Printed: the seed (UPLOAD_CHAOS_SEED=N replays its timings, not the
daemon's), the counts (runs, collector_restarted runs, reports recovered
from the journal, uploads, 409s, kills, kills with a transfer in flight,
PUTs cut short, starts while the killed daemon's helper still worked),
and NOTEs for what is allowed but worth seeing (one daemon's life that
ended one run's upload twice: two jobs for it, the second a 409).  A
problem with a run's log says what each restart found of its job record
and report (restarts.log: the spool and the report temporaries, listed
just before each start).
Every process it starts is stopped by pid; the daemons' logs are
appended to DIR/daemon.log, so lib.sh's cleanup finds the runners' groups.
"""
import glob
import hashlib
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
import ctapi  # noqa: E402 (next to this script)

CT, DIR, SDIR, INST = sys.argv[1:5]
STATE = os.path.join(DIR, "state")
SOCK = os.path.join(STATE, "crashtrail.sock")
SPOOL = os.path.join(STATE, "spool")
LIVE = os.path.join(STATE, "live")
LOGROOT = os.path.join(STATE, "runner_log")
DLOG = os.path.join(DIR, "daemon.log")
CONF = {"chaos": os.path.join(DIR, "chaos.conf"),
        "final": os.path.join(DIR, "final.conf")}

MIN_DEATHS = 50
MIN_KILLS = 20
CHAOS_BUDGET = 45       # seconds the chaos phase may take at most
DRAIN_DEADLINE = 30     # seconds the last daemon has to empty the spool
HELPER_KILL_P = float(os.environ.get("UPLOAD_CHAOS_HELPER_KILL", "0.3"))
T0 = time.time()

SEED = int(os.environ.get("UPLOAD_CHAOS_SEED") or
           int(time.time() * 1000) % 1000000)
rnd = random.Random(SEED)

with open(os.path.join(SDIR, "ports")) as f:
    CTL = int(dict(w.split("=") for w in f.read().split())["CTL"])

daemon = None
life = 0
problems = []
notes = []


def log(*a):
    print("%6.2f" % (time.time() - T0), *a, flush=True)


# -- the daemon ---------------------------------------------------------------

def api(method, path, timeout=5):
    st, body = ctapi.request(SOCK, method, path, timeout=timeout)
    return st, json.loads(body) if body else None


def start(which):
    """Start crashtrail on CONF[which]; wait until its API answers."""
    global daemon, life
    life += 1
    # What the kill left, for the report of a failure: the spool, and the
    # death reports whose rename was cut off.
    with open(os.path.join(DIR, "restarts.log"), "a") as f:
        f.write("life %d: spool %s; report temporaries %s\n" % (
            life, spool_left(), [os.path.relpath(p, LOGROOT)
                                 for p in files("*.death.json.*")]))
    with open(DLOG, "ab") as lf:
        lf.write(b"=== upload_chaos: life %d on %s.conf\n" %
                 (life, which.encode()))
        lf.flush()
        daemon = subprocess.Popen([CT, "run", "-c", CONF[which]],
                                  stdout=lf, stderr=lf)
    end = time.time() + 15
    while time.time() < end:
        if daemon.poll() is not None:
            raise SystemExit("daemon exited with %d at start (life %d)"
                             % (daemon.returncode, life))
        try:
            st, _ = api("GET", "/v1/status", timeout=2)
            if st == 200:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    raise SystemExit("daemon did not answer 15 s after start (life %d)"
                     % life)


def upload_status():
    try:
        st, d = api("GET", "/v1/status", timeout=2)
        return d.get("upload") if st == 200 else None
    except (OSError, ValueError, AttributeError):
        return None


# -- the server ---------------------------------------------------------------

requests_seen = {}      # (ts, method, path, status) -> entry, across polls


def server():
    c = http.client.HTTPConnection("127.0.0.1", CTL, timeout=10)
    try:
        c.request("GET", "/state")
        r = c.getresponse()
        d = json.loads(r.read())
    finally:
        c.close()
    # The server keeps its last 200 requests: gather them as we go.
    for e in d["requests"]:
        requests_seen[(e["ts"], e["method"], e["path"], e["status"])] = e
    return d


# -- the files ----------------------------------------------------------------

def files(pattern):
    return sorted(glob.glob(os.path.join(LOGROOT, "*", "*", pattern)))


def spool_left():
    try:
        names = os.listdir(SPOOL)
    except OSError:
        return []
    return sorted(n for n in names if n.endswith((".job", ".tmp", ".bad")))


def unreported_logs():
    """Non-empty stderr logs without a death report next to them."""
    out = []
    for p in files("*.stderr.log"):
        base = p[:-len(".stderr.log")]
        if not os.path.exists(base + ".death.json") and \
                os.path.getsize(p) > 0:
            out.append(p)
    return out


def live_records():
    try:
        return sorted(n for n in os.listdir(LIVE) if not n.startswith("."))
    except OSError:
        return []


# -- processes left behind ----------------------------------------------------

def runner_groups():
    """{pgid: [pids]} of live processes of this instance's runners."""
    groups = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d, "rb") as f:
                st = f.read()
            rest = st[st.rindex(b")") + 2:].split()
            if rest[0] in (b"Z", b"X"):
                continue
            with open("/proc/%s/environ" % d, "rb") as f:
                env = f.read().split(b"\0")
        except (OSError, ValueError):
            continue
        if ("CRASHTRAIL_INSTANCE_ID=" + INST).encode() in env:
            groups.setdefault(int(rest[2]), []).append(int(d))
    return groups


def helper_pids(text):
    return set(re.findall(r"syncer: helper pid (\d+) started", text))


def alive(pid):
    """PID runs (not a zombie) and is crashtrail."""
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            cmd = f.read().split(b"\0")
        with open("/proc/%s/stat" % pid, "rb") as f:
            state = f.read().split(b")")[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X") and cmd[:1] == [CT.encode()]


def life_text():
    """What the daemon of the current life has logged so far."""
    with open(DLOG, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return text.rsplit("=== upload_chaos: life ", 1)[-1]


kills = 0
kills_with_helper = 0   # ... that took the syncer helper too
overlaps = 0            # starts while the killed daemon's helper still ran


def kill9():
    """SIGKILL the daemon; one time in HELPER_KILL_P its syncer helper
    too, at once (a whole cgroup killed, as systemd does after a stop
    timeout): then the helper cannot finish what the daemon had sent it.
    Return the helper pids to watch until the next start."""
    global kills, kills_with_helper
    helpers = [p for p in helper_pids(life_text()) if alive(p)]
    with_helper = rnd.random() < HELPER_KILL_P
    daemon.send_signal(signal.SIGKILL)
    if with_helper:
        for p in helpers:
            try:
                os.kill(int(p), signal.SIGKILL)
            except OSError:
                pass
        kills_with_helper += 1
    daemon.wait()
    kills += 1
    return helpers, with_helper


def stop_helpers():
    """Syncer helpers of killed daemons finish their work and exit by
    themselves; any still here now is stopped (by pid, once its command
    line says it is crashtrail)."""
    try:
        with open(DLOG, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return
    for pid in helper_pids(text):
        if alive(pid):
            notes.append("syncer helper %s still running at the end; "
                         "killed" % pid)
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass


# -- the events ---------------------------------------------------------------

def events(etype):
    out, cur = [], 0
    while True:
        st, d = api("GET", "/v1/events?type=%s&from_seq=%d&limit=1000"
                    % (etype, cur), timeout=10)
        if st != 200:
            raise SystemExit("GET /v1/events: %d %s" % (st, d))
        out += d["events"]
        if d["next_seq"] <= cur or d["next_seq"] >= d["latest_seq"]:
            return out
        cur = d["next_seq"]


# -- the test -----------------------------------------------------------------

kills_in_flight = 0     # kills with a transfer running just before
kills_backlog = 0       # ... with jobs queued
drained_after = None
exit_rc = None
try:
    log("seed %d (UPLOAD_CHAOS_SEED=%d replays it)" % (SEED, SEED))
    start("chaos")
    while True:
        deaths = len(files("*.death.json"))
        if deaths >= MIN_DEATHS and kills >= MIN_KILLS:
            break
        if time.time() - T0 > CHAOS_BUDGET:
            problems.append("only %d death reports and %d kills after %d s"
                            % (deaths, kills, CHAOS_BUDGET))
            break
        time.sleep(rnd.uniform(0.05, 1.5))
        u = upload_status()
        helpers, with_helper = kill9()
        if u and u.get("in_flight"):
            kills_in_flight += 1
        if u and u.get("backlog"):
            kills_backlog += 1
        log("kill %d (life %d%s): %s; %d death reports, %d jobs in the "
            "spool" % (kills, life, ", and its helper" if with_helper
                       else "", "in flight %s, backlog %s" %
                       (u.get("in_flight"), u.get("backlog")) if u
                       else "no status", deaths,
                       len([n for n in spool_left() if n.endswith(".job")])))
        try:
            server()
        except (OSError, ValueError):
            pass
        if rnd.random() < 0.5:
            time.sleep(rnd.uniform(0, 0.3))
        if any(alive(p) for p in helpers):
            overlaps += 1
        start("chaos")

    # The last kill, and a daemon that only drains.
    time.sleep(rnd.uniform(0.05, 1.5))
    helpers, with_helper = kill9()
    log("kill %d (life %d%s): the last; starting on final.conf" %
        (kills, life, ", and its helper" if with_helper else ""))
    if any(alive(p) for p in helpers):
        overlaps += 1
    start("final")
    t_drain = time.time()
    end = t_drain + DRAIN_DEADLINE
    while True:
        u = upload_status()
        left = spool_left()
        unrep = unreported_logs()
        lv = live_records()
        if u and u.get("backlog") == 0 and u.get("in_flight") == 0 and \
                not left and not unrep and not lv:
            drained_after = time.time() - t_drain
            break
        if time.time() > end:
            problems.append(
                "not drained %d s after the last start: daemon upload "
                "status %s; spool %s; logs without a report %s; live "
                "records %s" % (DRAIN_DEADLINE, u and {
                    k: u.get(k) for k in ("backlog", "in_flight",
                                          "succeeded", "retries",
                                          "failed_final", "swept")},
                    left[:10], unrep[:10], lv))
            break
        time.sleep(0.05)
    if drained_after is not None:
        log("drained %.2f s after the last start" % drained_after)
    succ = events("upload_succeeded")
    failed = events("upload_failed")
    deaths_published = events("runner_failed")
    daemon.send_signal(signal.SIGTERM)
    try:
        exit_rc = daemon.wait(30)
    except subprocess.TimeoutExpired:
        problems.append("the last daemon did not exit 30 s after SIGTERM")
        daemon.kill()
        exit_rc = daemon.wait()
    if exit_rc != 0:
        problems.append("the last daemon exited %s on SIGTERM" % exit_rc)
    srv = server()
finally:
    if daemon is not None and daemon.poll() is None:
        daemon.kill()
        daemon.wait()
    # Runners a failed run left (lib.sh's cleanup kills the logged ones).
    for pg, pids in runner_groups().items():
        problems.append("runner group %d still running at the end: %s"
                        % (pg, pids))
        try:
            os.killpg(pg, signal.SIGKILL)
        except OSError:
            pass
    stop_helpers()

# -- what should be on the server ---------------------------------------------

reports = files("*.death.json")
expected = {}           # sha -> (size, run_id, stderr path)
causes = {}
empty = 0
for rp in reports:
    base = rp[:-len(".death.json")]
    try:
        with open(rp) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        problems.append("%s: unreadable: %s" % (rp, e))
        continue
    cause = rep.get("exit", {}).get("cause", "?")
    causes[cause] = causes.get(cause, 0) + 1
    p = base + ".stderr.log"
    if not os.path.exists(p) or os.path.getsize(p) == 0:
        empty += 1
        continue
    with open(p, "rb") as f:
        data = f.read()
    sha = hashlib.sha256(data).hexdigest()
    if sha in expected:
        problems.append("two runs with the same log (the test's runners "
                        "must make them distinct): %s, %s"
                        % (expected[sha][2], p))
    expected[sha] = (len(data), rep.get("run_id"), p)

# -- the checks ---------------------------------------------------------------

with open(DLOG, "rb") as f:
    dtext = f.read().decode("utf-8", "replace")


def daemon_lines(word, n=8):
    ls = [ln for ln in dtext.splitlines() if word in ln]
    return ls[-n:]


try:
    with open(os.path.join(DIR, "restarts.log")) as f:
        rtext = f.read().splitlines()
except OSError:
    rtext = []


def left_by_kills(rid, base):
    """What the kills left of a run's job and report, restart by restart."""
    stem = os.path.basename(base)
    out = []
    for ln in rtext:
        names = re.findall(r"'([^']*(?:%s|%s)[^']*)'" % (re.escape(rid),
                                                       re.escape(stem)), ln)
        if names:
            out.append("%s %s" % (ln.split(":")[0], names))
    return out or "nothing"


objs = srv["objects"]
by_run = {}
for e in succ + failed:
    by_run.setdefault(e.get("run_id"), []).append(e)
for sha, (size, rid, p) in sorted(expected.items(), key=lambda x: x[1][2]):
    o = objs.get(sha)
    if o is None:
        evs = [(e["type"], e["data"].get("already_stored",
                                         e["data"].get("reason")))
               for e in by_run.get(rid, [])]
        problems.append(
            "run %s: its stderr log (%s, %d bytes, sha256 %s) is not on the "
            "server; presigned %d times; its upload events: %s; left in "
            "the spool and as report temporaries at the restarts: %s; "
            "daemon log lines naming it: %s"
            % (rid, p, size, sha, srv["presigned"].get(sha, 0), evs,
               left_by_kills(rid, p[:-len(".stderr.log")]),
               daemon_lines(rid)))
        continue
    if o["size"] != size:
        problems.append("run %s: the server holds %d bytes, the log has %d"
                        % (rid, o["size"], size))
    if o["puts"] != 1:
        problems.append("run %s: its log was PUT %d times (presigned %d "
                        "times); left in the spool and as report "
                        "temporaries at the restarts: %s; daemon log lines "
                        "naming it: %s"
                        % (rid, o["puts"], srv["presigned"].get(sha, 0),
                           left_by_kills(rid, p[:-len(".stderr.log")]),
                           daemon_lines(rid)))
for sha in sorted(set(objs) - set(expected)):
    body = srv["last_presign"].get(sha, {})
    problems.append("the server holds %s (run %s, %s bytes), which is no "
                    "non-empty stderr log of a run with a death report"
                    % (sha, body.get("run_id"), objs[sha]["size"]))
for e in failed:
    if e["data"].get("final"):
        problems.append("run %s: upload failed for good: %s"
                        % (e.get("run_id"), e["data"]))
# One death, one runner_failed (and one report): a run reported twice
# (recovered from the journal and then reclaimed from its live record,
# say) also gets two upload jobs.
published = {}
for e in deaths_published:
    published.setdefault(e.get("run_id"), []).append(
        "seq %d %s" % (e["seq"], ((e.get("data") or {}).get("exit") or {})
                       .get("cause")))
for rid, what in sorted(published.items()):
    if len(what) > 1:
        problems.append("run %s: %d runner_failed events (%s); daemon log "
                        "lines naming it: %s" % (rid, len(what),
                                                 ", ".join(what),
                                                 daemon_lines(rid)))
for p in unreported_logs():
    rid = os.path.basename(p)
    problems.append("%s (%d bytes): a run that printed and died has no "
                    "death report" % (p, os.path.getsize(p)))
left = spool_left()
if left:
    problems.append("the spool is not empty at the end: %s" % left[:20])

# Allowed, but worth seeing: one daemon's life that ended one run's upload
# twice (two jobs for it: the second can only be a 409, or a second PUT).
for n, chunk in enumerate(dtext.split("=== upload_chaos: life ")[1:], 1):
    ended = re.findall(r"upload: run (\S+) stderr \(\d+ bytes\) "
                       r"(?:stored as|was on the server already)", chunk)
    dup = sorted({r for r in ended if ended.count(r) > 1})
    if dup:
        notes.append("life %d ended the upload of run(s) %s more than once"
                     % (n, dup))

already = [e for e in succ if e["data"].get("already_stored")]
conflicts = sum(1 for e in requests_seen.values()
                if e["method"] == "POST" and e["status"] == 409)
cut = sum(1 for e in requests_seen.values()
          if e["method"] == "PUT" and e["status"] == 0)
recovered = dtext.count("death report written from the journal")
log("%d runs with a death report (%s), %d with an empty log; %d logs "
    "expected, %d objects on the server; %d presigns, %d PUTs stored of "
    "%d PUT requests; %d upload_succeeded events, %d of them already "
    "stored (409; %d 409s seen by the server); %d retried failures; "
    "%d reports recovered from the journal"
    % (len(reports), ", ".join("%s: %d" % kv for kv in sorted(
        causes.items())), empty, len(expected), len(objs),
       srv["presigns"], srv["puts"], srv["put_requests"], len(succ),
       len(already), conflicts, sum(1 for e in failed
                                    if not e["data"].get("final")),
       recovered))
log("%d daemon lives, %d kills (SIGKILL; %d took the syncer helper too), "
    "%d with a transfer in flight, %d with jobs queued; %d PUTs cut short "
    "by a kill (seen by the server); %d starts while the killed daemon's "
    "syncer helper was still at work" % (life, kills, kills_with_helper,
                                         kills_in_flight, kills_backlog, cut,
                                         overlaps))
for n in notes:
    print("NOTE:", n)
for p in problems[:25]:
    print("PROBLEM:", p)
if len(problems) > 25:
    print("PROBLEM: ... and %d more" % (len(problems) - 25))
log("seed %d: %s" % (SEED, "FAILED" if problems else "ok"))
sys.exit(1 if problems else 0)
