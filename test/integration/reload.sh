#!/bin/sh
# reload.sh -- a new config without a restart (SIGHUP, crashtrail reload,
# POST /v1/reload): runners a b c d and an SSE client; a file that removes
# a, adds e, changes b's command and only c's backoff: a is stopped with
# its ladder, e starts, b restarts with a new pid, c and d keep their
# pids and their tails, the stream stays and sees collector_reloaded.  A
# file with an error is refused with file:line and nothing changes.  A run
# keeps the diagnostics catalogue it started with; a new run takes the new
# one.  200 reloads alternating two files leave RSS flat.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "needs python3"
HERE=$(cd "$(dirname "$0")" && pwd)
# runner NAME CMD [extra lines]
runner() {
	_n=$1 _c=$2; shift 2
	printf '[runner:%s]\ncommand = %s\nstartsecs = 0\n' "$_n" "$_c"
	for l in "$@"; do echo "$l"; done
}
talk="/bin/sh -c 'echo started \$\$ >&2; while :; do echo tick >&2; sleep 0.2; done'"
diag="/bin/sh -c 'while [ ! -e $T/go ]; do sleep 0.05; done; echo OLDPATTERN here >&2; echo NEWPATTERN here >&2; exit 3'"
# A small event ring, full early: a filling ring (pages touched as events
# arrive) would look like growth in the RSS check.
collector "$T/one.conf" "max_runners = 8" "event_ring = 256" "event_ring_bytes = 64K" \
    "event_max_bytes = 8K"
{
	runner a "$talk" "stopwaitsecs = 1"
	runner b "$talk"
	runner c "$talk" "backoff = 1"
	runner d "$talk"
	runner dg "$diag" "autorestart = never"
	printf '[diagnostic:old-one]\nmatch = OLDPATTERN\nsummary = the old one\n'
} >>"$T/one.conf"
collector "$T/two.conf" "max_runners = 8" "event_ring = 256" "event_ring_bytes = 64K" \
    "event_max_bytes = 8K" "log_level = warn" "max_runs = 200"
{
	runner b "$talk --changed"
	runner c "$talk" "backoff = 2"
	runner d "$talk"
	runner e "$talk"
	runner dg "$diag" "autorestart = never"
	printf '[diagnostic:new-one]\nmatch = NEWPATTERN\nsummary = the new one\n'
} >>"$T/two.conf"
# The shell's "$$" must reach the runner: b's new command differs by an
# argument its shell ignores.
sed -i "s|sleep 0.2; done' --changed|sleep 0.2; done; : changed'|" "$T/two.conf"
cp "$T/one.conf" "$T/crashtrail.conf"
start_daemon "$T/crashtrail.conf"
python3 "$HERE/reload_check.py" "$T" "$CRASHTRAIL" "$DPID" ||
    fail "reload checks"
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
echo ok
