#!/bin/sh
# upload_interop.sh -- the crash-log uploader (DESIGN.md 10) against two
# independent real servers over TLS with the test CA:
#   s3   s3rver 3.7.1 (npm) behind presign_proxy.py s3, which hands out
#        SigV4 query-signed PUT URLs (its signer checked against AWS's
#        documented example; s3rver does not check V4 signatures, so the
#        URL s3rver logged is verified again here);
#   dav  nginx's dav module (nginx-light) behind presign_proxy.py dav.
# First each server is checked on its own with curl (presign, PUT, read
# back), then one daemon per backend, with two runners that crash with
# distinct 150-250 KiB of stderr: each stored object must be byte for byte
# the run's .stderr.log, with an upload_succeeded event for it and an
# empty spool.
#
# s3rver lives in $TOP/build/interop (npm ci from test/interop/); it is
# installed here when missing and npm can; else the test skips, as it
# does without nginx.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=${TOP:-$(cd "$HERE/../.." && pwd)}
PROXY=$HERE/presign_proxy.py

command -v openssl >/dev/null || skip "needs openssl"
command -v python3 >/dev/null || skip "needs python3"
command -v curl >/dev/null || skip "needs curl"
command -v nginx >/dev/null || skip "needs nginx with the dav module (apt-get install nginx-light)"
nginx -V 2>&1 | grep -q -- --with-http_dav_module ||
    skip "nginx has no dav module (apt-get install nginx-light)"
nginx -V 2>&1 | grep -q -- --with-http_ssl_module ||
    skip "nginx has no ssl module (apt-get install nginx-light)"

# s3rver, from the lock file in test/interop, into build/interop.
IDIR=$TOP/build/interop
S3RVER=$IDIR/node_modules/.bin/s3rver
if [ ! -x "$S3RVER" ] ||
    ! cmp -s "$IDIR/package-lock.json" "$TOP/test/interop/package-lock.json"; then
	command -v node >/dev/null && command -v npm >/dev/null ||
	    skip "needs node and npm for s3rver (apt-get install nodejs npm)"
	mkdir -p "$IDIR" || skip "cannot make $IDIR"
	cp "$TOP/test/interop/package.json" "$TOP/test/interop/package-lock.json" \
	    "$IDIR/" || fail "copy test/interop to $IDIR"
	echo "installing s3rver into $IDIR (npm ci)"
	( cd "$IDIR" && npm ci --no-audit --no-fund ) >"$T/npm.log" 2>&1 ||
	    skip "npm ci of s3rver failed (no registry?): $(tail -n 1 "$T/npm.log")"
fi
[ -x "$S3RVER" ] || skip "no $S3RVER after npm ci"
command -v node >/dev/null || skip "needs node to run s3rver"

# Every server by pid; lib.sh's cleanup runs this before rm -rf $T.
PIDS=
CLEANUP_HOOK=stop_servers
stop_servers() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	PIDS=
}
# spawn_bg LOG COMMAND...: start COMMAND in the background, remember its pid.
spawn_bg() {
	_log=$1; shift
	"$@" >"$_log" 2>&1 &
	LASTPID=$!
	PIDS="$PIDS $LASTPID"
}
alive() { kill -0 "$1" 2>/dev/null; }
now_ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }
elapsed() { echo "$(( $(now_ms) - $1 )) ms"; }

# --- certificates: ca, and good (ca signed, for 127.0.0.1 and localhost).
C=$T/certs
mkdir -p "$C"
if [ -f "$HERE/certs.sh" ]; then
	. "$HERE/certs.sh"
	make_test_certs
