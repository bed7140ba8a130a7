# history.sh -- runs from before a restart (kill -9 or TERM) are still
# listed, shown and their logs served; bad reports are skipped, and a
# report whose rename was cut off is finished; `history` bounds the index;
# pruned runs leave it; runs evicted from the run pool stay listed.
. "$(dirname "$0")/lib.sh"
S=$T/state/crashtrail.sock
RL=$T/state/runner_log/default

# req PATH: GET; sets $code and leaves the body in $T/body.
req() {
	code=$(curl -s --path-as-is -o "$T/body" -w '%{http_code}' \
	    --unix-socket "$S" "http://localhost$1")
}
# conf FILE AUTOSTART [collector lines]: three runners that die at once.
conf() {
	_f=$1 _a=$2; shift 2
	collector "$_f" "$@"
	cat >>"$_f" <<EOC
[runner:boom]
command = /bin/sh -c 'echo boom >&2; echo second line >&2; exit 3'
startsecs = 0
autorestart = never
autostart = $_a
[runner:segv]
command = $H/crasher segv
startsecs = 0
autorestart = never
autostart = $_a
[runner:abrt]
command = $H/crasher abort
startsecs = 0
autorestart = never
autostart = $_a
EOC
}
# listed: the run ids of GET /v1/runs, one a line; no id twice.
listed() {
	req "/v1/runs${1:-}"
	[ "$code" = 200 ] || fail "GET /v1/runs$1 -> $code: $(cat "$T/body")"
	python3 - "$T/body" <<'PY' || fail "runs listing: $(head -c 600 "$T/body")"
import json, sys
d = json.load(open(sys.argv[1]))
ids = [r["run_id"] for r in d["runs"]]
assert len(ids) == len(set(ids)), "listed twice: %r" % ids
assert isinstance(d["truncated"], bool), d
for i in ids:
    print(i)
PY
}
# newest N: the run ids of the newest N report files by name.
newest() {
	python3 - "$RL" "$1" <<'PY'
import json, os, sys
files = []
for r in os.listdir(sys.argv[1]):
    d = os.path.join(sys.argv[1], r)
    files += [(f, os.path.join(d, f)) for f in os.listdir(d)
              if f.endswith(".death.json")]
for f, p in sorted(files)[-int(sys.argv[2]):]:
    try:
        print(json.load(open(p))["run_id"])
    except Exception:
        pass
PY
}

# 1. Three deaths, then the daemon is killed with SIGKILL.
conf "$T/c1.conf" yes
start_daemon "$T/c1.conf"
for r in boom segv abrt; do
	wait_for 10 reports_of $r || fail "no $r report"
done
boom=$(jq_py "$(reports_of boom)" 'd["run_id"]')
segv=$(jq_py "$(reports_of segv)" 'd["run_id"]')
abrt=$(jq_py "$(reports_of abrt)" 'd["run_id"]')
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=

# 2. Restarted on the same state_dir, nothing new runs: the old runs are
# there, with their reports and logs, in the API and in `show`.
conf "$T/c2.conf" no
start_daemon "$T/c2.conf"
log_has 'history: 3 past runs indexed' || fail "no history log line"
listed | sort >"$T/ids"
printf '%s\n' "$boom" "$segv" "$abrt" | sort | cmp -s - "$T/ids" ||
    fail "runs after kill -9: $(cat "$T/ids")"
python3 - "$T/body" "$RL" <<'PY' || fail "run fields: $(head -c 800 "$T/body")"
import json, os, sys
runs = json.load(open(sys.argv[1]))["runs"]
keys = {"run_id", "instance_id", "runner_id", "pid", "state", "started_at",
        "ended_at", "cause", "stderr_bytes", "report_path"}
for r in runs:
    assert set(r) == keys, r
    rep = json.load(open(r["report_path"]))
    assert r["state"] == "failed" and r["instance_id"] == "default", r
    assert rep["run_id"] == r["run_id"] and rep["pid"] == r["pid"], r
    assert rep["started_at"] == r["started_at"], (rep["started_at"], r)
    assert rep["ended_at"] == r["ended_at"], (rep["ended_at"], r)
    assert rep["exit"]["cause"] == r["cause"], r
    assert r["stderr_bytes"] == rep["stderr_log"]["bytes_written_by_runner"]
    assert r["report_path"].startswith(sys.argv[2] + "/" + r["runner_id"] + "/")
