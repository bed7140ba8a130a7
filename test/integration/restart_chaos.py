"""restart_chaos.py -- the checks of restart_chaos.sh.

Usage: python3 restart_chaos.py CRASHTRAIL CONF DIR INSTANCE_ID
Starts crashtrail on CONF, kills it with SIGKILL at random moments and
starts it again, ten times, while:
  - a monitor thread reads /proc every few ms and counts, per runner, the
    process groups whose live (not zombie) members carry that runner's
    CRASHTRAIL_RUNNER_ID: never more than one;
  - an SSE client stays connected, reconnecting with Last-Event-ID.
Then: every seq received is unique and increasing, none the journal holds
was missed, every runner_failed run id is answered by /v1/runs/{id}, and
the runs left behind were reported with cause collector_restarted.
Every process it starts is stopped by pid; the daemon's logs are appended
to DIR/daemon.log so lib.sh's cleanup finds the runners' groups too.
"""
import functools
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the tree
import ctapi  # noqa: E402 (next to this script)

CT, CONF, DIR, INST = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
SOCK = os.path.join(DIR, "state", "crashtrail.sock")
request = functools.partial(ctapi.request, SOCK)
RUNNERS = ["crash1", "crash2", "crash3", "sleep1", "sleep2", "sleep3",
           "stream1", "stream2"]
random.seed(int(os.environ.get("CHAOS_SEED", str(int(time.time())))))
daemon = None
problems = []


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def start():
    global daemon
    lf = open(os.path.join(DIR, "daemon.log"), "ab")
    daemon = subprocess.Popen([CT, "run", "-c", CONF], stdout=lf, stderr=lf)
    lf.close()

    def answers():
        try:
            return request("GET", "/v1/status", timeout=2)[0] == 200
        except OSError:
            return False
    try:
        ctapi.poll("the daemon to answer after its start", answers, 30)
    except ctapi.Timeout as e:
        raise SystemExit(str(e))


def kill9():
    daemon.send_signal(signal.SIGKILL)
    daemon.wait()


# -- the /proc monitor -------------------------------------------------------

def runner_groups():
    """{runner: set(pgid)} of live processes, from /proc only."""
    groups = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d, "rb") as f:
                st = f.read()
            rest = st[st.rindex(b")") + 2:].split()
            state, pgrp = rest[0], int(rest[2])
            if state in (b"Z", b"X"):
                continue
            with open("/proc/%s/environ" % d, "rb") as f:
                env = f.read().split(b"\0")
        except (OSError, ValueError):
            continue
        if ("CRASHTRAIL_INSTANCE_ID=" + INST).encode() not in env:
            continue
        for e in env:
            if e.startswith(b"CRASHTRAIL_RUNNER_ID="):
                r = e.split(b"=", 1)[1].decode()
                if r in RUNNERS:
                    groups.setdefault(r, set()).add(pgrp)
    return groups


stop_monitor = threading.Event()
samples = [0]


def monitor():
    while not stop_monitor.is_set():
        g = runner_groups()
        samples[0] += 1
        for r, pg in g.items():
            if len(pg) > 1:
                # Confirm: a group that is just going may still be listed.
                time.sleep(0.005)
                again = runner_groups().get(r, set())
                if len(again) > 1:
                    problems.append("%s: %d process groups at once: %s" %
                                    (r, len(again), sorted(again)))
        time.sleep(0.003)


# -- the SSE client ----------------------------------------------------------

received = []          # seqs, in the order they came
failed_runs = set()    # run ids of runner_failed events
restarted_runs = set()  # ... whose cause was collector_restarted
frames_seen = {"gap": 0, "reset": 0}
last_id = [None]
stop_client = threading.Event()


def client():
    while not stop_client.is_set():
        try:
            q = "?replay=all" if last_id[0] is None else ""
            st = ctapi.Stream(SOCK, q, last_id[0], timeout=0.5, expect=None)
        except OSError:
            time.sleep(0.05)
            continue
        while not stop_client.is_set():
            try:
                b = st.s.recv(1 << 16)
            except socket.timeout:
                continue
            except OSError:
                break
            if not b:
                break
            for f in st.feed(b):
                fid, ev, d = f
                if ev is None:
                    continue
                if ev in frames_seen:
                    frames_seen[ev] += 1
                    problems.append("unexpected %s frame: %r" % (ev, f))
                    continue
                seq = int(fid)
                received.append(seq)
                last_id[0] = seq
                if d["seq"] != seq:
                    problems.append("frame id %d, envelope seq %d" %
                                    (seq, d["seq"]))
                if ev == "runner_failed":
                    failed_runs.add(d["run_id"])
                    if d["data"] and d["data"]["exit"]["cause"] == \
                            "collector_restarted":
                        restarted_runs.add(d["run_id"])
        st.close()


