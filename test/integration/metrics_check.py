# metrics_check.py T -- the checks of metrics_stages.sh, against the daemon
# it started on $T/state/crashtrail.sock.
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctapi  # noqa: E402

T = sys.argv[1]
SOCK = T + "/state/crashtrail.sock"
INTERVAL = 100


def get(path, want=200):
    code, body = ctapi.request(SOCK, "GET", path)
    assert code == want, (path, code, body[:500])
    return json.loads(body)


def run_of(name):
    for r in get("/v1/runs")["runs"]:
        if r["runner_id"] == name:
            return r
    return None


def report_ready():
    r = run_of("mem")
    return r is not None and r["state"] == "failed" and \
        r.get("report_path") and os.path.exists(r["report_path"])


ctapi.poll("the death report of mem", report_ready, timeout=60)
run = run_of("mem")
rid = run["run_id"]
report = json.load(open(run["report_path"]))

# 1. Telemetry: RSS rises across the stages.
tel = get("/v1/runs/%s/telemetry?from_seq=0" % rid)
assert tel["run_id"] == rid and tel["interval_ms"] == INTERVAL, tel
samples = tel["samples"]
assert len(samples) >= 10, len(samples)
assert [s["seq"] for s in samples] == list(range(samples[0]["seq"],
                                               samples[-1]["seq"] + 1))
peak = {}
for s in samples:
    if s["stage_name"] is not None and s["rss_bytes"] is not None:
        peak[s["stage_name"]] = max(peak.get(s["stage_name"], 0),
                                    s["rss_bytes"])
print("peak RSS by stage:", peak)
order = [n for n in ("load", "fetch", "crunch") if n in peak]
assert len(order) >= 2, peak
for a, b in zip(order, order[1:]):
    assert peak[b] > peak[a], ("RSS did not rise", a, b, peak)
# Memory steps are 4 MiB: crunch holds 12 MiB more than load did.
assert peak["crunch"] - peak["load"] >= 8 << 20, peak
for s in samples:
    assert s["cpu_percent"] is None or 0 <= s["cpu_percent"] <= 100 * 64
    assert s["threads"] is None or s["threads"] >= 1

# The cursor: next_seq is what to ask next; nothing after the last.
assert tel["next_seq"] == samples[-1]["seq"], tel["next_seq"]
again = get("/v1/runs/%s/telemetry?from_seq=%d" % (rid, tel["next_seq"]))
assert again["samples"] == [] and again["next_seq"] == tel["next_seq"]
page = get("/v1/runs/%s/telemetry?from_seq=0&limit=3" % rid)
assert len(page["samples"]) == 3 and \
    page["next_seq"] == page["samples"][-1]["seq"], page
only = get("/v1/runs/%s/telemetry?stage_name=fetch" % rid)
assert only["samples"] and \
    all(s["stage_name"] == "fetch" for s in only["samples"]), only

# 2. Refusals.
code, body = ctapi.request(SOCK, "GET",
                           "/v1/runs/%s/telemetry?from_seq=abc" % rid)
j = json.loads(body)
assert code == 400 and j == {
    "code": "INVALID_PARAMS",
    "message": "from_seq must be a non-negative integer, got 'abc'",
    "retryable": False}, (code, j)
code, body = ctapi.request(SOCK, "GET", "/v1/runs/nope-1/telemetry")
assert code == 404 and json.loads(body)["code"] == "NOT_FOUND", body
code, body = ctapi.request(SOCK, "GET", "/v1/runs/nope-1/stages")
assert code == 404, body


def post(ev):
    code, body = ctapi.request(SOCK, "POST", "/telemetry/events",
                               json.dumps(ev).encode())
    return code, json.loads(body)


code, j = post({"type": "stage_started", "run_id": rid,
                "data": {"stage_name": "late"}})
assert code == 409 and j["code"] == "ALREADY_TERMINAL", (code, j)
code, j = post({"type": "stage_started", "data": {"stage_name": "x"}})
assert code == 400 and "run_id" in j["message"], (code, j)
code, j = post({"type": "stage_foo", "run_id": rid,
                "data": {"stage_name": "x"}})
assert code == 400, (code, j)

# 3. The stage view after the death.
st = get("/v1/runs/%s/stages" % rid)
view = [(s["stage_name"], s["group_id"], s["stage_attempt"], s["status"])
        for s in st["stages"]]
