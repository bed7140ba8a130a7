#!/usr/bin/env python3
"""upload_server.py CERTDIR STATEDIR -- the upload service, for tests.

A threaded HTTPS server on 127.0.0.1 (CERTDIR/good.crt, signed by
CERTDIR/ca.crt) speaking the protocol crashtrail's uploader uses, and a
plain-HTTP control port that makes it misbehave on demand.  Both ports
are random; once both listen they are written to STATEDIR/ports as
shell:  PORT=n CTL=n
Standard library only.  Every request is logged to stderr.  SIGTERM ends
it.

Upload protocol (PORT, TLS):
  POST /telemetry/runner-log/presign
      body {"sha256","size","run_id","instance_id","runner_id","cause"},
      all required (sha256: 64 lowercase hex; size: integer >= 0; the
      others non-empty strings).  Bad body -> 400; an object with that
      sha256 already stored -> 409 {"error","key"}; else 200
      {"uploadUrl": "https://127.0.0.1:PORT/put/SHA?exp=E&sig=S",
       "key": "logs/RUN_ID/SHA", "expiresIn": EXPIRES, "maxSize": MAXSIZE,
       "unknownField": {"nested": [1, 2]}}
      where E = now + expiresIn (unix seconds) and S = hex HMAC-SHA256,
      with a secret made at start, over "PUT\\n/put/SHA\\nE\\nSIZE".
  PUT /put/SHA?exp=E&sig=S
      400 without Content-Length; 403 if the signature (checked with
      SIZE = Content-Length) is wrong or E is past; 400 if Content-Type is
      not application/octet-stream; 413 over MAXSIZE; reads exactly
      Content-Length bytes, 400 if their SHA-256 is not SHA; else stores
      them (in memory and STATEDIR/objects/SHA), counts the put, 200.
  EXPIRES and MAXSIZE: $UPLOAD_SERVER_EXPIRES (300) and
  $UPLOAD_SERVER_MAXSIZE (64 MiB).

Control (CTL, plain HTTP, JSON):
  GET /state    {"objects": {sha: {"size", "puts"}}, "presigns": URLs
                issued, "presign_requests", "presigned": {sha: URLs
                issued}, "last_presign": {sha: the last presign body},
                "puts": objects stored, "put_requests", "held": stalled
                connections open now, "requests": the last 200
                {"ts","method","path","status","sha"?,"fault"?} (a
                connection-level fault is logged as method "CONN"),
                "faults_left": {mode: count}}
  POST /fault   {"what": MODE, "count": N (default 1), "arg": ...}:
                N more misbehaviours of MODE (added to any left; a new
                arg replaces the old one); 400 for an unknown MODE
  POST /reset   drops every queued fault and closes the stalled
                connections
  MODES, each used up by the next matching request or connection:
    presign500       presign answers 500
    presign503       503 with Retry-After: ARG seconds (default 1)
    presign503date   503 with Retry-After: an HTTP-date ARG seconds ahead
                     (default 1; rounded up to the next whole second)
    presign413       413
    presign400       400
    truncated        presign answers 200 with Content-Length 200, sends
                     20 bytes and closes
    oversized        presign answers 200 with a 2 MiB JSON body (with
                     Content-Length)
    badjson          presign answers 200 with a body that is not JSON
    expire           the next presign answered 200 says expiresIn=ARG
                     (default 1) and its URL's exp is now+ARG (0: the URL
                     is expired when issued)
    maxsize          the next presign answered 200 says maxSize=ARG
                     (ARG required; the PUT limit itself is unchanged)
    put500           PUT answers 500 (after reading the body), valid or not
    put413           PUT answers 413 (after reading the body), valid or not
    put403           PUT answers 403 (after reading the body), even when
                     it is valid: the client has to presign again
    reset_body       PUT: read about half the body, then close the
                     socket with SO_LINGER 0 (an RST)
    stall            connection: accept TCP, never start TLS, hold it
                     open until /reset or 60 s
    refuse           connection: accept and close at once, before TLS
    wrongca          connection: serve CERTDIR/wrongca.crt (signed by ca2)
    wronghost        connection: serve CERTDIR/wronghost.crt (for
                     wrong.example)
  Presign faults (presign*, truncated, oversized, badjson) are used by
  any presign request, before its body is checked; expire and maxsize
  only by a presign that is answered 200; put faults by any PUT.
"""
import email.utils
import hashlib
import hmac
import http.server
import json
import math
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import urllib.parse

