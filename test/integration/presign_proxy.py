#!/usr/bin/env python3
"""presign_proxy.py -- the presign half of crashtrail's upload protocol, in
front of a real object store, for test/integration/upload_interop.sh.
Standard library only.

  presign_proxy.py serve MODE DIR TARGET_PORT [BUCKET]
      HTTPS on 127.0.0.1, a free port, with DIR/good.crt and DIR/good.key;
      answers POST /telemetry/runner-log/presign with {"uploadUrl", "key",
      "expiresIn", "maxSize"} (and a field the client must ignore):
        s3   a SigV4 query-signed PUT URL, path style,
             https://127.0.0.1:TARGET_PORT/BUCKET/logs/<run_id>/<sha256>
             (UNSIGNED-PAYLOAD, access key and secret S3RVER, us-east-1,
             X-Amz-Expires=300), for s3rver
        dav  https://127.0.0.1:TARGET_PORT/up/<sha256>, for nginx's dav
             module
      Every request (good or not) is one JSON line in DIR/MODE.requests;
      every URL handed out, one line in DIR/MODE.issued.  The port goes to
      DIR/MODE.port once the socket listens.  It refuses to start (exit 2)
      if its signer does not reproduce the AWS documented example.
  presign_proxy.py selftest
      the signer against AWS's documented example of a presigned URL
      (S3 API reference, "Authenticating Requests: Using Query Parameters":
      GET https://examplebucket.s3.amazonaws.com/test.txt, 20130524T000000Z,
      86400 s): prints "selftest ok" or fails
  presign_proxy.py sign METHOD URL [EXPIRES]
      print URL presigned for METHOD now (S3RVER credentials)
  presign_proxy.py verify METHOD URL
      recompute a presigned URL's signature from its own query parameters
      (S3RVER secret) and say whether X-Amz-Signature matches: s3rver does
      not check V4 signatures, so this is what checks the URL that was used
"""
import datetime
import hashlib
import hmac
import http.server
import json
import os
import re
import ssl
import sys
import threading
import urllib.parse

ACCESS_KEY = SECRET_KEY = "S3RVER"
REGION = "us-east-1"
EXPIRES = 300
MAX_SIZE = 8 * 1024 * 1024
PRESIGN_PATH = "/telemetry/runner-log/presign"
FIELDS = {"sha256": str, "size": int, "run_id": str, "instance_id": str,
          "runner_id": str, "cause": str}

# AWS's documented example (see the docstring).
AWS_EXAMPLE = {
    "method": "GET",
    "url": "https://examplebucket.s3.amazonaws.com/test.txt",
    "access_key": "AKIAIOSFODNN7EXAMPLE",
    "secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "when": datetime.datetime(2013, 5, 24, 0, 0, 0,
                              tzinfo=datetime.timezone.utc),
    "expires": 86400,
    "signature":
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
}


def uri_encode(s, keep_slash=False):
    """SigV4's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ as %XX
    (upper case); '/' kept only in a path."""
    return urllib.parse.quote(s, safe="/~" if keep_slash else "~")


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret, date, region, service="s3"):
    k = _hmac(("AWS4" + secret).encode(), date)
    k = _hmac(k, region)
    k = _hmac(k, service)
    return _hmac(k, "aws4_request")


def canonical_query(params):
    """params: (name, value) pairs, not encoded."""
    enc = sorted((uri_encode(k), uri_encode(v)) for k, v in params)
    return "&".join("%s=%s" % kv for kv in enc)


def signature(method, host, path, params, secret, region):
    """The hex signature of a query-signed request; params are every query
    parameter but X-Amz-Signature, decoded; path is decoded."""
    p = dict(params)
    amz_date = p["X-Amz-Date"]
    creq = "\n".join([
        method,
        uri_encode(path, keep_slash=True),
        canonical_query(params),
        "host:%s\n" % host,          # canonical headers end with \n
        "host",                      # signed headers
        "UNSIGNED-PAYLOAD",
    ])
    scope = "%s/%s/s3/aws4_request" % (amz_date[:8], region)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    return hmac.new(signing_key(secret, amz_date[:8], region), sts.encode(),
                    hashlib.sha256).hexdigest()


def presign(method, url, when=None, expires=EXPIRES, access_key=ACCESS_KEY,
            secret=SECRET_KEY, region=REGION):
    """URL (no query) -> the same URL with SigV4 query authentication."""
    u = urllib.parse.urlsplit(url)
    when = when or datetime.datetime.now(datetime.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    params = [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", "%s/%s/%s/s3/aws4_request"
         % (access_key, amz_date[:8], region)),
        ("X-Amz-Date", amz_date),
        ("X-Amz-Expires", str(expires)),
        ("X-Amz-SignedHeaders", "host"),
    ]
    path = urllib.parse.unquote(u.path)
    sig = signature(method, u.netloc, path, params, secret, region)
    return "%s://%s%s?%s&X-Amz-Signature=%s" % (
        u.scheme, u.netloc, uri_encode(path, keep_slash=True),
        canonical_query(params), sig)