print("stages:", view)
assert view == [
    ("fetch", "g2", 1, "failed"),
    ("never", "g10", 1, "skipped"),
    ("later", "g2", 1, "skipped"),
    ("load", "g1", 1, "succeeded"),
    ("fetch", "g2", 2, "succeeded"),
    ("crunch", "g2", 1, "failed"),
], view
by = {(s["stage_name"], s["stage_attempt"]): s for s in st["stages"]}
assert by[("fetch", 1)]["exit_code"] == 3 and \
    by[("fetch", 1)]["error"] == "connection reset", by[("fetch", 1)]
assert by[("fetch", 2)]["duration_ms"] == 1234, by[("fetch", 2)]
assert by[("load", 1)]["duration_ms"] >= 300, by[("load", 1)]
assert by[("crunch", 1)]["error"] == "run ended", by[("crunch", 1)]
assert by[("never", 1)]["reason"] == "run ended", by[("never", 1)]

# The events the end synthesized: running ones failed, queued skipped,
# g2 before g10 (a string sort would put g10 first).
evs = get("/v1/events?from_seq=0&limit=1000")["events"]
mine = [e for e in evs if e.get("run_id") == rid and
        e["type"].startswith("stage_")]
tail = [(e["type"], e["data"]["stage_name"]) for e in mine[-3:]]
print("closing events:", tail)
assert tail == [("stage_skipped", "later"), ("stage_failed", "crunch"),
                ("stage_skipped", "never")] or \
    tail == [("stage_failed", "crunch"), ("stage_skipped", "later"),
             ("stage_skipped", "never")], tail
retry = [e for e in mine if e["type"] == "stage_started" and
         e["data"]["stage_name"] == "fetch"]
assert [e["data"]["stage_attempt"] for e in retry] == [1, 2], retry
assert all(e["category"] == "stage" for e in mine)

# 4. The death report: last stage, samples up to the death.
assert report["last_stage"]["stage_name"] == "crunch" and \
    report["last_stage"]["status"] == "failed", report["last_stage"]
m = report["metrics"]
assert m["interval_ms"] == INTERVAL and 0 < len(m["samples"]) <= 20, m
assert [s["seq"] for s in m["samples"]][-1] == m["total_samples"], m
rss = [s["rss_bytes"] for s in m["samples"] if s["rss_bytes"]]
assert rss[-1] > rss[0], rss
ended_ms = (subprocess.check_output(
    ["date", "-d", report["ended_at"], "+%s%3N"]).decode().strip())
gap = int(ended_ms) - m["samples"][-1]["timestamp_ms"]
print("last sample %d ms before the death (interval %d ms)" % (gap,
                                                               INTERVAL))
# One interval, plus what a busy machine adds to a timer's wake-up.
assert 0 <= gap <= INTERVAL + 150, gap
failed = [e for e in evs if e["type"] == "runner_failed" and
          e.get("run_id") == rid]
assert failed and failed[-1]["data"]["metrics"]["samples"], failed

# 5. A ring that wrapped: 30 samples kept, the rest counted.
idle = run_of("idle")["run_id"]
ctapi.poll("the idle ring to wrap", lambda: get(
    "/v1/runs/%s/telemetry" % idle)["oldest_seq"] > 5, timeout=30)
t = get("/v1/runs/%s/telemetry?from_seq=0" % idle)
assert len(t["samples"]) == 30 or \
    len(t["samples"]) == t["latest_seq"] - t["oldest_seq"] + 1, t
assert t["dropped"] == t["oldest_seq"] - 1, t
assert t["samples"][0]["seq"] == t["oldest_seq"], t
assert t["samples"][0]["stage_name"] is None
t2 = get("/v1/runs/%s/telemetry?from_seq=%d" % (idle, t["oldest_seq"]))
assert t2["dropped"] == 0, t2
print("idle ring: oldest %d latest %d dropped %d" % (
    t["oldest_seq"], t["latest_seq"], t["dropped"]))

# 6. The host, /v1/status and /metrics.
h = get("/v1/host?n=5")
assert h["latest"] is not None and len(h["history"]) == 5, h
assert h["latest"]["memory_total_bytes"] > 0, h["latest"]
st = get("/v1/status")["sampler"]
assert st["enabled"] and st["ticks"] > 10, st
code, body = ctapi.request(SOCK, "GET", "/metrics")
text = body.decode()
for name in ("crashtrail_sampler_cpu_seconds_total",
             "crashtrail_run_resident_memory_bytes{runner=\"idle\"",
             "crashtrail_run_threads{runner=\"idle\"",
             "crashtrail_host_memory_available_bytes"):
    assert name in text, name
open(T + "/metrics.txt", "w").write(text)
print("ok")
