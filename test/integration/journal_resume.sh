# journal_resume.sh -- the event journal across restarts (SIGTERM and
# SIGKILL): seq goes on after the last event; a resume inside the journal
# is exact (SSE Last-Event-ID and /v1/events?from_seq=) even for events the
# ring no longer holds; an id older than the journal gets a gap frame, one
# from the future a reset frame; a torn last record is cut and counted; a
# journal of another version is set aside, not deleted.
# (test/integration/journal_check.py does the talking.)
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf" "kmsg_path = off" "event_ring = 32" "event_ring_bytes = 64K" \
    "event_max_bytes = 8K" "journal_bytes = 256K"
J=$T/state/journal
chk() { python3 "$(dirname "$0")/journal_check.py" "$T/state/crashtrail.sock" "$@"; }

start_daemon "$conf"
# 1. 200 events: the ring keeps 32, the journal all of them.
chk post 200 >"$T/p1" || fail "post"
chk stream-from 10 190 || fail "SSE resume from the journal, inside the run"
chk events-from 10 190 || fail "/v1/events from the journal, inside the run"
stop_daemon
# 2. After a clean restart: seq goes on, resume is exact across it.
start_daemon "$conf"
chk post 5 >"$T/p2" || fail "post after restart"
[ "$(head -n 1 "$T/p2")" -eq 201 ] || fail "seq after restart: $(head -n 1 "$T/p2")"
chk stream-from 150 55 || fail "SSE resume across a restart"
# 3. SIGKILL, restart: the same.
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null; DPID=
start_daemon "$conf"
chk post 1 >"$T/p3" || fail "post after kill -9"
[ "$(cat "$T/p3")" -eq 206 ] || fail "seq after kill -9: $(cat "$T/p3")"
chk stream-from 199 7 || fail "SSE resume across kill -9"
# 4. From the future: a reset frame with the latest seq, then the stream.
chk future 5000 206 || fail "reset for an id from the future"
# 5. Older than the journal: the 256K journal keeps about 100 of these.
chk post 400 --pad 3000 >/dev/null || fail "post big"
chk too-old 1 || fail "gap for an id older than the journal"
curl -s --unix-socket "$T/state/crashtrail.sock" http://x/v1/status >"$T/st"
jq_py "$T/st" 'd["journal"]["bytes"] <= 256*1024 and d["journal"]["pruned_segments"] > 0' |
    grep -q True || fail "journal bound: $(cat "$T/st")"
last=$(jq_py "$T/st" 'd["events"]["latest_seq"]')
stop_daemon
# 6. A torn last record (half of a write): cut, counted once, seq goes on.
seg=$(ls "$J"/*.seg | tail -n 1)
printf '\001\020\000\000\000\000\000\000garbage-of-a-torn-write' >>"$seg"
start_daemon "$conf"
[ "$(grep -c 'torn' "$T/daemon.log")" -eq 1 ] || fail "torn tail not said once: $(grep torn "$T/daemon.log")"
curl -s --unix-socket "$T/state/crashtrail.sock" http://x/v1/status >"$T/st"
jq_py "$T/st" 'd["journal"]["torn_records_cut"]' | grep -qx 1 || fail "torn not in status: $(cat "$T/st")"
chk post 1 >"$T/p4" || fail "post after torn"
[ "$(cat "$T/p4")" -eq $((last + 1)) ] || fail "seq after the torn tail: $(cat "$T/p4") (last $last)"
stop_daemon
# 7. A journal of another version is set aside (renamed), not deleted.
seg=$(ls "$J"/*.seg | head -n 1)
printf '\002' | dd of="$seg" bs=1 seek=6 conv=notrunc 2>/dev/null
nseg=$(ls "$J"/*.seg | wc -l)
: >"$T/daemon.log"
start_daemon "$conf"
aside=$(ls -d "$J".set-aside-* 2>/dev/null | head -n 1)
[ -n "$aside" ] || fail "no set-aside directory"
[ "$(ls "$aside"/*.seg | wc -l)" -eq "$nseg" ] || fail "set-aside lost segments"
log_has 'set aside' || fail "set-aside not logged"
curl -s --unix-socket "$T/state/crashtrail.sock" http://x/v1/status >"$T/st"
jq_py "$T/st" 'd["journal"]["set_aside"]' | grep -q set-aside || fail "set_aside not in status"
# The old ids are now from the future for this journal: reset, not silence.
chk future "$last" 0 || fail "reset after set-aside"
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
