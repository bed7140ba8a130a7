"""upload_faults.py -- the checks of upload_faults.sh: crashtrail's
crash-log uploader (DESIGN.md 10) against upload_server.py misbehaving
in every way it knows.

  python3 upload_faults.py runners
      print the [runner:NAME] sections of the scenarios (and of `tick`)
  python3 upload_faults.py check DIR SERVERDIR SERVER_PID
      run the scenarios against the daemon whose state_dir is DIR/state
      and the upload server whose ports are in SERVERDIR/ports; each
      failure is also a line in DIR/upload_faults.failed

One runner per scenario, in the order of SCENARIOS, one after the other
in the one daemon: queue the scenario's faults on the server, start the
runner (it writes its stderr and exits 3), find its run in the
runner_failed events, wait (with a deadline) for the run's final upload
event (upload_succeeded, or upload_failed with final=true), check it,
the non-final upload_failed events before it and the server's state,
then wait until the daemon has no upload job left.  After all of them:
the daemon's upload counters agree with the events, the spool is empty,
and `tick`, a runner that prints a line every 0.1 s, has run on with the
same pid throughout.
UPLOAD_FAULTS_ONLY="name ..." runs only those scenarios (for debugging);
UPLOAD_FAULTS_VERBOSE=1 shows every scenario's events and requests, as a
failed one's are shown.
A failed check is reported and the next scenario runs; a deadline missed
stops the test (a job may still be queued, the rest would not mean much).
"""
import datetime
import glob
import hashlib
import http.client
import json
import os
import signal
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
import ctapi  # noqa: E402 (next to this script)

BIG = 1 << 20           # bytes of stderr for the runners that write a lot
RANDOM = "random"       # in SCENARIOS: the runner writes BIG random bytes
MAX_ATTEMPTS = 4        # upload_max_attempts in upload_faults.sh
DEADLINE = 15           # seconds a scenario's upload may take by default
ANY = object()          # attempts=ANY: whatever the daemon counted


class Failed(Exception):
    """A check that did not hold."""


class Timeout(Exception):
    """A deadline missed: the test cannot go on."""


def check(cond, msg, *args):
    if not cond:
        raise Failed(msg % args if args else msg)


def poll(what, deadline, fn, every=0.05):
    """FN's first truthy answer, polled until DEADLINE seconds pass."""
    end = time.time() + deadline
    while True:
        v = fn()
        if v:
            return v
        if time.time() > end:
            raise Timeout("%s: not after %g s" % (what, deadline))
        time.sleep(every)


