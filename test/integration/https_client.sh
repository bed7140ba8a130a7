#!/bin/sh
# https_client.sh -- src/https.c through test/helpers/https_get against
# test servers (https_server.py) with certificates from certs.sh:
# good GET, chunked GET, a 5 MiB PUT, a cert from another CA, a wrong
# host name, a stalled handshake, a refused connection, plain http://.
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "needs openssl"
command -v python3 >/dev/null || skip "needs python3"
G=$H/https_get
[ -x "$G" ] || fail "no $G"
SPID=
CLEANUP_HOOK=stop_server
stop_server() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	SPID=
}

. "$(dirname "$0")/certs.sh"
make_test_certs

python3 "$(dirname "$0")/https_server.py" "$C" 2>"$T/server.log" &
SPID=$!
wait_for 10 test -f "$C/ports" || fail "server did not start"
. "$C/ports"

# get NAME ARGS...: run https_get, output in $T/NAME.out, status in $RC.
get() {
	_n=$1; shift
	"$G" --ca "$C/ca.crt" "$@" >"$T/$_n.out" 2>"$T/$_n.err"
	RC=$?
	OUT=$(cat "$T/$_n.out")
	echo "$_n: rc=$RC $OUT"
}
want_ok() {	# NAME SHA BYTES
	[ "$RC" -eq 0 ] || fail "$1: exit $RC: $OUT $(cat "$T/$1.err")"
	[ "$OUT" = "status=200 bytes=$3 sha256=$2" ] ||
	    fail "$1: got '$OUT', wanted sha256=$2 bytes=$3"
}
want_fail() {	# NAME PATTERN
	[ "$RC" -eq 1 ] || fail "$1: exit $RC, wanted 1: $OUT"
	echo "$OUT" | grep -q "^failed: .*$2" ||
	    fail "$1: '$OUT' does not say '$2'"
}

BLOB_SHA=$(python3 -c 'import hashlib; print(hashlib.sha256(bytes((i * 7 + 3) % 251 for i in range(100000))).hexdigest())')

get good "https://127.0.0.1:$good/blob"
want_ok good "$BLOB_SHA" 100000

get byname "https://localhost:$good/blob"
want_ok byname "$BLOB_SHA" 100000

get chunked "https://127.0.0.1:$good/chunked"
want_ok chunked "$BLOB_SHA" 100000

head -c 5242880 /dev/urandom >"$T/up.bin"
UP_SHA=$(sha256sum "$T/up.bin" | cut -d' ' -f1)
# The server answers the body's SHA-256 in hex: hash that answer.
ANS_SHA=$(printf %s "$UP_SHA" | sha256sum | cut -d' ' -f1)
get put --put "$T/up.bin" "https://127.0.0.1:$good/up"
want_ok put "$ANS_SHA" 64

get wrongca "https://127.0.0.1:$wrongca/blob"
want_fail wrongca "verification failed: certificate not trusted"

get wronghost "https://127.0.0.1:$wronghost/blob"
want_fail wronghost "verification failed: host name mismatch"

# The system bundle does not know our CA either.
"$G" "https://127.0.0.1:$good/blob" >"$T/system.out" 2>&1
grep -q "^failed: .*certificate not trusted" "$T/system.out" ||
    fail "system bundle: $(cat "$T/system.out")"

s=$(date +%s)
get stall --timeout 1000 "https://127.0.0.1:$stall/blob"
e=$(( $(date +%s) - s ))
want_fail stall "timeout in HANDSHAKE after 1000 ms"
[ "$e" -le 3 ] || fail "stall: took ${e}s for a 1 s timeout"

get refused "https://127.0.0.1:$refused/blob"
want_fail refused "connect to 127.0.0.1 port $refused: Connection refused"

get plain "http://127.0.0.1:$plain/blob"
want_ok plain "$BLOB_SHA" 100000

get plaintls "http://127.0.0.1:$good/blob"
want_fail plaintls "bad response"

get badurl "ftp://127.0.0.1/x"
want_fail badurl "scheme"
get v6 "https://[::1]:$good/blob"
want_fail v6 "IPv6"
echo ok
