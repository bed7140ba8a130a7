# body_limits.sh -- every body over api_max_body (64K by default) is
# refused with our JSON 413 PAYLOAD_TOO_LARGE, never evhttp's HTML page or
# a reset, whether curl sends it at once or waits for 100-continue, and
# the daemon still answers afterwards.
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf"
start_daemon "$conf"
S=$T/state/crashtrail.sock

for n in 65537 307200 921600 5242880; do
	head -c "$n" /dev/zero | tr '\0' 'a' >"$T/b$n"
	for expect in default off; do
		if [ $expect = off ]; then set -- -H 'Expect:'; else set --; fi
		code=$(curl -s -o "$T/resp" -w '%{http_code}' "$@" \
		    --unix-socket "$S" http://localhost/telemetry/events \
		    -H 'Content-Type: application/json' --data-binary "@$T/b$n")
		[ "$code" = 413 ] ||
		    fail "$n bytes (Expect $expect) -> $code: $(head -c 200 "$T/resp")"
		python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"code", "message", "retryable"}, d
assert d["code"] == "PAYLOAD_TOO_LARGE" and d["retryable"] is False, d
' "$T/resp" || fail "$n bytes (Expect $expect): $(head -c 200 "$T/resp")"
	done
done
code=$(curl -s -o "$T/resp" -w '%{http_code}' --unix-socket "$S" \
    http://localhost/v1/status)
[ "$code" = 200 ] || fail "status after the refusals -> $code"
kill -0 "$DPID" || fail "daemon died"
exit 0
