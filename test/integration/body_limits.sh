# body_limits.sh -- every body over api_max_body (64K by default) is
# refused with our JSON 413 PAYLOAD_TOO_LARGE, never evhttp's HTML page or
# a reset, whether curl sends it at once or waits for 100-continue, on the
# Unix socket and over TCP (where the token is still checked first), and
# the daemon still answers afterwards.
. "$(dirname "$0")/lib.sh"
port=$(python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf=$T/c.conf
collector "$conf" "api_listen = 127.0.0.1:$port" "api_token = s3cret-0123456789"
start_daemon "$conf"
S=$T/state/crashtrail.sock
U=http://localhost/telemetry/events

# is_json STATUS CODE: $T/resp is our envelope with CODE.
is_json() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"code", "message", "retryable"}, d
assert d["code"] == sys.argv[2] and d["retryable"] is False, d
' "$T/resp" "$1"
}

# post WHAT EXPECTED-STATUS EXPECTED-CODE CURL-ARGS...
post() {
	_what=$1 _want=$2 _jc=$3; shift 3
	code=$(curl -s -o "$T/resp" -w '%{http_code}' "$@" \
	    -H 'Content-Type: application/json')
	[ "$code" = "$_want" ] ||
	    fail "$_what -> $code: $(head -c 200 "$T/resp")"
	is_json "$_jc" || fail "$_what: $(head -c 200 "$T/resp")"
}

for n in 65537 307200 921600 5242880; do
	head -c "$n" /dev/zero | tr '\0' 'a' >"$T/b$n"
	for expect in default off; do
		if [ $expect = off ]; then set -- -H 'Expect:'; else set --; fi
		post "$n bytes (Expect $expect)" 413 PAYLOAD_TOO_LARGE "$@" \
		    --unix-socket "$S" "$U" --data-binary "@$T/b$n"
	done
done

# Over TCP: the same refusal with the token, and 401 (JSON) without it.
for n in 307200 5242880; do
	post "TCP $n bytes" 413 PAYLOAD_TOO_LARGE \
	    -H 'Authorization: Bearer s3cret-0123456789' \
	    "http://127.0.0.1:$port/telemetry/events" --data-binary "@$T/b$n"
done
post "TCP 5242880 bytes, no token" 401 UNAUTHORIZED \
    "http://127.0.0.1:$port/telemetry/events" --data-binary "@$T/b5242880"

# A chunked body is refused at its head, whatever its size.
post "chunked" 413 PAYLOAD_TOO_LARGE -H 'Transfer-Encoding: chunked' \
    --unix-socket "$S" "$U" --data-binary "@$T/b921600"

# A body that itself looks like an oversized head is only a body.
printf 'POST /x HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n' >"$T/fake"
post "a head-like body" 400 INVALID_PARAMS --unix-socket "$S" "$U" \
    --data-binary "@$T/fake"

# Under the limit still goes through.
code=$(curl -s -o "$T/resp" -w '%{http_code}' --unix-socket "$S" "$U" \
    --data-binary '{"type":"probe","data":{"n":1}}')
[ "$code" = 200 ] || fail "a small event -> $code: $(head -c 200 "$T/resp")"
code=$(curl -s -o "$T/resp" -w '%{http_code}' --unix-socket "$S" \
    http://localhost/v1/status)
[ "$code" = 200 ] || fail "status after the refusals -> $code"
kill -0 "$DPID" || fail "daemon died"
exit 0