else
	# The recipe of https_client.sh.
	ca() {
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$C/$1.key" -out "$C/$1.crt" -days 2 \
		    -subj "/CN=$1 CA" \
		    -addext "basicConstraints=critical,CA:TRUE" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign" \
		    >>"$T/openssl.log" 2>&1 || fail "openssl ca $1"
	}
	cert() {
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$C/$1.key" -out "$C/$1.csr" -subj "/CN=$1" \
		    >>"$T/openssl.log" 2>&1 || fail "openssl req $1"
		printf 'basicConstraints=CA:FALSE\nsubjectAltName=%s\n' "$3" \
		    >"$C/$1.ext"
		openssl x509 -req -in "$C/$1.csr" -CA "$C/$2.crt" \
		    -CAkey "$C/$2.key" -CAcreateserial -days 2 \
		    -extfile "$C/$1.ext" -out "$C/$1.crt" \
		    >>"$T/openssl.log" 2>&1 || fail "openssl x509 $1"
	}
	ca ca
	# mbedTLS 2.28 matches names against DNS SANs only.
	cert good ca "DNS:localhost,DNS:127.0.0.1,IP:127.0.0.1"
fi
[ -f "$C/good.crt" ] && [ -f "$C/good.key" ] && [ -f "$C/ca.crt" ] ||
    fail "no test certificates in $C"
CURL="curl -sS --cacert $C/ca.crt --max-time 10"

python3 "$PROXY" selftest >"$T/selftest.out" 2>&1 ||
    fail "SigV4 signer vs the AWS example: $(cat "$T/selftest.out")"
echo "signer: $(cat "$T/selftest.out") (AWS example GET /test.txt)"

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# answers URL: any HTTP answer at all (not 000) from URL.
answers() {
	[ "$($CURL -o /dev/null -w '%{http_code}' "$1" 2>/dev/null)" != 000 ]
}

# --- s3rver, TLS, bucket tb, port chosen by itself.
S3D=$T/s3rver
mkdir -p "$S3D/data"
t0=$(now_ms)
spawn_bg "$S3D/log" node "$S3RVER" -d "$S3D/data" -a 127.0.0.1 -p 0 \
    --key "$C/good.key" --cert "$C/good.crt" --configure-bucket tb
S3PID=$LASTPID
s3_port() {
	sed -n 's/.*S3rver listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
	    "$S3D/log" | head -n 1
}
wait_for 30 sh -c "! kill -0 $S3PID || grep -q 'S3rver listening on' '$S3D/log'"
alive "$S3PID" || fail "s3rver exited: $(cat "$S3D/log")"
S3PORT=$(s3_port)
[ -n "$S3PORT" ] || fail "s3rver did not say its port: $(cat "$S3D/log")"
wait_for 10 answers "https://127.0.0.1:$S3PORT/" ||
    fail "s3rver does not answer over TLS: $(cat "$S3D/log")"
echo "s3rver ready on $S3PORT in $(elapsed "$t0")"

# --- nginx, unprivileged-style (one process, everything in its dir).
NG=$T/nginx
mkdir -p "$NG/www/up"
t0=$(now_ms)
for try in 1 2 3; do
	NGPORT=$(free_port)
	cat >"$NG/nginx.conf" <<EOF
daemon off;
master_process off;
pid nginx.pid;
error_log error.log info;
events { worker_connections 64; }
http {
	client_body_temp_path client_body;
	proxy_temp_path proxy;
	fastcgi_temp_path fastcgi;
	uwsgi_temp_path uwsgi;
	scgi_temp_path scgi;
	log_format up '\$request_method "\$request_uri" host="\$http_host" type="\$content_type" length="\$content_length" te="\$http_transfer_encoding" status=\$status';
	access_log access.log up;
	server {
		listen 127.0.0.1:$NGPORT ssl;
		ssl_certificate $C/good.crt;
		ssl_certificate_key $C/good.key;
		client_max_body_size 16m;
		location /up/ {
			root www;
			dav_methods PUT;
			create_full_put_path on;
		}
	}
}
EOF
	spawn_bg "$NG/stdout" nginx -p "$NG/" -c nginx.conf -e "$NG/error.log"
	NGPID=$LASTPID
	wait_for 10 sh -c "! kill -0 $NGPID || curl -s -o /dev/null --cacert '$C/ca.crt' 'https://127.0.0.1:$NGPORT/'"
	alive "$NGPID" && break
	grep -q "Address already in use" "$NG/error.log" ||
	    fail "nginx exited: $(tail -n 5 "$NG/error.log")"