def ts(envelope):
    """An event's ts (RFC 3339, UTC, microseconds) in unix seconds."""
    t = datetime.datetime.strptime(envelope["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


# -- the daemon and the server ---------------------------------------------

class Ctx:
    """The daemon's API, the server's control port, what the scenarios
    leave for the final checks."""

    def __init__(self, tdir, sdir, spid):
        self.state = os.path.join(tdir, "state")
        self.sock = os.path.join(self.state, "crashtrail.sock")
        self.sdir = sdir
        self.spid = spid
        with open(os.path.join(sdir, "ports")) as f:
            kv = dict(w.split("=") for w in f.read().split())
        self.port, self.ctl_port = int(kv["PORT"]), int(kv["CTL"])
        self.server_up = True
        self.last_run = None        # for the report of a failed check
        self.quiet_runs = []        # run ids that must get no upload

    def api(self, method, path, body=b"", timeout=10):
        st, b = ctapi.request(self.sock, method, path, body, timeout=timeout)
        try:
            return st, json.loads(b)
        except ValueError:
            return st, b

    def status(self):
        st, d = self.api("GET", "/v1/status")
        check(st == 200, "GET /v1/status: %s %s", st, d)
        return d

    def upload_status(self):
        u = self.status().get("upload")
        check(isinstance(u, dict), "/v1/status has no \"upload\" object")
        return u

    def latest_seq(self):
        return self.status()["events"]["latest_seq"]

    def events(self, etype, after=0):
        """Every event of type ETYPE after seq AFTER, oldest first."""
        out, cur = [], after
        while True:
            st, d = self.api("GET", "/v1/events?type=%s&from_seq=%d"
                             % (etype, cur))
            check(st == 200, "GET /v1/events: %s %s", st, d)
            out += d["events"]
            if d["next_seq"] <= cur or d["next_seq"] >= d["latest_seq"]:
                return out
            cur = d["next_seq"]

    def ctl(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.ctl_port, timeout=10)
        try:
            c.request(method, path,
                      json.dumps(body) if body is not None else None)
            r = c.getresponse()
            d = json.loads(r.read())
            check(r.status == 200, "server %s %s: %s %s", method, path,
                  r.status, d)
            return d
        finally:
            c.close()

    def server(self):
        return self.ctl("GET", "/state")

    def fault(self, what, count=1, arg=None):
        f = {"what": what, "count": count}
        if arg is not None:
            f["arg"] = arg
        self.ctl("POST", "/fault", f)

    def reset(self):
        if self.server_up:
            self.ctl("POST", "/reset")


class Run:
    """One run of a scenario's runner and the upload of its stderr log."""

    def __init__(self, name, envelope, mark):
        self.name = name
        self.mark = mark            # the latest seq before it started
        self.run_id = envelope["run_id"]
        self.instance_id = envelope.get("instance_id")
        self.report = envelope["data"]
        self.log = b""
        path = (self.report.get("stderr_log") or {}).get("path")
        if path and os.path.exists(path):
            with open(path, "rb") as f:
                self.log = f.read()
        self.sha = hashlib.sha256(self.log).hexdigest()
        self.size = len(self.log)
        self.final = None           # the final upload event
        self.failures = []          # the upload_failed ones before it
        self.all = []               # every upload event of the run

    @property
    def ok(self):
        return (self.final is not None
                and self.final["type"] == "upload_succeeded")

    @property
    def data(self):
        return self.final["data"]

    def __str__(self):
        return "%s (run %s)" % (self.name, self.run_id)


def begin(ctx, name, faults=()):
    """Clear the server's faults, queue FAULTS ((what, count[, arg])),
    start runner NAME and wait for its end: its Run."""
    ctx.reset()
    for f in faults:
        ctx.fault(*f)
    mark = ctx.latest_seq()
    st, d = ctx.api("POST", "/v1/runners/%s/start" % name)
    check(st == 200, "start %s: %s %s", name, st, d)

    def ended():
        for t in ("runner_failed", "runner_exited"):
            for e in ctx.events(t, mark):
                if e.get("runner_id") == name:
                    return e
        return None
    ctx.last_run = Run(name, poll("%s: the run's end" % name, 10, ended),
                       mark)
    return ctx.last_run


def upload_events(ctx, run):
    evs = (ctx.events("upload_succeeded", run.mark)
           + ctx.events("upload_failed", run.mark))
    evs = [e for e in evs if e.get("run_id") == run.run_id]
    return sorted(evs, key=lambda e: e["seq"])


def finish(ctx, run, deadline=DEADLINE):
    """Wait for RUN's final upload event; fill in run.final, run.failures;
    the checks every upload must pass."""
    def final():
        run.all = upload_events(ctx, run)
        for e in run.all:
            if e["data"].get("file") != "stderr":
                continue
            if e["type"] == "upload_succeeded" or e["data"].get("final"):
                return e
        return None
    try:
        run.final = poll("%s: the final upload event" % run, deadline, final)
    except Timeout as e:
        raise Timeout("%s; upload events of the run: %s" % (e, [
            (x["type"], x["data"]) for x in run.all] or "none"))
    stderr = [e for e in run.all if e["data"].get("file") == "stderr"]
    run.failures = [e for e in stderr if e["seq"] < run.final["seq"]]
    later = [e for e in stderr if e["seq"] > run.final["seq"]]
    check(not later, "%s: upload events after the final one: %s", run, later)
    for e in stderr:
        d = e["data"]
        check(d.get("sha256") == run.sha and d.get("size") == run.size,
              "%s: %s says sha256 %s size %s, the log has %s, %d bytes",
              run, e["type"], d.get("sha256"), d.get("size"), run.sha,
              run.size)
        check(e.get("runner_id") == run.name, "%s: %s has runner_id %s",
              run, e["type"], e.get("runner_id"))
    for e in run.failures:
        d = e["data"]
        check(e["type"] == "upload_failed" and d.get("final") is False,
              "%s: before the final event: %s %s", run, e["type"], d)
        check(isinstance(d.get("retry_in_ms"), int) and d["retry_in_ms"] >= 0,
              "%s: a retried failure without retry_in_ms: %s", run, d)
        check(isinstance(d.get("reason"), str) and d["reason"],
              "%s: a failure without a reason: %s", run, d)
    if not run.ok:
        check(isinstance(run.data.get("reason"), str) and run.data["reason"],
              "%s: a final failure without a reason: %s", run, run.data)
        check("retry_in_ms" not in run.data,
              "%s: a final failure with retry_in_ms: %s", run, run.data)
    check(isinstance(run.data.get("attempts"), int),
          "%s: no attempts in %s", run, run.data)
    if ctx.server_up:
        body = ctx.server()["last_presign"].get(run.sha)
        if body is not None:
            want = {"sha256": run.sha, "size": run.size,
                    "run_id": run.run_id, "runner_id": run.name,
                    "instance_id": run.instance_id,
                    "cause": run.report["exit"]["cause"]}
            got = {k: body.get(k) for k in want}
            check(got == want, "%s: presign body %s, wanted %s", run,
                  body, want)
    return run


def upload(ctx, name, faults=(), deadline=DEADLINE):
    return finish(ctx, begin(ctx, name, faults), deadline)


def settled(ctx):
    """Wait until the daemon has no upload job: nothing queued or in
    flight, no job file in the spool."""
    def idle():
        u = ctx.upload_status()
        jobs = glob.glob(os.path.join(ctx.state, "spool", "*.job"))
        return (u.get("backlog") == 0 and u.get("in_flight") == 0
                and not jobs)
    poll("no upload job left (backlog, in_flight, spool/*.job)", 5, idle)


# -- what an outcome must look like -----------------------------------------

def succeeded(ctx, run, attempts=None, already_stored=False):
    """RUN's upload succeeded after ATTEMPTS attempts (default: one more
    than its retried failures; ANY: not checked), and the server holds
    the log's exact bytes, put once."""
    check(run.ok, "%s: wanted success, got %s", run,
          run.final and run.final["data"])
    d = run.data
    check(d.get("file") == "stderr", "%s: file %s", run, d.get("file"))
    check(d.get("already_stored") is already_stored,
          "%s: already_stored is %s, wanted %s", run,
          d.get("already_stored"), already_stored)
    if not already_stored:
        key = "logs/%s/%s" % (run.run_id, run.sha)
        check(d.get("key") == key, "%s: key %s, wanted %s", run,
              d.get("key"), key)
    if attempts is None:
        attempts = 1 + len(run.failures)
    check(attempts is ANY or d.get("attempts") == attempts,
          "%s: attempts %s, wanted %s", run, d.get("attempts"), attempts)
    o = ctx.server()["objects"].get(run.sha)
    check(o is not None, "%s: the server has no object %s", run, run.sha)
    check(o["size"] == run.size and o["puts"] == 1,
          "%s: the server has %s, wanted size %d put once", run, o, run.size)
    with open(os.path.join(ctx.sdir, "objects", run.sha), "rb") as f:
        check(f.read() == run.log, "%s: stored bytes differ from the log",
              run)


def failed_final(ctx, run, status=None, reasons=(), attempts=None):
    """RUN's upload failed for good: final=true, with STATUS (when not
    None), a reason containing one of REASONS (any case), after ATTEMPTS
    attempts (as for succeeded); the server stored nothing."""
    check(not run.ok, "%s: wanted a final failure, got success %s", run,
          run.data)
    d = run.data
    check(d.get("final") is True, "%s: final is %s", run, d.get("final"))
    if status is not None:
        check(d.get("status") == status, "%s: status %s, wanted %s", run,
              d.get("status"), status)
    if reasons:
        r = d.get("reason", "").lower()
        check(any(w.lower() in r for w in reasons),
              "%s: reason %r mentions none of %s", run, d.get("reason"),
              list(reasons))
    if attempts is None:
        attempts = 1 + len(run.failures)
    check(attempts is ANY or d.get("attempts") == attempts,
          "%s: attempts %s, wanted %s", run, d.get("attempts"), attempts)
    if ctx.server_up:
        o = ctx.server()["objects"].get(run.sha)
        check(o is None, "%s: the server stored it anyway: %s", run, o)


def retried(run, n=None, status=None, reasons=()):
    """RUN's upload had N retried failures (at least one when N is None),
    each with STATUS and a reason containing one of REASONS."""
    if n is None:
        check(run.failures, "%s: wanted retried failures, saw none", run)
    else:
        check(len(run.failures) == n, "%s: %d retried failures, wanted %d: %s",
              run, len(run.failures), n, [e["data"] for e in run.failures])
    for e in run.failures:
        d = e["data"]
        if status is not None:
            check(d.get("status") == status, "%s: a failure with status %s, "
                  "wanted %s: %s", run, d.get("status"), status, d)
        if reasons:
            check(any(w.lower() in d["reason"].lower() for w in reasons),
                  "%s: reason %r mentions none of %s", run, d["reason"],
                  list(reasons))


def no_failures(run):
    retried(run, 0)


def server_requests(ctx, sha, method=None):
    return [r for r in ctx.server()["requests"] if r.get("sha") == sha
            and (method is None or r["method"] == method)]


def retry_waited(ctx, run, at_least):
    """The retry after RUN's one 503 came AT_LEAST seconds later: by the
    events' ts, by the server's clock and by retry_in_ms."""
    f = run.failures[0]
    gap = ts(run.final) - ts(f)
    check(gap >= at_least, "%s: success %.3f s after the 503, wanted >= %g",
          run, gap, at_least)
    check(f["data"]["retry_in_ms"] >= at_least * 1000,
          "%s: retry_in_ms %s after a 503 asking for more", run,
          f["data"]["retry_in_ms"])
    p = server_requests(ctx, run.sha, "POST")
    check(len(p) >= 2 and p[0]["status"] == 503,
          "%s: the server saw presigns %s", run, p)
    gap = p[1]["ts"] - p[0]["ts"]
    check(gap >= at_least, "%s: presign again %.3f s after the 503 (server's "
          "clock), wanted >= %g", run, gap, at_least)


# -- the scenarios ---------------------------------------------------------

def s_plain(ctx):
    run = upload(ctx, "plain")
    no_failures(run)
    succeeded(ctx, run, attempts=1)
    check(len(server_requests(ctx, run.sha, "PUT")) == 1,
          "plain: more than one PUT")


def s_big(ctx):
    run = upload(ctx, "big")
    check(run.size == BIG, "big: %d bytes of stderr, wanted %d", run.size,
          BIG)
    no_failures(run)
    succeeded(ctx, run, attempts=1)


def s_quiet(ctx):
    # A clean end and an abnormal end with nothing on stderr: no upload.
    # That nothing came for them is checked at the end, once every job
    # the daemon made has ended.
    for name in ("clean", "silent"):
        run = begin(ctx, name)
        ctx.quiet_runs.append(run.run_id)
    settled(ctx)


def s_already_stored(ctx):
    # Its stderr is plain's, byte for byte: presign answers 409.
    before = ctx.server()
    run = upload(ctx, "dup")
    no_failures(run)
    succeeded(ctx, run, attempts=1, already_stored=True)
    after = ctx.server()
    check(after["put_requests"] == before["put_requests"],
          "dup: a PUT for an object already stored")


def s_presign500(ctx):
    run = upload(ctx, "presign500", [("presign500", 2)])
    retried(run, 2, status=500)
    succeeded(ctx, run, attempts=3)


def s_presign503(ctx):
    run = upload(ctx, "presign503", [("presign503", 1, 1)])
    retried(run, 1, status=503)
    succeeded(ctx, run, attempts=2)
    retry_waited(ctx, run, 0.9)


def s_presign503date(ctx):
    # An HTTP-date 2 s ahead, rounded up to the second: at least 1 s.
    run = upload(ctx, "presign503date", [("presign503date", 1, 2)])
    retried(run, 1, status=503)
    succeeded(ctx, run, attempts=2)
    retry_waited(ctx, run, 1.0)


def s_presign413(ctx):
    run = upload(ctx, "presign413", [("presign413", 1)])
    no_failures(run)
    failed_final(ctx, run, status=413, attempts=1)


def s_presign400(ctx):
    run = upload(ctx, "presign400", [("presign400", 1)])
    no_failures(run)
    failed_final(ctx, run, status=400, attempts=1)


def s_exhausted(ctx):
    # 500s are retried, but only upload_max_attempts times.
    run = upload(ctx, "exhausted", [("presign500", MAX_ATTEMPTS)])
    retried(run, MAX_ATTEMPTS - 1, status=500)
    failed_final(ctx, run, status=500, attempts=MAX_ATTEMPTS)


def s_maxsize(ctx):
    run = upload(ctx, "maxsize", [("maxsize", 1, 5)])
    no_failures(run)
    failed_final(ctx, run, reasons=["maxsize"], attempts=1)
    check(not server_requests(ctx, run.sha, "PUT"),
          "maxsize: a PUT of %d bytes after maxSize 5", run.size)


def s_put403(ctx):
    run = upload(ctx, "put403", [("put403", 1)])
    succeeded(ctx, run, attempts=ANY)
    n = ctx.server()["presigned"].get(run.sha, 0)
    check(n >= 2, "put403: presigned %d times, wanted a new URL after the 403",
          n)


def s_expired(ctx):
    # The URL handed out has expired already (expiresIn 0).
    run = upload(ctx, "expired", [("expire", 1, 0)])
    succeeded(ctx, run, attempts=ANY)
    n = ctx.server()["presigned"].get(run.sha, 0)
    check(n >= 2, "expired: presigned %d times, wanted a fresh URL", n)


def s_put500(ctx):
    run = upload(ctx, "put500", [("put500", 1)])
    retried(run, 1, status=500)
    succeeded(ctx, run, attempts=2)


def s_put413(ctx):
    run = upload(ctx, "put413", [("put413", 1)])
    no_failures(run)
    failed_final(ctx, run, status=413, attempts=1)


def s_put_exhausted(ctx):
    # A PUT that keeps failing uses up the attempts too.
    run = upload(ctx, "put_exhausted", [("put500", MAX_ATTEMPTS)])
    failed_final(ctx, run, status=500, attempts=MAX_ATTEMPTS)
    retried(run, MAX_ATTEMPTS - 1, status=500)


def s_truncated(ctx):
    run = upload(ctx, "truncated", [("truncated", 2)])
    retried(run, 2)
    succeeded(ctx, run, attempts=3)


def s_oversized(ctx):
    run = upload(ctx, "oversized", [("oversized", 1)])
    retried(run, 1)
    succeeded(ctx, run, attempts=2)


def s_badjson(ctx):
    run = upload(ctx, "badjson", [("badjson", 1)])
    retried(run, 1)
    succeeded(ctx, run, attempts=2)


def s_reset_body(ctx):
    # 1 MiB, so the RST comes while the body is still being sent.
    run = upload(ctx, "reset_body", [("reset_body", 1)])
    retried(run, 1)
    succeeded(ctx, run, attempts=2)


def s_stall(ctx):
    # The handshake never starts: upload_timeout (2 s), then a retry.
    # Meanwhile the daemon answers at once.
    run = begin(ctx, "stall", [("stall", 1)])
    poll("stall: the daemon's connection held by the server", 10,
         lambda: ctx.server()["held"] >= 1)
    t0 = time.time()
    st, d = ctx.api("GET", "/v1/status", timeout=5)
    took = time.time() - t0
    check(st == 200 and took < 2, "stall: /v1/status answered %s after "
          "%.3f s during a stalled upload", st, took)
    u = d.get("upload", {})
    check(u.get("in_flight", 0) + u.get("backlog", 0) >= 1,
          "stall: an upload is stalled, /v1/status says %s", u)
    check(glob.glob(os.path.join(ctx.state, "spool", "*.job")),
          "stall: no job file in the spool while its upload is stalled")
    finish(ctx, run, deadline=20)
    retried(run, 1, reasons=["timeout", "timed out"])
    succeeded(ctx, run, attempts=2)


def s_refuse(ctx):
    run = upload(ctx, "refuse", [("refuse", 2)])
    retried(run, 2)
    succeeded(ctx, run, attempts=3)


def s_wrongca(ctx):
    run = upload(ctx, "wrongca", [("wrongca", 10)])
    retried(run, MAX_ATTEMPTS - 1, reasons=["certificate", "verif"])
    failed_final(ctx, run, reasons=["certificate", "verif"],
                 attempts=MAX_ATTEMPTS)


def s_wronghost(ctx):
    run = upload(ctx, "wronghost", [("wronghost", 10)])
    retried(run, MAX_ATTEMPTS - 1, reasons=["certificate", "verif"])
    failed_final(ctx, run, reasons=["certificate", "verif"],
                 attempts=MAX_ATTEMPTS)


def s_server_down(ctx):
    # The server refuses (closes before TLS) the next MAX_ATTEMPTS - 1
    # connections, then is back: the last attempt succeeds.  A count, not
    # a reset timed against the retries, so a slow machine cannot lose
    # the race with the backoff.
    run = begin(ctx, "server_down", [("refuse", MAX_ATTEMPTS - 1)])
    finish(ctx, run)
    check(run.ok, "server_down: wanted success on the last attempt, got %s",
          run.data)
    retried(run, n=MAX_ATTEMPTS - 1)
    succeeded(ctx, run, attempts=MAX_ATTEMPTS)


def s_down(ctx):
    # Last: the server is gone for good (connections refused by the
    # kernel): every attempt fails, then a final failure.
    os.kill(ctx.spid, signal.SIGTERM)

    def gone():
        try:
            socket.create_connection(("127.0.0.1", ctx.port), 1).close()
            return False
        except ConnectionRefusedError:
            return True
        except OSError:
            # Reset or timed out while it shuts down: not gone yet.
            return False
    poll("the server's exit", 10, gone)
    ctx.server_up = False
    run = upload(ctx, "down")
    retried(run, MAX_ATTEMPTS - 1)
    failed_final(ctx, run, status=0, reasons=["refused", "connect"],
                 attempts=MAX_ATTEMPTS)


# name: the scenario's runner (quiet has two: clean and silent);
# stderr: what it writes before exit 3 (None: "boom NAME"; RANDOM)
SCENARIOS = [
    # name              check               stderr
    ("plain",           s_plain,            None),
    ("big",             s_big,              RANDOM),
    ("quiet",           s_quiet,            None),
    ("dup",             s_already_stored,   "boom plain"),
    ("presign500",      s_presign500,       None),
    ("presign503",      s_presign503,       None),
    ("presign503date",  s_presign503date,   None),
    ("presign413",      s_presign413,       None),
    ("presign400",      s_presign400,       None),
    ("exhausted",       s_exhausted,        None),
    ("maxsize",         s_maxsize,          None),
    ("put403",          s_put403,           None),
    ("expired",         s_expired,          None),
    ("put500",          s_put500,           None),
    ("put413",          s_put413,           None),
    ("put_exhausted",   s_put_exhausted,    None),
    ("truncated",       s_truncated,        None),
    ("oversized",       s_oversized,        None),
    ("badjson",         s_badjson,          None),
    ("reset_body",      s_reset_body,       RANDOM),
    ("stall",           s_stall,            None),
    ("refuse",          s_refuse,           None),
    ("wrongca",         s_wrongca,          None),
    ("wronghost",       s_wronghost,        None),
    ("server_down",     s_server_down,      None),
    ("down",            s_down,             None),
]

TICK = "/bin/sh -c 'while :; do echo t; sleep 0.1; done'"


def runner(name, command, autostart=False):
    return ("[runner:%s]\ncommand = %s\nautostart = %s\nautorestart = never\n"
            "startsecs = 0\n" % (name, command, "yes" if autostart else "no"))


def runners():
    out = [runner("tick", TICK, autostart=True)]
    for name, _, stderr in SCENARIOS:
        if name == "quiet":
            out.append(runner("clean",
                              "/bin/sh -c 'echo clean end >&2; exit 0'"))
            out.append(runner("silent", "/bin/sh -c 'exit 3'"))
        elif stderr == RANDOM:
            out.append(runner(name, "/bin/sh -c 'head -c %d /dev/urandom "
                              ">&2; exit 3'" % BIG))
        else:
            out.append(runner(name, "/bin/sh -c 'echo %s >&2; exit 3'"
                              % (stderr or "boom " + name)))
    return "\n".join(out)


# -- the whole run ---------------------------------------------------------

def tick_state(ctx):
    st, d = ctx.api("GET", "/v1/runners")
    check(st == 200, "GET /v1/runners: %s", st)
    for r in d["runners"]:
        if r["runner_id"] == "tick":
            return r
    raise Failed("no runner tick")


def tick_stdout(ctx, run_id):
    st, d = ctx.api("GET", "/v1/runs/%s" % run_id)
    check(st == 200, "GET /v1/runs/%s: %s %s", run_id, st, d)
    path = (d.get("stdout_log") or {}).get("path")
    if path is None:
        files = glob.glob(os.path.join(ctx.state, "runner_log", "*", "tick",
                                       "*.stdout.log"))
        check(len(files) == 1, "tick's stdout logs: %s", files)
        path = files[0]
    return os.path.getsize(path)


def final_checks(ctx, tick, tick_bytes):
    settled(ctx)
    u = ctx.upload_status()
    succ = ctx.events("upload_succeeded")
    fail = ctx.events("upload_failed")
    n_already = sum(1 for e in succ if e["data"].get("already_stored"))
    n_final = sum(1 for e in fail if e["data"].get("final"))
    print("upload status at the end: %s" % json.dumps(u))
    check(u.get("enabled") is True, "upload.enabled is %s", u.get("enabled"))
    check(u.get("dropped") == 0, "upload.dropped is %s", u.get("dropped"))
    check(u.get("succeeded") in (len(succ), len(succ) - n_already),
          "upload.succeeded %s; %d upload_succeeded events, %d of them "
          "already stored", u.get("succeeded"), len(succ), n_already)
    check(u.get("already_stored") == n_already,
          "upload.already_stored %s, %d events say so",
          u.get("already_stored"), n_already)
    check(u.get("failed_final") == n_final,
          "upload.failed_final %s, %d final upload_failed events",
          u.get("failed_final"), n_final)
    check(u.get("retries") == len(fail) - n_final,
          "upload.retries %s, %d retried upload_failed events",
          u.get("retries"), len(fail) - n_final)
    for e in succ + fail:
        check(e.get("run_id") not in ctx.quiet_runs,
              "an upload for a run that needs none: %s %s", e["type"],
              e.get("run_id"))
    now = tick_state(ctx)
    check(now["state"] == "RUNNING" and now["pid"] == tick["pid"]
          and now["run_id"] == tick["run_id"],
          "tick was disturbed: %s at the start, %s now", tick, now)
    os.kill(tick["pid"], 0)
    st, d = ctx.api("GET", "/v1/runs?runner=tick&state=live")
    check(st == 200 and [r["run_id"] for r in d["runs"]] == [tick["run_id"]],
          "tick's live runs: %s %s", st, d)
    for t in ("runner_exited", "runner_failed"):
        ends = [e for e in ctx.events(t) if e.get("runner_id") == "tick"]
        check(not ends, "tick ended: %s", ends)
    b = tick_stdout(ctx, tick["run_id"])
    check(b > tick_bytes, "tick's stdout stopped growing (%d bytes, %d at "
          "the start)", b, tick_bytes)


def show(ctx):
    """After a failed check: the upload events of the scenario's last run
    and what the server saw of its sha256."""
    run = ctx.last_run
    if run is None:
        return
    try:
        for e in upload_events(ctx, run):
            print("     event %s %s %s" % (e["ts"], e["type"],
                                          json.dumps(e["data"])))
        if ctx.server_up:
            for r in server_requests(ctx, run.sha):
                print("     server %.3f %s %s %s %s" % (
                    r["ts"], r["method"], r["path"][:20], r["status"],
                    r.get("fault", "")))
    except (OSError, Failed) as e:
        print("     (%s)" % e)


def main_check(tdir, sdir, spid):
    ctx = Ctx(tdir, sdir, spid)

    def tick_running():
        r = tick_state(ctx)
        return r if r["state"] == "RUNNING" and r["pid"] else None
    tick = poll("tick running", 10, tick_running)
    tick_bytes = tick_stdout(ctx, tick["run_id"])
    only = os.environ.get("UPLOAD_FAULTS_ONLY", "").split()
    failed = []
    summary = open(os.path.join(tdir, "upload_faults.failed"), "w")

    def report(line):
        print(line, flush=True)
        summary.write(line[:300] + "\n")
        summary.flush()
    for name, fn, _ in SCENARIOS:
        if only and name not in only:
            continue
        t0 = time.time()
        ctx.last_run = None
        try:
            fn(ctx)
            settled(ctx)
            print("ok   %-16s %.2f s" % (name, time.time() - t0), flush=True)
            if os.environ.get("UPLOAD_FAULTS_VERBOSE"):
                show(ctx)
        except Failed as e:
            report("FAIL %-16s %s" % (name, e))
            show(ctx)
            failed.append(name)
        except Timeout as e:
            report("FAIL %-16s %s (stopping here)" % (name, e))
            show(ctx)
            return 1
        finally:
            try:
                ctx.reset()
            except (OSError, Failed):
                pass
    try:
        final_checks(ctx, tick, tick_bytes)
        print("ok   final checks")
    except (Failed, Timeout) as e:
        report("FAIL final checks: %s" % e)
        failed.append("final checks")
    if failed:
        print("failed: %s" % " ".join(failed))
        return 1
    return 0


def main():
    if sys.argv[1:2] == ["runners"]:
        print(runners())
        return 0
    if sys.argv[1:2] == ["check"] and len(sys.argv) == 5:
        return main_check(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    sys.stderr.write(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(main())
