#!/bin/sh
# upload_faults.sh -- the crash-log uploader (DESIGN.md 10) against
# upload_server.py and each of its faults, one runner per scenario in one
# daemon (test/integration/upload_faults.py has the scenarios): success
# first time; 5xx, 503 with Retry-After (seconds, HTTP-date), truncated,
# oversized and non-JSON presign answers, a PUT reset mid-body, a stalled
# handshake, connections closed before TLS, a server down for a while:
# retried, then stored; 413, 400, size over maxSize, wrong CA, wrong host,
# attempts used up, a server gone: final failures; 409 = already stored;
# a PUT answered 403 and a URL that had expired: presigned again.  At the
# end the spool is empty, the counters match the events, and a runner
# printing all along kept its pid; the API answered during the stall.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/certs.sh"

command -v python3 >/dev/null || skip "needs python3"
HERE=$(cd "$(dirname "$0")" && pwd)
CLEANUP_HOOK=stop_upload_server
start_upload_server

conf=$T/c.conf
# The URL's trailing / must be stripped.
collector "$conf" "telemetry = on" \
    "telemetry_api_url = https://127.0.0.1:$PORT/" "ca_file = $C/ca.crt" \
    "upload_backoff_min = 0.05" "upload_backoff_max = 0.5" \
    "upload_max_attempts = 4" "upload_timeout = 2" "upload_concurrency = 2"
python3 "$HERE/upload_faults.py" runners >>"$conf" || fail "runner sections"
start_daemon "$conf"

python3 "$HERE/upload_faults.py" check "$T" "$S" "$SPID" || {
	echo "--- upload server log (last 15 lines)"
	tail -n 15 "$T/server.log"
	fail "upload checks
$(cat "$T/upload_faults.failed" 2>/dev/null)"
}
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
echo ok