boom = [r for r in runs if r["runner_id"] == "boom"][0]
assert boom["cause"] == "exitcode=3" and boom["stderr_bytes"] == 17, boom
PY
req "/v1/runs/$boom"; [ "$code" = 200 ] || fail "GET old run -> $code: $(cat "$T/body")"
cmp -s "$T/body" "$(reports_of boom)" || fail "old report differs from its file"
jq_py "$T/body" 'd["run_id"] == "'"$boom"'" and d["exit"]["cause"] == "exitcode=3"' |
    grep -q True || fail "old report content"
req "/v1/runs/$boom/log"; [ "$code" = 200 ] || fail "old log -> $code"
cmp -s "$T/body" "$RL"/boom/*.stderr.log || fail "old log differs"
req "/v1/runs/$boom/log?tail=1"
[ "$code" = 200 ] && [ "$(cat "$T/body")" = "second line" ] || fail "old log tail=1: $(cat "$T/body")"
req "/v1/runs/$boom/log?tail=5"
[ "$(cat "$T/body")" = "boom
second line" ] || fail "old log tail=5: $(cat "$T/body")"
req "/v1/runs/$boom/log?tail=x"; [ "$code" = 400 ] || fail "tail=x -> $code"
req "/v1/runs/$boom/stages"; [ "$code" = 404 ] || fail "stages -> $code"
req '/v1/runs/..%2f..%2fetc'; [ "$code" = 400 ] || fail "hostile id -> $code"
req '/v1/runs/no-such-run'; [ "$code" = 404 ] || fail "unknown run -> $code"
[ "$(listed '?runner=segv')" = "$segv" ] || fail "runner filter"
[ -z "$(listed '?state=live')" ] || fail "state=live lists old runs"
[ "$(listed '?state=failed' | wc -l)" -eq 3 ] || fail "state=failed"
[ "$(listed '?limit=2' | wc -l)" -eq 2 ] || fail "limit=2"
jq_py "$T/body" 'd["truncated"]' | grep -q True || fail "limit=2 not truncated"
listed '?limit=3' >/dev/null
jq_py "$T/body" 'd["truncated"]' | grep -q False || fail "limit=3 truncated"
req '/v1/runs?limit=0'; [ "$code" = 400 ] || fail "limit=0 -> $code"
"$CRASHTRAIL" show -s "$S" "$boom" >"$T/out" || fail "show old run: exit $?"
grep -q "^run       $boom\$" "$T/out" || fail "show run: $(cat "$T/out")"
grep -q '^end       exitcode=3 (abnormal)$' "$T/out" || fail "show end: $(cat "$T/out")"
grep -q '^second line$' "$T/out" || fail "show tail: $(cat "$T/out")"
"$CRASHTRAIL" show -s "$S" "$segv" >"$T/out" || fail "show segv: exit $?"
grep -q '^end       signal=11 (SIGSEGV) (abnormal)$' "$T/out" || fail "show segv: $(cat "$T/out")"
# A pool run of this process is listed once, before the old ones.
curl -s --unix-socket "$S" -X POST http://localhost/v1/runners/boom/start >/dev/null
wait_for 10 sh -c "[ \$(ls $RL/boom/*.death.json | wc -l) -eq 2 ]" || fail "no second boom"
[ "$(listed '?runner=boom' | wc -l)" -eq 2 ] || fail "two boom runs: $(cat "$T/body")"
[ "$(listed '?runner=boom' | tail -n 1)" = "$boom" ] || fail "old run not listed after the pool's"
boom2=$(listed '?runner=boom' | head -n 1)
# Files removed behind the daemon's back: a clear 404.
f=$(reports_of boom | head -n 1)
mv "$f" "$T/saved.json"
req "/v1/runs/$boom"; [ "$code" = 404 ] || fail "gone report -> $code"
grep -q 'files were pruned' "$T/body" || fail "gone report message: $(cat "$T/body")"
mv "$T/saved.json" "$f"
stop_daemon
[ "$DRC" = 0 ] || fail "daemon exit $DRC"

# 3. Reports that do not parse are skipped and named, never fatal.
# A report whose rename the kill cut off is finished at start; one whose
# run's other files are gone goes; an unfinished one is left alone.
segvrep=$(reports_of segv)
mv "$segvrep" "$segvrep.tmp7"
abrtrep=$(reports_of abrt)
printf '{"run_id":"zz-1",' >"$abrtrep.tmp9"
cp "$segvrep.tmp7" "$RL/segv/2001-01-01_00-00-00_000000Z.death.json.tmp3"
printf '{"run_id":"x","pid":' >"$RL/boom/2099-01-01_00-00-00_000000Z.death.json"
: >"$RL/boom/2099-01-01_00-00-01_000000Z.death.json"
printf 'garbage\n' >"$RL/segv/2099-01-01_00-00-02_000000Z.death.json"
printf '{"run_id":"../x"}\n' >"$RL/segv/2099-01-01_00-00-03_000000Z.death.json"
printf '{}{}' >"$RL/abrt/2099-01-01_00-00-04_000000Z.death.json"
start_daemon "$T/c2.conf"
[ -f "$segvrep" ] && [ ! -e "$segvrep.tmp7" ] || fail "cut-off rename not finished"
log_has "finished $segvrep " || fail "no log of the finished rename"
[ ! -e "$RL/segv/2001-01-01_00-00-00_000000Z.death.json.tmp3" ] || fail "orphan tmp report kept"
[ -f "$abrtrep.tmp9" ] || fail "unfinished tmp report removed"
log_has "left .*tmp9 alone: truncated" || fail "unfinished tmp report not logged"
rm -f "$abrtrep.tmp9"
log_has 'history: 4 past runs indexed' || fail "history with bad reports: $(grep history: "$T/daemon.log")"
for f in 00-00-00 00-00-01 00-00-02 00-00-03 00-00-04; do
	log_has "skipped .*$f.*death.json" || fail "bad report $f not logged"
done
printf '%s\n' "$boom" "$boom2" "$segv" "$abrt" | sort >"$T/want"
listed | sort | cmp -s - "$T/want" || fail "runs with bad reports: $(listed)"
stop_daemon
rm -f "$RL"/*/2099-*