CERTDIR, STATEDIR = sys.argv[1], sys.argv[2]
EXPIRES = int(os.environ.get("UPLOAD_SERVER_EXPIRES", "300"))
MAXSIZE = int(os.environ.get("UPLOAD_SERVER_MAXSIZE", str(64 << 20)))
PRESIGN_PATH = "/telemetry/runner-log/presign"
PRESIGN_MAX_BODY = 64 * 1024
SECRET = secrets.token_bytes(32)
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
STALL_MAX_S = 60

CONN_MODES = ("stall", "refuse", "wrongca", "wronghost")
PRESIGN_ERROR_MODES = ("presign500", "presign503", "presign503date",
                       "presign413", "presign400", "truncated", "oversized",
                       "badjson")
PRESIGN_REPLY_MODES = ("expire", "maxsize")
PUT_MODES = ("put500", "put413", "put403", "reset_body")
MODES = CONN_MODES + PRESIGN_ERROR_MODES + PRESIGN_REPLY_MODES + PUT_MODES
DEFAULT_ARG = {"presign503": 1, "presign503date": 1, "expire": 1}
NEEDS_ARG = ("maxsize",)

PORT = 0        # the HTTPS port, once bound (the URLs we issue name it)


def log(msg):
    sys.stderr.write("upload_server %s %s\n"
                     % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class State:
    """Everything the servers share, under one lock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.objects = {}       # sha -> {"size", "puts", "data"}
        self.presigns = 0
        self.presign_requests = 0
        self.presigned = {}     # sha -> URLs issued
        self.last_presign = {}  # sha -> body
        self.puts = 0
        self.put_requests = 0
        self.requests = []
        self.faults = {}        # mode -> [count, arg]
        self.held = []          # (socket, time held) of stalled connections

    def take(self, modes):
        """Use up one fault among MODES (the first queued, in MODES'
        order); return (mode, arg) or (None, None)."""
        with self.lock:
            for m in modes:
                f = self.faults.get(m)
                if f and f[0] > 0:
                    f[0] -= 1
                    if f[0] == 0:
                        del self.faults[m]
                    return m, f[1]
        return None, None

    def note(self, method, path, status, sha=None, fault=None):
        e = {"ts": time.time(), "method": method, "path": path,
             "status": status}
        if sha:
            e["sha"] = sha
        if fault:
            e["fault"] = fault
        with self.lock:
            self.requests.append(e)
            del self.requests[:-200]

    def snapshot(self):
        with self.lock:
            return {
                "objects": {k: {"size": v["size"], "puts": v["puts"]}
                            for k, v in self.objects.items()},
                "presigns": self.presigns,
                "presign_requests": self.presign_requests,
                "presigned": dict(self.presigned),
                "last_presign": dict(self.last_presign),
                "puts": self.puts,
                "put_requests": self.put_requests,
                "held": len(self.held),
                "requests": list(self.requests),
                "faults_left": {k: v[0] for k, v in self.faults.items()},
            }

    def release_held(self, older_than=None):
        with self.lock:
            keep, drop = [], []
            for s, t in self.held:
                if older_than is None or t < older_than:
                    drop.append(s)
                else:
                    keep.append((s, t))
            self.held = keep
        for s in drop:
            try:
                s.close()
            except OSError:
                pass
        return len(drop)


STATE = State()


def sign(sha, exp, size):
    msg = "PUT\n/put/%s\n%d\n%d" % (sha, exp, size)
    return hmac.new(SECRET, msg.encode(), hashlib.sha256).hexdigest()


class Base(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10

    def log_message(self, fmt, *args):
        log("%s:%d %s" % (self.client_address[0], self.client_address[1],
                          fmt % args))

    def reply(self, status, body=b"", ctype="application/json",
              headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def content_length(self):
        v = self.headers.get("Content-Length")
        if v is None or not v.strip().isdigit():
            return None
        return int(v)

    def read_exact(self, n):
        """Up to N body bytes (fewer when the peer closes first)."""
        out = []
        while n > 0:
            b = self.rfile.read(min(n, 65536))
            if not b:
                break
            out.append(b)
            n -= len(b)
        return b"".join(out)


class UploadHandler(Base):
    """The upload service on the TLS port."""

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (OSError, ssl.SSLError) as e:
            log("%s:%d connection error: %s" % (self.client_address[0],
                                               self.client_address[1], e))
            self.close_connection = True

    def do_GET(self):
        STATE.note("GET", self.path, 404)
        self.reply(404, {"error": "not found"})

    # -- presign ------------------------------------------------------------

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        if path != PRESIGN_PATH:
            STATE.note("POST", path, 404)
            self.reply(404, {"error": "not found"})
            return
        with STATE.lock:
            STATE.presign_requests += 1
        n = self.content_length()
        raw = b""
        if n is not None and n <= PRESIGN_MAX_BODY:
            raw = self.read_exact(n)
        sha = None
        try:
            body = json.loads(raw.decode())
            if isinstance(body, dict) and isinstance(body.get("sha256"),
                                                     str):
                sha = body["sha256"]
        except ValueError:
            body = None
        mode, arg = STATE.take(PRESIGN_ERROR_MODES)
        if mode is not None:
            self.presign_fault(mode, arg, path, sha)
            return
        err = self.presign_check(n, raw, body)
        if err:
            STATE.note("POST", path, 400, sha)
            log("presign: 400: %s" % err)
            self.reply(400, {"error": err})
            return
        sha, size = body["sha256"], body["size"]
        with STATE.lock:
            STATE.last_presign[sha] = body
            stored = sha in STATE.objects
            key = STATE.objects[sha]["key"] if stored else None
        if stored:
            STATE.note("POST", path, 409, sha)
            self.reply(409, {"error": "already stored", "key": key})
            return
        expires, maxsize, faults = EXPIRES, MAXSIZE, []
        mode, arg = STATE.take(("expire",))
        if mode:
            expires = int(arg)
            faults.append(mode)
        mode, arg = STATE.take(("maxsize",))
        if mode:
            maxsize = int(arg)
            faults.append(mode)
        exp = int(time.time()) + expires
        url = ("https://127.0.0.1:%d/put/%s?exp=%d&sig=%s"
               % (PORT, sha, exp, sign(sha, exp, size)))
        with STATE.lock:
            STATE.presigns += 1
            STATE.presigned[sha] = STATE.presigned.get(sha, 0) + 1
        STATE.note("POST", path, 200, sha, ",".join(faults) or None)
        self.reply(200, {"uploadUrl": url,
                         "key": "logs/%s/%s" % (body["run_id"], sha),
                         "expiresIn": expires, "maxSize": maxsize,
                         "unknownField": {"nested": [1, 2]}})

    @staticmethod
    def presign_check(n, raw, body):
        """What is wrong with a presign request, or None."""
        if n is None:
            return "no Content-Length"
        if n > PRESIGN_MAX_BODY:
            return "body over %d bytes" % PRESIGN_MAX_BODY
        if len(raw) != n:
            return "body cut short"
        if not isinstance(body, dict):
            return "body is not a JSON object"
        sha = body.get("sha256")
        if not isinstance(sha, str) or not SHA_RE.match(sha):
            return "sha256 must be 64 lowercase hex digits"
        size = body.get("size")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            return "size must be an integer >= 0"
        for k in ("run_id", "instance_id", "runner_id", "cause"):
            if not isinstance(body.get(k), str) or not body[k]:
                return "%s must be a non-empty string" % k
        return None

    def presign_fault(self, mode, arg, path, sha):
        status = {"presign500": 500, "presign503": 503,
                  "presign503date": 503, "presign413": 413,
                  "presign400": 400}.get(mode, 200)
        STATE.note("POST", path, status, sha, mode)
        log("presign: fault %s (arg %r)" % (mode, arg))
        if mode == "presign503":
            self.reply(503, {"error": "busy"},
                       headers=[("Retry-After", str(arg))])
        elif mode == "presign503date":
            when = math.ceil(time.time() + float(arg))
            self.reply(503, {"error": "busy"}, headers=[
                ("Retry-After", email.utils.formatdate(when, usegmt=True))])
        elif status != 200:
            self.reply(status, {"error": "fault %s" % mode})
        elif mode == "truncated":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "200")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b'{"uploadUrl":"https:')      # 20 bytes
            self.close_connection = True
        elif mode == "oversized":
            pad = "x" * (2 << 20)
            self.reply(200, {"uploadUrl": "https://127.0.0.1:%d/put/x" % PORT,
                             "key": "k", "expiresIn": 300, "maxSize": MAXSIZE,
                             "pad": pad})
        elif mode == "badjson":
            self.reply(200, "this is <not> JSON {", ctype="application/json")

    # -- put ------------------------------------------------------------------

    def do_PUT(self):
        u = urllib.parse.urlsplit(self.path)
        path = u.path
        with STATE.lock:
            STATE.put_requests += 1
        m = re.match(r"^/put/([0-9a-f]{64})$", path)
        if not m:
            STATE.note("PUT", path, 404)
            self.reply(404, {"error": "not found"})
            return
        sha = m.group(1)
        n = self.content_length()
        if n is None:
            STATE.note("PUT", path, 400, sha)
            self.reply(400, {"error": "no Content-Length"})
            return
        mode, _ = STATE.take(PUT_MODES)
        if mode == "reset_body":
            self.reset_body(n, path, sha)
            return
        if mode is not None:
            # put500, put413, put403: whatever the request, after its body.
            if n <= MAXSIZE:
                self.read_exact(n)
            status = {"put500": 500, "put413": 413, "put403": 403}[mode]
            STATE.note("PUT", path, status, sha, mode)
            log("put: fault %s" % mode)
            self.reply(status, {"error": "fault %s" % mode})
            return
        q = urllib.parse.parse_qs(u.query)
        err = None
        try:
            exp = int(q["exp"][0])
            sig = q["sig"][0]
        except (KeyError, IndexError, ValueError):
            exp, sig = 0, ""
        if not hmac.compare_digest(sig, sign(sha, exp, n)):
            err = (403, "bad signature (for this sha256, exp and size)")
        elif time.time() >= exp:
            err = (403, "URL expired %.3f s ago" % (time.time() - exp))
        elif (self.headers.get("Content-Type", "").split(";")[0].strip()
              .lower() != "application/octet-stream"):
            err = (400, "Content-Type must be application/octet-stream")
        elif n > MAXSIZE:
            err = (413, "over %d bytes" % MAXSIZE)
        if err is not None and n <= MAXSIZE:
            # Read it all, so the answer is not lost to an RST.
            self.read_exact(n)
        if err is None:
            data = self.read_exact(n)
            if len(data) != n:
                STATE.note("PUT", path, 0, sha)
                log("put: body cut short at %d of %d bytes" % (len(data), n))
                self.close_connection = True
                return
            if hashlib.sha256(data).hexdigest() != sha:
                err = (400, "body's SHA-256 is not %s" % sha)
        if err is not None:
            STATE.note("PUT", path, err[0], sha)
            log("put: %d: %s" % err)
            self.reply(err[0], {"error": err[1]})
            return
        self.store(sha, data, q)
        STATE.note("PUT", path, 200, sha)
        self.reply(200, {"stored": sha, "size": n})

    @staticmethod
    def store(sha, data, q):
        d = os.path.join(STATEDIR, "objects")
        os.makedirs(d, exist_ok=True)
        tmp = os.path.join(d, ".%s.tmp" % sha)
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(d, sha))
        with STATE.lock:
            body = STATE.last_presign.get(sha, {})
            o = STATE.objects.setdefault(sha, {
                "size": len(data), "puts": 0, "data": data,
                "key": "logs/%s/%s" % (body.get("run_id", "?"), sha)})
            o["puts"] += 1
            STATE.puts += 1

    def reset_body(self, n, path, sha):
        got = len(self.read_exact(n // 2))
        STATE.note("PUT", path, 0, sha, "reset_body")
        log("put: fault reset_body after %d of %d bytes" % (got, n))
        s = self.connection
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        self.close_connection = True
        # rfile holds a reference to the socket: close it first, or the
        # socket's close() would not close the descriptor.
        self.rfile.close()
        s.close()

    def finish(self):
        try:
            super().finish()
        except (OSError, ValueError):
            pass


class UploadServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """TLS per accepted connection, so that connection-level faults
    (stall, refuse, another certificate) can be chosen per connection."""
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, addr, handler, contexts):
        super().__init__(addr, handler)
        self.contexts = contexts

    def get_request(self):
        s, a = self.socket.accept()
        mode, _ = STATE.take(CONN_MODES)
        ctx = self.contexts["good"]
        if mode == "stall":
            with STATE.lock:
                STATE.held.append((s, time.time()))
            STATE.note("CONN", "", 0, fault=mode)
            log("%s:%d fault stall: held" % a)
            raise OSError("stalled")        # the caller drops the request
        if mode == "refuse":
            STATE.note("CONN", "", 0, fault=mode)
            log("%s:%d fault refuse: closed" % a)
            s.close()
            raise OSError("refused")
        if mode in ("wrongca", "wronghost"):
            STATE.note("CONN", "", 0, fault=mode)
            log("%s:%d fault %s: serving %s.crt" % (a + (mode, mode)))
            ctx = self.contexts[mode]
        # The handshake runs in the handler's thread (finish_request).
        return ctx.wrap_socket(s, server_side=True,
                               do_handshake_on_connect=False), a

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            request.do_handshake()
        except (OSError, ssl.SSLError) as e:
            log("%s:%d handshake: %s" % (client_address + (e,)))
            return
        super().finish_request(request, client_address)

    def shutdown_request(self, request):
        try:
            super().shutdown_request(request)
        except (OSError, ValueError):
            pass


class ControlHandler(Base):
    def do_GET(self):
        if self.path == "/state":
            self.reply(200, STATE.snapshot())
        else:
            self.reply(404, {"error": "not found"})

    def do_POST(self):
        n = self.content_length() or 0
        raw = self.read_exact(n)
        if self.path == "/reset":
            with STATE.lock:
                STATE.faults.clear()
            closed = STATE.release_held()
            log("control: reset (%d stalled connections closed)" % closed)
            self.reply(200, {"ok": True, "closed": closed})
        elif self.path == "/fault":
            try:
                f = json.loads(raw.decode() or "{}")
                what = f["what"]
                count = f.get("count", 1)
                arg = f.get("arg", DEFAULT_ARG.get(what))
                if what not in MODES:
                    raise ValueError("unknown mode %r" % what)
                if isinstance(count, bool) or not isinstance(count, int) \
                        or count < 0:
                    raise ValueError("count must be an integer >= 0")
                if what in NEEDS_ARG and arg is None:
                    raise ValueError("%s needs an arg" % what)
                if arg is not None and not isinstance(arg, (int, float)):
                    raise ValueError("arg must be a number")
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                self.reply(400, {"error": str(e), "modes": list(MODES)})
                return
            with STATE.lock:
                left = STATE.faults.setdefault(what, [0, arg])
                left[0] += count
                left[1] = arg
                if left[0] == 0:
                    del STATE.faults[what]
                total = left[0]
            log("control: fault %s x%d (arg %r): %d left" % (what, count,
                                                              arg, total))
            self.reply(200, {"what": what, "left": total, "arg": arg})
        else:
            self.reply(404, {"error": "not found"})


class ControlServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def tls(name):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(os.path.join(CERTDIR, name + ".crt"),
                      os.path.join(CERTDIR, name + ".key"))
    return c


def janitor():
    """Stalled connections are let go after STALL_MAX_S."""
    while True:
        time.sleep(1)
        n = STATE.release_held(older_than=time.time() - STALL_MAX_S)
        if n:
            log("released %d stalled connections after %d s"
                % (n, STALL_MAX_S))


def main():
    global PORT
    # SIGTERM is blocked in every thread (they inherit the mask) and
    # waited for here: a handler could run late, as a signal may go to
    # any thread that does not block it.
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    os.makedirs(os.path.join(STATEDIR, "objects"), exist_ok=True)
    up = UploadServer(("127.0.0.1", 0), UploadHandler,
                      {n: tls(n) for n in ("good", "wrongca", "wronghost")})
    PORT = up.server_address[1]
    ctl = ControlServer(("127.0.0.1", 0), ControlHandler)
    for target in (up.serve_forever, ctl.serve_forever, janitor):
        threading.Thread(target=target, daemon=True).start()
    tmp = os.path.join(STATEDIR, "ports.tmp")
    with open(tmp, "w") as f:
        f.write("PORT=%d CTL=%d\n" % (PORT, ctl.server_address[1]))
    os.rename(tmp, os.path.join(STATEDIR, "ports"))
    log("listening: upload https://127.0.0.1:%d control http://127.0.0.1:%d"
        % (PORT, ctl.server_address[1]))
    sig = signal.sigwait(stop)
    log("signal %d: exiting" % sig)
    os._exit(0)


if __name__ == "__main__":
    main()
