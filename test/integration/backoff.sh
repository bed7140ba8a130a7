# backoff.sh -- restart delays: `backoff` doubled per abnormal end in a
# row, capped at `backoff_max`; the count starts again after a run that
# lived at least backoff_max and after a clean end (which restarts at
# once with autorestart = always).  Delays are measured between a run's
# end event and the next runner_started, both stamped by the daemon.  A
# delay is never (much) shorter than configured, so the lower bounds
# hold however loaded the machine; the few upper bounds (a cap that
# holds, a count that was reset) leave more than a second of slack
# against the broken value.
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf"
# Start n does what the case says; from the 11th on it stays up.
cat >"$T/runner.sh" <<EOS
n=\$(( \$(cat "$T/n" 2>/dev/null || echo 0) + 1 ))
echo \$n >"$T/n"
case \$n in
6) sleep 3; exit 1 ;;
9) exit 0 ;;
1[0-9]) [ \$n -ge 11 ] && exec $H/crasher sleep; exit 1 ;;
*) exit 1 ;;
esac
EOS
cat >>"$conf" <<EOC
[runner:flappy]
command = /bin/sh $T/runner.sh
startsecs = 0
autorestart = always
backoff = 0.3
backoff_max = 2.4
EOC
start_daemon "$conf"
S=$T/state/crashtrail.sock
wait_for 60 sh -c "[ \$(grep -c 'flappy: run .* started' $T/daemon.log) -ge 11 ]" ||
    fail "flappy did not reach its 11th start"
curl -s --unix-socket "$S" 'http://localhost/v1/events?limit=1000' >"$T/ev"
python3 - "$T/ev" <<'PY' || fail "restart delays"
import datetime, json, sys
ev = [e for e in json.load(open(sys.argv[1]))["events"]
      if e.get("runner_id") == "flappy"]

def t(e):
    return datetime.datetime.strptime(e["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()

starts = [e for e in ev if e["type"] == "runner_started"]
ends = [e for e in ev if e["type"] in ("runner_failed", "runner_exited")]
assert [e["data"]["start"] for e in starts[:11]] == list(range(1, 12)), starts
assert len(ends) >= 10, ends
kinds = ["failed"] * 10
kinds[8] = "exited"
assert [e["type"][7:] for e in ends[:10]] == kinds, [e["type"] for e in ends]
# The delay after the end of start k (k = 1..10) before start k+1.
gaps = [t(starts[k]) - t(ends[k - 1]) for k in range(1, 11)]
print("delays:", " ".join("%.2f" % g for g in gaps))
want = [0.3, 0.6, 1.2, 2.4, 2.4,   # doubled, then capped
        0.3,                       # after a run that lived >= backoff_max
        0.6, 1.2,
        0.0,                       # a clean end: at once
        0.3]                       # ... and the count starts again
# (libevent arms a timer from the loop's cached time, so under load it
# may fire a few tens of ms early by the wall clock: 10% and 50 ms.)
for k, (g, w) in enumerate(zip(gaps, want), 1):
    assert g >= w * 0.9 - 0.05, ("delay after start %d: %.3f s, want %.1f" %
                                 (k, g, w))
# The cap holds (uncapped: 4.8), and the count was reset (else 2.4).
assert gaps[4] < 3.9, ("not capped at backoff_max", gaps[4])
assert gaps[5] < 1.5, ("not reset after a long run", gaps[5])
assert gaps[9] < 1.5, ("not reset after a clean end", gaps[9])
# The long run really lived backoff_max, the others did not.
assert ends[5]["data"]["duration_ms"] >= 2400, ends[5]["data"]["duration_ms"]
PY
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
exit 0