def verify(method, url, secret=SECRET_KEY):
    """(ok, why) for a presigned URL exactly as a client sent it."""
    u = urllib.parse.urlsplit(url)
    if not u.query:
        return False, "no query string"
    pairs = urllib.parse.parse_qsl(u.query, keep_blank_values=True,
                                   strict_parsing=True)
    got = [v for k, v in pairs if k == "X-Amz-Signature"]
    rest = [(k, v) for k, v in pairs if k != "X-Amz-Signature"]
    if len(got) != 1:
        return False, "X-Amz-Signature %d times" % len(got)
    p = dict(rest)
    for k in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
              "X-Amz-Expires", "X-Amz-SignedHeaders"):
        if k not in p:
            return False, "missing " + k
    if p["X-Amz-SignedHeaders"] != "host":
        return False, "signed headers " + p["X-Amz-SignedHeaders"]
    cred = p["X-Amz-Credential"].split("/")
    if (len(cred) != 5 or cred[3:] != ["s3", "aws4_request"] or
            cred[1] != p["X-Amz-Date"][:8]):
        return False, "credential " + p["X-Amz-Credential"]
    # The path as sent must already be in canonical form: a client that
    # re-encodes or decodes it breaks the signature at a real S3.
    path = urllib.parse.unquote(u.path)
    if uri_encode(path, keep_slash=True) != u.path:
        return False, "path not in canonical encoding: " + u.path
    want = signature(method, u.netloc, path, rest, secret, cred[2])
    if not hmac.compare_digest(want, got[0]):
        return False, "signature %s, recomputed %s" % (got[0], want)
    return True, "signature ok"


def selftest():
    e = AWS_EXAMPLE
    url = presign(e["method"], e["url"], when=e["when"], expires=e["expires"],
                  access_key=e["access_key"], secret=e["secret"],
                  region="us-east-1")
    sig = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)[
        "X-Amz-Signature"][0]
    if sig != e["signature"]:
        return False, "AWS example: signature %s, documented %s" % (
            sig, e["signature"])
    ok, why = verify(e["method"], url, secret=e["secret"])
    if not ok:
        return False, "AWS example does not verify: " + why
    bad = url.replace(e["signature"], "0" * 64)
    if verify(e["method"], bad, secret=e["secret"])[0]:
        return False, "verify accepted a wrong signature"
    return True, "selftest ok"


class Proxy(http.server.ThreadingHTTPServer):
    daemon_threads = True


def make_handler(mode, d, target_port, bucket):
    lock = threading.Lock()

    def record(name, obj):
        with lock, open(os.path.join(d, "%s.%s" % (mode, name)), "a") as f:
            f.write(json.dumps(obj, sort_keys=True) + "\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            sys.stderr.write("presign %s: %s\n" % (mode, fmt % args))

        def answer(self, code, obj):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def reject(self, rec, code, why):
            rec["status"], rec["error"] = code, why
            record("requests", rec)
            self.answer(code, {"code": "bad_request", "message": why,
                               "retryable": False})

        def do_POST(self):
            rec = {"path": self.path,
                   "content_type": self.headers.get("Content-Type"),
                   "host": self.headers.get("Host")}
            try:
                n = int(self.headers.get("Content-Length", ""))
            except ValueError:
                return self.reject(rec, 411, "no Content-Length")
            raw = self.rfile.read(n) if 0 <= n <= 65536 else b""
            if self.path != PRESIGN_PATH:
                return self.reject(rec, 404, "no such path " + self.path)
            try:
                req = json.loads(raw)
            except ValueError:
                return self.reject(rec, 400, "body is not JSON: %r" % raw[:200])
            rec["body"] = req
            if not isinstance(req, dict):
                return self.reject(rec, 400, "body is not an object")
            for k, t in FIELDS.items():
                v = req.get(k)
                if not isinstance(v, t) or isinstance(v, bool):
                    return self.reject(rec, 400, "field %s: %r" % (k, v))
            if not re.fullmatch(r"[0-9a-f]{64}", req["sha256"]):
                return self.reject(rec, 400, "sha256 is not 64 hex digits")
            if req["size"] <= 0 or not req["run_id"]:
                return self.reject(rec, 400, "size or run_id empty")
            sha, run = req["sha256"], req["run_id"]
            base = "https://127.0.0.1:%d" % target_port
            if mode == "s3":
                key = "logs/%s/%s" % (run, sha)
                url = presign("PUT", "%s/%s/%s" % (base, bucket, key))
            else:
                key = "up/%s" % sha
                url = "%s/%s" % (base, key)
            rec["status"] = 200
            record("requests", rec)
            record("issued", {"run_id": run, "sha256": sha, "key": key,
                              "url": url})
            # "note": a field the client must ignore (DESIGN.md 10).
            self.answer(200, {"uploadUrl": url, "key": key,
                              "expiresIn": EXPIRES, "maxSize": MAX_SIZE,
                              "note": "unknown fields are ignored"})

        def do_GET(self):
            if self.path == "/selftest":
                ok, why = selftest()
                return self.answer(200 if ok else 500, {"ok": ok,
                                                        "message": why})
            self.answer(404, {"code": "not_found", "message": self.path,
                              "retryable": False})

    return Handler


def serve(mode, d, target_port, bucket):
    if mode not in ("s3", "dav"):
        sys.exit("mode is s3 or dav")
    ok, why = selftest()
    if not ok:
        print("presign_proxy: " + why, file=sys.stderr)
        sys.exit(2)
    srv = Proxy(("127.0.0.1", 0), make_handler(mode, d, target_port, bucket))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "good.crt"),
                        os.path.join(d, "good.key"))
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = os.path.join(d, mode + ".port.tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, os.path.join(d, mode + ".port"))
    srv.serve_forever()


def main(argv):
    if len(argv) >= 5 and argv[1] == "serve":
        return serve(argv[2], argv[3], int(argv[4]),
                     argv[5] if len(argv) > 5 else "tb")
    if len(argv) == 2 and argv[1] == "selftest":
        ok, why = selftest()
        print(why)
        return 0 if ok else 1
    if len(argv) in (4, 5) and argv[1] == "sign":
        print(presign(argv[2], argv[3],
                      expires=int(argv[4]) if len(argv) == 5 else EXPIRES))
        return 0
    if len(argv) == 4 and argv[1] == "verify":
        ok, why = verify(argv[2], argv[3])
        print(why)
        return 0 if ok else 1
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