done
alive "$NGPID" || fail "nginx did not start: $(tail -n 5 "$NG/error.log")"
answers "https://127.0.0.1:$NGPORT/" || fail "nginx does not answer"
echo "nginx ready on $NGPORT in $(elapsed "$t0")"

# --- the presign proxies: P/s3.port, P/dav.port when listening.
P=$T/proxy
mkdir -p "$P"
cp "$C/good.crt" "$C/good.key" "$P/"
t0=$(now_ms)
spawn_bg "$P/s3.log" python3 "$PROXY" serve s3 "$P" "$S3PORT" tb
PS3PID=$LASTPID
spawn_bg "$P/dav.log" python3 "$PROXY" serve dav "$P" "$NGPORT"
PDAVPID=$LASTPID
wait_for 10 sh -c "! kill -0 $PS3PID || ! kill -0 $PDAVPID || { test -s '$P/s3.port' && test -s '$P/dav.port'; }"
alive "$PS3PID" || fail "presign s3 exited: $(cat "$P/s3.log")"
alive "$PDAVPID" || fail "presign dav exited: $(cat "$P/dav.log")"
PS3PORT=$(cat "$P/s3.port")
PDAVPORT=$(cat "$P/dav.port")
echo "presign proxies ready (s3 $PS3PORT, dav $PDAVPORT) in $(elapsed "$t0")"
[ "$($CURL "https://127.0.0.1:$PS3PORT/selftest")" = '{"ok": true, "message": "selftest ok"}' ] ||
    fail "proxy /selftest: $($CURL "https://127.0.0.1:$PS3PORT/selftest")"

# json FILE EXPR: a value out of a JSON file (d).
json() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
sha_of() { sha256sum "$1" | cut -d' ' -f1; }

# presign BACKEND PORT FILE RUN_ID: POST the presign request for FILE as the
# daemon would; the answer in $T/presign.json.
presign() {
	_body=$(printf '{"sha256":"%s","size":%d,"run_id":"%s","instance_id":"curl","runner_id":"curl","cause":"exitcode=3"}' \
	    "$(sha_of "$3")" "$(stat -c %s "$3")" "$4")
	_code=$($CURL -o "$T/presign.json" -w '%{http_code}' \
	    -H 'Content-Type: application/json' --data-binary "$_body" \
	    "https://127.0.0.1:$2/telemetry/runner-log/presign")
	[ "$_code" = 200 ] || fail "$1 presign: $_code $(cat "$T/presign.json")"
}

# s3_get KEY OUT: read an object back from s3rver with a presigned GET;
# the response headers in OUT.hdr.
s3_get() {
	_u=$(python3 "$PROXY" sign GET "https://127.0.0.1:$S3PORT/tb/$1") ||
	    fail "sign GET $1"
	_code=$($CURL -D "$2.hdr" -o "$2" -w '%{http_code}' "$_u")
	[ "$_code" = 200 ] || fail "s3rver GET $1: $_code $(cat "$2")"
}

# s3_logged_ok URL: s3rver logged a 200 for exactly URL.  Its logger
# (koa-logger through lib/middleware/logger.js) drops the first 16
# characters of "  --> PUT /tb/...", that is the URL's first 6; the rest,
# query and all, must be as handed out.
s3_logged_ok() {
	python3 - "$S3D/log" "$1" <<'EOF'
import re, sys
log, url = open(sys.argv[1], errors="replace").read(), sys.argv[2]
want = "/" + url.split("://", 1)[1].split("/", 1)[1]
obj = want.split("?")[0]
seen = []
for line in log.splitlines():
    line = re.sub(r"\x1b\[[0-9;]*m", "", line)
    m = re.match(r"info: (\S+) (\d{3}) \S+ \S+$", line)
    if not m:
        continue
    got, status = m.groups()
    if want.endswith(got) and len(want) - len(got) <= 16:
        if status != "200":
            sys.exit("s3rver answered %s to %s" % (status, got))
        sys.exit(0)
    if obj[16:] in got.split("?")[0]:
        seen.append("%s %s" % (status, got))
sys.exit("s3rver logged no request for the URL handed out (%s); for that "
         "object it saw: %s" % (want, seen or "nothing"))
EOF
}

# --- each server on its own: presign with curl, PUT with curl, read back.
t0=$(now_ms)
python3 -c 'import os, sys; sys.stdout.buffer.write(os.urandom(300000))' >"$T/blob"
presign s3 "$PS3PORT" "$T/blob" curl-s3-1
url=$(json "$T/presign.json" 'd["uploadUrl"]')
key=$(json "$T/presign.json" 'd["key"]')
python3 "$PROXY" verify PUT "$url" >"$T/verify.out" || fail "issued URL: $(cat "$T/verify.out")"
code=$($CURL -o "$T/put.out" -w '%{http_code}' -T "$T/blob" \
    -H 'Content-Type: application/octet-stream' "$url")
[ "$code" = 200 ] || fail "curl PUT to s3rver: $code $(cat "$T/put.out")"
s3_logged_ok "$url" || fail "curl PUT, s3rver log"
s3_get "$key" "$T/blob.s3"
cmp -s "$T/blob" "$T/blob.s3" || fail "s3rver gave back other bytes"
echo "s3rver by curl: presign, PUT, GET identical ($(elapsed "$t0"))"

t0=$(now_ms)
presign dav "$PDAVPORT" "$T/blob" curl-dav-1
url=$(json "$T/presign.json" 'd["uploadUrl"]')
key=$(json "$T/presign.json" 'd["key"]')
[ "$url" = "https://127.0.0.1:$NGPORT/up/$(sha_of "$T/blob")" ] || fail "dav URL $url"
code=$($CURL -o "$T/put.out" -w '%{http_code}' -T "$T/blob" \
    -H 'Content-Type: application/octet-stream' "$url")
[ "$code" = 201 ] || fail "curl PUT to nginx: $code $(cat "$T/put.out")"
cmp -s "$T/blob" "$NG/www/$key" || fail "nginx stored other bytes"
$CURL -o "$T/blob.dav" "https://127.0.0.1:$NGPORT/$key" || fail "nginx GET"
cmp -s "$T/blob" "$T/blob.dav" || fail "nginx gave back other bytes"
echo "nginx by curl: presign, PUT, file identical ($(elapsed "$t0"))"

# --- the daemon, once per backend.
[ -x "$CRASHTRAIL" ] || fail "no daemon $CRASHTRAIL"
# A runner: about SIZE bytes of stderr text for TAG, then exit 3.  beta
# also writes bytes that are not UTF-8 (the log keeps them raw).
cat >"$T/noisy.py" <<'EOF'
import hashlib, sys
tag, leg, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
out, n, i = sys.stderr.buffer, 0, 0
while n < size:
    h = hashlib.sha256(("%s %s %d" % (leg, tag, i)).encode()).hexdigest()
    line = ("%s/%s line %06d %s\n" % (leg, tag, i, h)).encode()
    if tag == "beta" and i % 97 == 0:
        line = b"\xff\xfe raw \x00\x01\x80 " + line
    out.write(line)
    n, i = n + len(line), i + 1
out.flush()
print("%s done after %d lines" % (tag, i))
sys.exit(3)
EOF

# check_leg BACKEND: the state of $T/state-BACKEND after both runs
# uploaded; exits non-zero with the reason.
cat >"$T/check_leg.py" <<'EOF'
import hashlib, json, os, subprocess, sys
sys.path.insert(0, os.environ["HERE"])
import ctapi

backend, state = sys.argv[1], sys.argv[2]
T, P = os.environ["T"], os.environ["P"]
proxy = os.environ["PROXY"]
sock = os.path.join(state, "crashtrail.sock")

def die(msg):
    sys.exit("%s: %s" % (backend, msg))

def lines(path):
    try:
        return [json.loads(l) for l in open(path)]
    except FileNotFoundError:
        return []

st, body = ctapi.request(sock, "GET", "/v1/events?type=upload_succeeded&limit=1000")
if st != 200:
    die("events: %d %r" % (st, body[:300]))
events = {e.get("run_id"): e for e in json.loads(body)["events"]}
requests = [r for r in lines(os.path.join(P, backend + ".requests"))
            if not r.get("body", {}).get("run_id", "").startswith("curl-")]
issued = {i["run_id"]: i for i in lines(os.path.join(P, backend + ".issued"))}
bad = [r for r in requests if r["status"] != 200]
if bad:
    die("the presign server refused requests: %s" % bad)

for runner in ("alpha", "beta"):
    d = os.path.join(state, "runner_log", "default", runner)
    reports = sorted(f for f in os.listdir(d) if f.endswith(".death.json"))
    if len(reports) != 1:
        die("%s: %d death reports" % (runner, len(reports)))
    rep = json.load(open(os.path.join(d, reports[0])))
    run, log = rep["run_id"], rep["stderr_log"]["path"]
    if not os.path.isabs(log):
        log = os.path.join(state, log)
    data = open(log, "rb").read()
    sha = hashlib.sha256(data).hexdigest()
    if sha != rep["stderr_log"]["sha256"] or len(data) != rep["stderr_log"]["size"]:
        die("%s: the report's sha256/size are not the log's" % run)
    if len(data) < 150000:
        die("%s: only %d bytes of stderr" % (run, len(data)))

    # What the presign server was asked.
    mine = [r for r in requests if r["body"]["run_id"] == run]
    if not mine:
        die("%s: no presign request" % run)
    for r in mine:
        want = {"sha256": sha, "size": len(data), "run_id": run,
                "instance_id": "default", "runner_id": runner,
                "cause": rep["exit"]["cause"]}
        got = {k: r["body"].get(k) for k in want}
        if got != want:
            die("%s: presign body %s, wanted %s" % (run, got, want))
        if (r["content_type"] or "").split(";")[0].strip() != "application/json":
            die("%s: presign Content-Type %r" % (run, r["content_type"]))
        if r["host"] != "127.0.0.1:%s" % os.environ["PRESIGN_PORT"]:
            die("%s: presign Host %r" % (run, r["host"]))
    iss = issued.get(run)
    if iss is None:
        die("%s: no URL issued" % run)

    # The event.
    ev = events.get(run)
    if ev is None:
        die("%s: no upload_succeeded event (have %s)" % (run, sorted(events)))
    ed = ev.get("data") or {}
    for k, v in (("key", iss["key"]), ("sha256", sha), ("size", len(data)),
                 ("already_stored", False)):
        if ed.get(k) != v:
            die("%s: event data %s = %r, wanted %r" % (run, k, ed.get(k), v))
    if not isinstance(ed.get("attempts"), int) or not 1 <= ed["attempts"] <= 4:
        die("%s: event attempts %r" % (run, ed.get("attempts")))
    if ev.get("runner_id") not in (None, runner):
        die("%s: event runner_id %r" % (run, ev.get("runner_id")))

    # What was stored.
    got = os.path.join(T, "%s-%s.stored" % (backend, runner))
    if backend == "s3":
        url = subprocess.check_output(
            ["python3", proxy, "sign", "GET", iss["url"].split("?")[0]],
            text=True).strip()
        hdr = subprocess.run(
            ["curl", "-sS", "--cacert", os.path.join(T, "certs", "ca.crt"),
             "--max-time", "10", "-D", got + ".hdr", "-o", got,
             "-w", "%{http_code}", url], capture_output=True, text=True)
        if hdr.stdout != "200":
            die("%s: GET back from s3rver: %s %s" % (run, hdr.stdout, hdr.stderr))
        ctype = [l.split(":", 1)[1].strip() for l in open(got + ".hdr")
                 if l.lower().startswith("content-type:")]
        if ctype != ["application/octet-stream"]:
            die("%s: s3rver stored Content-Type %s" % (run, ctype))
        r = subprocess.run(["python3", proxy, "verify", "PUT", iss["url"]],
                           capture_output=True, text=True)
        if r.returncode:
            die("%s: the issued URL: %s" % (run, r.stdout))
    else:
        got = os.path.join(T, "nginx", "www", iss["key"])
        acc = [l for l in open(os.path.join(T, "nginx", "access.log"))
               if l.startswith('PUT "/%s"' % iss["key"])]
        want = ('PUT "/%s" host="127.0.0.1:%s" type="application/octet-stream" '
                'length="%d" te="-" status=201\n'
                % (iss["key"], os.environ["NGPORT"], len(data)))
        if want not in acc:
            die("%s: nginx logged %s, wanted %s" % (run, acc, want))
    stored = open(got, "rb").read()
    if hashlib.sha256(stored).hexdigest() != sha or stored != data:
        die("%s: stored %d bytes sha256 %s, the log has %d bytes %s"
            % (run, len(stored), hashlib.sha256(stored).hexdigest(),
               len(data), sha))
    print("%s %s: %d bytes, key %s, attempts %d, identical"
          % (backend, runner, len(data), iss["key"], ed["attempts"]))
    if backend == "s3":
        print(iss["url"])
EOF

# up_done STATE N: N upload_succeeded events and no job in the spool.
up_done() {
	python3 - "$1/crashtrail.sock" "$2" <<'EOF' || return 1
import json, sys
sys.path.insert(0, __import__("os").environ["HERE"])
import ctapi
st, body = ctapi.request(sys.argv[1], "GET", "/v1/events?type=upload_succeeded&limit=1000")
sys.exit(0 if st == 200 and len(json.loads(body)["events"]) >= int(sys.argv[2]) else 1)
EOF
	! ls "$1"/spool/*.job >/dev/null 2>&1
}
up_done_or_gone() { ! alive "$DPID" || up_done "$@"; }
export HERE T P PROXY NGPORT

leg() {	# BACKEND PRESIGN_PORT [URL_TAIL]
	_b=$1 _pp=$2 _tail=${3:-}
	_st=$T/state-$_b
	conf=$T/$_b.conf
	cat >"$conf" <<EOF
[collector]
state_dir = $_st
telemetry = on
telemetry_api_url = https://127.0.0.1:$_pp$_tail
ca_file = $C/ca.crt
upload_backoff_min = 0.05
upload_backoff_max = 0.5
upload_max_attempts = 4
[runner:alpha]
command = python3 $T/noisy.py alpha $_b 204800
startsecs = 0
autorestart = never
[runner:beta]
command = python3 $T/noisy.py beta $_b 160000
startsecs = 0
autorestart = never
EOF
	t0=$(now_ms)
	start_daemon "$conf"
	wait_for 30 up_done_or_gone "$_st" 2
	if ! up_done "$_st" 2; then
		echo "--- spool"; ls -la "$_st/spool" 2>&1
		echo "--- $_b presign requests"; cat "$P/$_b.requests" 2>&1
		echo "--- $_b server log"
		if [ "$_b" = s3 ]; then tail -n 20 "$S3D/log"
		else tail -n 10 "$NG/access.log" "$NG/error.log"; fi
		alive "$DPID" ||
		    fail "$_b: the daemon exited before both runs were uploaded"
		fail "$_b: no 2 upload_succeeded events and an empty spool within 30 s"
	fi
	echo "daemon to $_b: both runs uploaded in $(elapsed "$t0") (incl. start)"
	PRESIGN_PORT=$_pp python3 "$T/check_leg.py" "$_b" "$_st" >"$T/check.out" 2>&1 ||
	    { cat "$T/check.out"; fail "$_b: check"; }
	cat "$T/check.out"
	if [ "$_b" = s3 ]; then
		for u in $(grep '^https://' "$T/check.out"); do
			s3_logged_ok "$u" || fail "s3: the daemon's PUT, s3rver log"
		done
	fi
	stop_daemon
	cp "$T/daemon.log" "$T/daemon-$_b.log"
}

leg s3 "$PS3PORT"
# With a trailing '/', which the daemon strips (DESIGN.md 10).
leg dav "$PDAVPORT" /
echo ok
