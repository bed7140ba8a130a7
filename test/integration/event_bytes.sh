# event_bytes.sh -- the event ring's byte bound is the one that bites:
# with event_ring_bytes = 64K (and 4096 slots, the journal off) forty
# 3 KB events leave only the newest that fit in 64K, evicted oldest
# first and no more than needed, and every answer of /v1/events (after
# each post) and every frame of a ?replay=all stream is valid JSON with
# each event's own bytes.  An envelope over event_max_bytes (4K) is kept
# with "data":null,"truncated":true: a POSTed one and a runner_failed
# whose death report is larger (the report file keeps all of it).
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf" "event_ring = 4096" "event_ring_bytes = 64K" \
    "event_max_bytes = 4K" "journal_bytes = 0"
cat >>"$conf" <<EOC
[runner:wordy]
command = $H/crasher nonl 6000
autostart = no
autorestart = never
startsecs = 0
EOC
start_daemon "$conf"
S=$T/state/crashtrail.sock
PYTHONDONTWRITEBYTECODE=1 python3 - "$S" "$(dirname "$0")" <<'PY' || fail "byte-bound checks"
import json, sys, time
sys.path.insert(0, sys.argv[2])
import ctnet

S = sys.argv[1]
CAP = 64 * 1024
stored = {}        # seq -> the envelope bytes the POST answered with
first = None

def raw_events(body):
    """The envelopes of a /v1/events answer as (parsed, bytes they took)."""
    text = body.decode("utf-8")
    dec = json.JSONDecoder()
    i = text.index("[") + 1
    out = []
    while True:
        while text[i] in " ,":
            i += 1
        if text[i] == "]":
            return out
        obj, end = dec.raw_decode(text, i)
        out.append((obj, len(text[i:end].encode("utf-8"))))
        i = end

def check_ring():
    st, _, body = ctnet.request(S, "GET", "/v1/events?limit=1000")
    assert st == 200, (st, body[:200])
    try:
        d = json.loads(body)
    except ValueError as e:
        raise AssertionError("invalid JSON from /v1/events (%s): %r" %
                             (e, body[:400]))
    allev = raw_events(body)
    assert [e for e, _ in allev] == d["events"]
    every = [e["seq"] for e in d["events"]]
    assert every == list(range(every[0], every[-1] + 1)), every
    ev = [e for e in d["events"] if e["type"] == "tick"]
    seqs = [e["seq"] for e in ev]
    assert seqs[-1] == max(stored), (seqs, max(stored))
    for e in ev:
        want = json.loads(stored[e["seq"]])
        assert e == want, (e["seq"], "event differs from its POST answer")
        assert e["data"]["pad"] == "p" * 2900 and e["data"]["i"] == e["seq"] - first
        assert len(stored[e["seq"]]) == dict((x["seq"], n) for x, n in allev)[e["seq"]]
    kept = sum(n for _, n in allev)
    assert kept <= CAP, ("over the byte bound", kept)
    if every[0] - 1 in stored:
        # Evicted oldest first, and no more than needed: the last one
        # evicted would not have fitted.
        assert kept + len(stored[every[0] - 1]) > CAP, (
            "evicted more than needed", kept, every[0])
    return d, seqs

for i in range(40):
    body = json.dumps({"type": "tick", "data": {"i": i, "pad": "p" * 2900}})
    st, _, ans = ctnet.request(S, "POST", "/telemetry/events", body)
    assert st == 200, (st, ans[:200])
    seq = json.loads(ans)["seq"]
    if first is None:
        first = seq
    stored[seq] = ans[:-1] if ans.endswith(b"\n") else ans  # api_reply's
    check_ring()
d, seqs = check_ring()
assert 15 <= len(seqs) < 25, ("the byte bound did not bite as it should",
                              len(seqs))
assert d["oldest_seq"] == d["events"][0]["seq"] and seqs[0] > first, d["oldest_seq"]
assert d["dropped"] == d["oldest_seq"] - 1, d["dropped"]
st = ctnet.get_json(S, "/v1/status")["events"]
assert st["evicted"] >= 40 - len(seqs), st
assert st["oldest_seq"] == d["oldest_seq"], st
print("kept", len(seqs), "of 40 events,", sum(len(stored[s]) for s in seqs),
      "bytes")

# The stream from the oldest: the same events, each frame valid JSON.
c = ctnet.Stream(S, "?replay=all&type=tick")
fr = c.frames(len(seqs), timeout=10)
c.close()
assert [int(f[0]) for f in fr] == seqs, [f[0] for f in fr]
assert all(f[2] == json.loads(stored[int(f[0])]) for f in fr)

# An envelope over event_max_bytes: kept, without its data.
body = json.dumps({"type": "huge", "runner_id": "r1",
                   "data": {"pad": "q" * 5000}})
st, _, ans = ctnet.request(S, "POST", "/telemetry/events", body)
assert st == 200, (st, ans[:200])
big = json.loads(ans)
assert big["data"] is None and big["truncated"] is True, big
assert big["type"] == "huge" and big["runner_id"] == "r1", big
assert len(ans) < 4096, len(ans)
d = ctnet.get_json(S, "/v1/events?type=huge")
assert d["events"] == [big], d
st = ctnet.get_json(S, "/v1/status")["events"]
assert st["truncated"] == 1, st
# One just under the bound keeps its data.
body = json.dumps({"type": "fits", "data": {"pad": "f" * 3700}})
st, _, ans = ctnet.request(S, "POST", "/telemetry/events", body)
fits = json.loads(ans)
assert st == 200 and fits["data"]["pad"] == "f" * 3700, ans[:200]
assert "truncated" not in fits, fits
assert ctnet.get_json(S, "/v1/status")["events"]["truncated"] == 1
print("over-size envelope kept truncated")
PY

# A death report over 4K: runner_failed is kept truncated, the report
# file on disk is whole.
curl -sf --unix-socket "$S" -X POST http://localhost/v1/runners/wordy/start >/dev/null ||
    fail "could not start wordy"
wait_for 10 reports_of wordy || fail "no report for wordy"
r=$(reports_of wordy)
curl -s --unix-socket "$S" 'http://localhost/v1/events?type=runner_failed' >"$T/rf"
python3 - "$T/rf" "$r" <<'PY' || fail "runner_failed: $(head -c 600 "$T/rf")"
import json, os, sys
ev = json.load(open(sys.argv[1]))["events"]
assert len(ev) == 1, ev
e = ev[0]
assert e["data"] is None and e["truncated"] is True, e
assert e["runner_id"] == "wordy" and e["run_id"], e
rep = json.load(open(sys.argv[2]))
assert rep["run_id"] == e["run_id"], (rep["run_id"], e["run_id"])
assert rep["tail"]["bytes"] >= 6000 and os.path.getsize(sys.argv[2]) > 4096
PY
curl -s --unix-socket "$S" http://localhost/v1/status >"$T/st"
[ "$(jq_py "$T/st" 'd["events"]["truncated"]')" = 2 ] || fail "truncated count: $(cat "$T/st")"
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
exit 0