# 4. history = 2: only the newest two are indexed.
conf "$T/c4.conf" no "history = 2"
start_daemon "$T/c4.conf"
log_has 'history: 2 past runs indexed' || fail "history = 2: $(grep history: "$T/daemon.log")"
newest 2 | sort >"$T/want"
listed | sort | cmp -s - "$T/want" || fail "history = 2 lists $(listed), want $(cat "$T/want")"
stop_daemon

# 5. The quota prunes the oldest runs: they leave the listing.  Runs that
# fell out of the small run pool are still listed, from the history.
conf "$T/c5.conf" no "log_quota_bytes = 96K" "max_runs = 8"
cat >>"$T/c5.conf" <<EOC
[runner:big]
command = $H/blast 2000 2 1
startsecs = 0
backoff = 0.05
backoff_max = 0.05
EOC
start_daemon "$T/c5.conf"
listed | grep -qx "$segv" || fail "segv not listed before pruning"
wait_for 30 log_has "pruned .*/segv/" || fail "segv's files were not pruned"
wait_for 30 sh -c "[ \$(grep -c 'big: run .*: death report' $T/daemon.log) -ge 24 ]" ||
    fail "big runs did not go on"
curl -s --unix-socket "$S" -X POST http://localhost/v1/runners/big/stop >/dev/null
wait_for 10 log_has 'big: [A-Z]* -> STOPPED' || fail "big did not stop"
listed >"$T/ids"
grep -qx "$segv" "$T/ids" && fail "pruned run $segv still listed"
req "/v1/runs/$segv"; [ "$code" = 404 ] || fail "pruned run -> $code"
# Every big run whose report is still on disk is listed and answers,
# though the pool of 8 holds only the last few of them.
n=0
for f in "$RL"/big/*.death.json; do
	id=$(jq_py "$f" 'd["run_id"]')
	grep -qx "$id" "$T/ids" || fail "big run $id (on disk) not listed"
	req "/v1/runs/$id"; [ "$code" = 200 ] || fail "big run $id -> $code"
	n=$((n + 1))
done
[ "$n" -ge 10 ] || fail "only $n big reports kept: not more than the pool holds"
stop_daemon
[ "$DRC" = 0 ] || fail "daemon exit $DRC"
