# sse.sh -- the event stream: a crash arrives as runner_failed, resume with
# Last-Event-ID, gaps with their count, and 200 readers plus one that never
# reads leaving the daemon's memory flat (test/integration/sse_check.py).
# The journal is off here: this is the ring alone (journal_resume.sh has
# resume from the journal).
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf" "event_ring = 64" "event_ring_bytes = 256K" "event_max_bytes = 64K" \
    "journal_bytes = 0"
cat >>"$conf" <<EOC
[runner:crash]
command = $H/crasher segv
autostart = no
autorestart = never
startsecs = 0
EOC
start_daemon "$conf"
python3 "$(dirname "$0")/sse_check.py" "$T/state/crashtrail.sock" "$DPID" ||
    fail "stream checks"
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
