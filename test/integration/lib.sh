# lib.sh -- shared helpers for the integration tests (sourced, not run).
# Each test runs the real daemon ($CRASHTRAIL) in its own mktemp -d
# directory; fail() and the EXIT trap stop every process the test started,
# by pid, and remove the directory.

set -u

skip() {
	echo "$*"
	exit 77
}

# in_mount_ns SCRIPT ARGS...: run the test SCRIPT again in a mount
# namespace of its own (unshare -m), so what it mounts is private to it
# and goes with it; skip when that needs what we lack (root, unshare -m).
# A test that mounts asks for it with NEED_MOUNT_NS=1 before sourcing
# lib.sh, which calls this before it makes $T: the re-run makes its own.
in_mount_ns() {
	[ -n "${CT_IN_NS:-}" ] && return 0
	if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null ||
	    ! unshare -m true 2>/dev/null; then
		skip "needs root and unshare -m to mount a small tmpfs"
	fi
	_script=$1; shift
	CT_IN_NS=1 exec unshare -m sh "$_script" "$@"
}
[ -n "${NEED_MOUNT_NS:-}" ] && in_mount_ns "$0" "$@"

T=$(mktemp -d "${TMPDIR:-/tmp}/crashtrail-it.XXXXXX")
DPID=
H=${HELPER_DIR:?}

cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	# Every run's process group, as the daemon logged them.
	if [ -f "$T/daemon.log" ]; then
		for p in $(sed -n 's/.* started, pid \([0-9]*\)$/\1/p' \
		    "$T/daemon.log"); do
			pkill -KILL -g "$p" 2>/dev/null
		done
	fi
	${CLEANUP_HOOK:-}
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	echo "FAIL: $*"
	if [ -f "$T/daemon.log" ]; then
		echo "--- daemon log (last 40 lines)"
		grep -v ticker "$T/daemon.log" | tail -n 40
	fi
	exit 1
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	_end=$(( $(date +%s) + $1 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -gt "$_end" ] && return 1
		sleep 0.05
	done
	return 0
}

log_has() {
	grep -q -- "$1" "$T/daemon.log"
}

# start_daemon CONF: run crashtrail on CONF and wait for "ready".
start_daemon() {
	# Emptied here, not by the background job's redirection: that one
	# may run after wait_for has already seen the last daemon's "ready".
	: >"$T/daemon.log"
	"$CRASHTRAIL" run -c "$1" >"$T/daemon.stdout" 2>>"$T/daemon.log" &
	DPID=$!
	wait_for 10 log_has ' ready$' || fail "daemon did not get ready"
}

# stop_daemon: SIGTERM, then wait for the exit; its status is in $DRC.
stop_daemon() {
	kill -TERM "$DPID"
	wait_for 60 sh -c "! kill -0 $DPID" || fail "daemon did not exit"
	wait "$DPID"
	DRC=$?
	DPID=
}

# collector CONF-FILE [extra collector lines]: write the [collector] part.
collector() {
	{
		echo "[collector]"
		echo "state_dir = $T/state"
		shift
		for l in "$@"; do echo "$l"; done
	} >"$1"
}

# report_of RUNNER: the death report files of a runner, oldest first.
reports_of() {
	ls "${LOGDIR:-$T/state}"/runner_log/*/"$1"/*.death.json 2>/dev/null
}

# jq_py FILE EXPR: evaluate a Python expression over the JSON document d.
jq_py() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
