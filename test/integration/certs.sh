# certs.sh -- test certificates made by openssl (sourced after lib.sh).
# Everything goes to $C ($T/certs); openssl's chatter to $T/openssl.log.
#   ca NAME            a self-signed CA: $C/NAME.crt, $C/NAME.key
#   cert NAME CA SAN   a server certificate signed by CA for SAN
#                      (openssl's subjectAltName syntax)
#   make_test_certs    ca, ca2 and the server certificates
#                        good       (ca,  localhost and 127.0.0.1)
#                        wrongca    (ca2, the same names)
#                        wronghost  (ca,  wrong.example only)
# mbedTLS 2.28 matches host names against DNS SANs only, so 127.0.0.1 is
# given as a DNS name as well as an IP address.

command -v openssl >/dev/null || skip "needs openssl"

C=$T/certs
mkdir -p "$C"

ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$1.key" -out "$C/$1.crt" -days 2 -subj "/CN=$1 CA" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    >>"$T/openssl.log" 2>&1 || fail "openssl ca $1"
}

cert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$C/$1.key" -out "$C/$1.csr" -subj "/CN=$1" \
	    >>"$T/openssl.log" 2>&1 || fail "openssl req $1"
	printf 'basicConstraints=CA:FALSE\nsubjectAltName=%s\n' "$3" \
	    >"$C/$1.ext"
	openssl x509 -req -in "$C/$1.csr" -CA "$C/$2.crt" -CAkey "$C/$2.key" \
	    -CAcreateserial -days 2 -extfile "$C/$1.ext" -out "$C/$1.crt" \
	    >>"$T/openssl.log" 2>&1 || fail "openssl x509 $1"
}

make_test_certs() {
	ca ca
	ca ca2
	cert good ca "DNS:localhost,DNS:127.0.0.1,IP:127.0.0.1"
	cert wrongca ca2 "DNS:localhost,DNS:127.0.0.1,IP:127.0.0.1"
	cert wronghost ca "DNS:wrong.example"
}

# start_upload_server: the test CA and certificates, then upload_server.py
# on them (state in $S = $T/server, its log in $T/server.log); sets SPID,
# PORT and CTL, and stop_upload_server (called by lib.sh's cleanup through
# CLEANUP_HOOK=stop_upload_server, or by a test's own hook) stops it.
start_upload_server() {
	command -v python3 >/dev/null || skip "needs python3"
	make_test_certs
	S=$T/server
	mkdir -p "$S"
	python3 "$(dirname "$0")/upload_server.py" "$C" "$S" \
	    2>"$T/server.log" &
	SPID=$!
	wait_for 10 test -f "$S/ports" ||
	    fail "upload server did not start: $(cat "$T/server.log")"
	. "$S/ports"
}

stop_upload_server() {
	[ -n "${SPID:-}" ] && kill "$SPID" 2>/dev/null
	[ -n "${SPID:-}" ] && wait "$SPID" 2>/dev/null
	SPID=
}