def live_run_ids(names):
    st, body = request("GET", "/v1/runners")
    out = {}
    for r in json.loads(body)["runners"]:
        if r["runner_id"] in names and r.get("run_id"):
            out[r["runner_id"]] = r["run_id"]
    return out


try:
    start()
    mon = threading.Thread(target=monitor, daemon=True)
    cl = threading.Thread(target=client, daemon=True)
    mon.start()
    cl.start()
    left_behind = set()
    for k in range(10):
        time.sleep(random.uniform(0.4, 1.6))
        # The long runners' current runs: each must come back as
        # collector_restarted after this kill.
        try:
            runs = live_run_ids(["sleep1", "sleep2", "sleep3", "stream1",
                                 "stream2"])
        except (OSError, KeyError, ValueError):
            runs = {}
        # A random moment, not just after an answer.
        time.sleep(random.uniform(0, 0.3))
        kill9()
        left_behind.update(runs.values())
        log("kill %d: daemon killed; %d long runs left behind" %
            (k + 1, len(runs)))
        time.sleep(random.uniform(0, 0.5))
        start()

    # The last start settles: every run left behind reported, each long
    # runner in one group again.  (Not an error here if it does not come:
    # the checks below then say what is missing.)
    def settled():
        g = runner_groups()
        return left_behind <= restarted_runs and \
            all(len(g.get(r, ())) == 1 for r in RUNNERS if r[:5] != "crash") \
            and all(len(v) == 1 for v in g.values())
    try:
        ctapi.poll("the last start to settle", settled, 20)
    except ctapi.Timeout as e:
        log(str(e))
    # Everything the journal holds, by paging /v1/events.
    journal = []
    nxt = 0
    while True:
        st, body = request("GET", "/v1/events?from_seq=%d&limit=1000" % nxt)
        d = json.loads(body)
        journal += [e["seq"] for e in d["events"]]
        if d["next_seq"] == nxt or not d["events"]:
            break
        nxt = d["next_seq"]
    try:
        ctapi.poll("the client to catch up with the journal", lambda:
                   not journal or (last_id[0] or 0) >= journal[-1], 10)
    except ctapi.Timeout as e:
        log(str(e))         # the missed events are listed below
    stop_client.set()
    cl.join(5)
    stop_monitor.set()
    mon.join(5)
    log("monitor took %d /proc samples; client got %d events; journal "
        "holds %d (%s..%s)" % (samples[0], len(received), len(journal),
                               journal[0] if journal else None,
                               journal[-1] if journal else None))
    if len(set(received)) != len(received):
        dup = sorted({s for s in received if received.count(s) > 1})[:10]
        problems.append("duplicate seqs received: %s" % dup)
    if any(b <= a for a, b in zip(received, received[1:])):
        problems.append("seqs not increasing")
    if journal != sorted(set(journal)):
        problems.append("journal answer not increasing")
    missed = sorted(set(journal) - set(received))
    if missed:
        problems.append("%d journal events never reached the client: %s" %
                        (len(missed), missed[:10]))
    if len(received) < 50:
        problems.append("only %d events received" % len(received))
    for rid in sorted(failed_runs):
        st, body = request("GET", "/v1/runs/" + rid)
        if st != 200 or json.loads(body).get("run_id") != rid:
            problems.append("run %s: %d %s" % (rid, st, body[:200]))
    not_reported = sorted(left_behind - restarted_runs)
    if not_reported:
        problems.append("runs left behind but not reported as "
                        "collector_restarted: %s" % not_reported)
    log("%d deaths answered by /v1/runs, %d runs left behind, %d reported "
        "collector_restarted" % (len(failed_runs), len(left_behind),
                                 len(restarted_runs)))
    g = runner_groups()
    if any(len(g.get(r, ())) != 1 for r in RUNNERS if r[:5] != "crash") \
            or any(len(v) > 1 for v in g.values()):
        problems.append("at the end, runner groups: %s" % g)
finally:
    stop_client.set()
    stop_monitor.set()
    if daemon is not None and daemon.poll() is None:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
    left = runner_groups()
    for r, pgs in left.items():
        problems.append("%s still running after the daemon stopped: %s" %
                        (r, sorted(pgs)))
        for pg in pgs:
            try:
                os.killpg(pg, signal.SIGKILL)
            except OSError:
                pass

for p in problems:
    print("PROBLEM:", p)
sys.exit(1 if problems else 0)
