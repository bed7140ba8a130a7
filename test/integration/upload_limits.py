"""upload_limits.py -- the checks of upload_limits.sh, one per step:
  upload_limits.py hourly|swept|full T CTL
T is the test's directory (the daemon's API is T/state/crashtrail.sock),
CTL the upload server's control port."""
import glob
import hashlib
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctapi  # noqa: E402

T, CTL = sys.argv[2], int(sys.argv[3])
SOCK = T + "/state/crashtrail.sock"
SPOOL = T + "/state/spool"


def api(method, path):
    code, body = ctapi.request(SOCK, method, path)
    return code, json.loads(body) if body else None


def ctl(method, path, doc=None):
    req = urllib.request.Request(
        "http://127.0.0.1:%d%s" % (CTL, path), method=method,
        data=json.dumps(doc).encode() if doc is not None else None)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def until(what, fn, secs=20):
    end = time.time() + secs
    while True:
        v = fn()
        if v:
            return v
        if time.time() > end:
            sys.exit("timed out waiting for " + what)
        time.sleep(0.05)


def events(type_):
    return api("GET", "/v1/events?type=%s&limit=1000" % type_)[1]["events"]


def status():
    return api("GET", "/v1/status")[1]["upload"]


def jobs():
    return sorted(glob.glob(SPOOL + "/*.job"))


def run_once(name):
    """Start runner NAME and wait for its death report: its run id."""
    before = {e["run_id"] for e in events("runner_failed")}
    code, _ = api("POST", "/v1/runners/%s/start" % name)
    assert code == 200, code
    new = until(name + " to fail", lambda: [
        e for e in events("runner_failed")
        if e["runner_id"] == name and e["run_id"] not in before])
    rid = new[0]["run_id"]
    until(rid + " report", lambda: glob.glob(
        T + "/state/runner_log/*/%s/*.death.json" % name) and
        api("GET", "/v1/runs/" + rid)[0] == 200)
    return rid


def log_sha(rid):
    p = glob.glob(T + "/state/runner_log/*/*/%s.stderr.log"
                  % rid_to_ts(rid))
    return hashlib.sha256(open(p[0], "rb").read()).hexdigest()


def rid_to_ts(rid):
    # runner-20261201T200552660890Z -> 2026-12-01_20-05-52_660890Z
    t = rid.rsplit("-", 1)[1]
    return "%s-%s-%s_%s-%s-%s_%s" % (t[0:4], t[4:6], t[6:8], t[9:11],
                                     t[11:13], t[13:15], t[15:])


def stored(rid):
    return log_sha(rid) in ctl("GET", "/state")["objects"]


def hourly():
    loops = [run_once("loop") for _ in range(5)]
    until("two loop uploads", lambda: len([
        e for e in events("upload_succeeded") if e["runner_id"] == "loop"])
        >= 2)
    until("three deferred", lambda: status()["deferred"] == 3)
    other = run_once("other")
    until("other's upload", lambda: stored(other))
    st = status()
    up = [e["run_id"] for e in events("upload_succeeded")]
    assert sorted(up) == sorted(loops[:2] + [other]), up
    assert st["backlog"] == 3 and st["succeeded"] == 3, st
    assert len(jobs()) == 3, jobs()
    for rid in loops[2:]:
        assert not stored(rid), rid
        assert [j for j in jobs() if rid in j], (rid, jobs())
    # And for a while after: deferred, not retried.  Every kick of the
    # queue since (other's upload) looked at them already; only a wrong
    # timer is left, and only time can tell that nothing happens.
    def waiting():
        st = status()
        return st["backlog"] == 3 and st["retries"] == 0
    ctapi.holds("three deferred, none retried", waiting, 0.5)
    print("hourly: 2 of 5 uploaded, 3 deferred in the spool; other stored")
    json.dump(loops, open(T + "/loops.json", "w"))


def swept():
    loops = json.load(open(T + "/loops.json"))
    until("swept jobs stored", lambda: all(stored(r) for r in loops[2:]))
    until("spool empty", lambda: not jobs())
    st = status()
    assert st["swept"] == 3 and st["set_aside"] == 1, st
    print("swept: 3 resumed and stored, 1 set aside")


def full():
    ctl("POST", "/fault", {"what": "stall", "count": 1000})
    first = run_once("d")
    until("first in flight", lambda: status()["in_flight"] == 1)
    rest = [run_once("d") for _ in range(4)]
    until("two dropped", lambda: status()["dropped"] == 2)
    st = status()
    assert st["backlog"] == 3 and len(jobs()) == 3, (st, jobs())
    drops = [e for e in events("upload_failed")
             if e["data"]["final"] and "spool is full" in e["data"]["reason"]]
    assert sorted(e["run_id"] for e in drops) == sorted(rest[:2]), drops
    ctl("POST", "/reset")
    kept = [first] + rest[2:]
    until("kept jobs stored", lambda: all(stored(r) for r in kept), 30)
    until("spool empty", lambda: not jobs())
    for rid in rest[:2]:
        assert not stored(rid), rid
    print("full: 2 oldest waiting jobs dropped and reported; 3 stored")


def files():
    rid = run_once("three")
    paths = [p for p in glob.glob(T + "/state/runner_log/*/three/*")
             if rid_to_ts(rid) in p]
    want = {}
    for suffix in (".stderr.log", ".stdout.log", ".death.json"):
        p = [x for x in paths if x.endswith(suffix)]
        assert len(p) == 1, (suffix, paths)
        want[suffix] = hashlib.sha256(open(p[0], "rb").read()).hexdigest()
    until("three files stored", lambda: all(
        h in ctl("GET", "/state")["objects"] for h in want.values()))
    up = [e["data"]["file"] for e in events("upload_succeeded")
          if e["run_id"] == rid]
    assert sorted(up) == ["report", "stderr", "stdout"], up
    print("files: stderr, stdout and the report stored, hashes match")


{"hourly": hourly, "swept": swept, "full": full,
 "files": files}[sys.argv[1]]()
