#!/usr/bin/env python3
# https_server.py DIR -- test servers for test/integration/https_client.sh.
# Listens on 127.0.0.1, random free ports, and writes them as shell
# assignments to DIR/ports once every listener is up:
#   good      TLS, DIR/good.crt (CA DIR/ca.crt, for 127.0.0.1 and localhost)
#   wrongca   TLS, DIR/wrongca.crt (signed by DIR/ca2.crt)
#   wronghost TLS, DIR/wronghost.crt (CA DIR/ca.crt, for wrong.example)
#   plain     plain HTTP, same handler
#   stall     accepts TCP and never says a word (a stalled handshake)
#   refused   a port that was bound, then closed: nothing listens there
# Paths: GET /blob (BLOB below), GET /chunked (the same bytes, chunked),
# PUT /up (answers the hex SHA-256 of the body).
import hashlib
import http.server
import os
import socket
import socketserver
import ssl
import sys
import threading

BLOB = bytes((i * 7 + 3) % 251 for i in range(100000))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("server: " + (fmt % args) + "\n")

    def do_GET(self):
        if self.path == "/blob":
            self.send_response(200)
            self.send_header("Content-Length", str(len(BLOB)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(BLOB)
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            for i in range(0, len(BLOB), 7777):
                part = BLOB[i:i + 7777]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_error(404)
        self.close_connection = True

    def do_PUT(self):
        if self.path != "/up":
            self.send_error(404)
            return
        left = int(self.headers.get("Content-Length", "0"))
        h = hashlib.sha256()
        while left > 0:
            b = self.rfile.read(min(left, 65536))
            if not b:
                break
            h.update(b)
            left -= len(b)
        out = h.hexdigest().encode()
        self.send_response(200 if left == 0 else 400)
        self.send_header("Content-Length", str(len(out)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(out)
        self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    ctx = None

    def get_request(self):
        s, a = self.socket.accept()
        if self.ctx is not None:
            # The handshake runs in the handler's thread (see finish_request).
            s = self.ctx.wrap_socket(s, server_side=True,
                                     do_handshake_on_connect=False)
        return s, a

    def finish_request(self, request, client_address):
        if self.ctx is not None:
            request.settimeout(10)
            try:
                request.do_handshake()
            except (OSError, ssl.SSLError) as e:
                sys.stderr.write("server: handshake: %s\n" % e)
                return
        super().finish_request(request, client_address)


def serve(ctx):
    srv = Server(("127.0.0.1", 0), Handler)
    srv.ctx = ctx
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv.server_address[1]


def tls(d, name):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    c.load_cert_chain(os.path.join(d, name + ".crt"),
                      os.path.join(d, name + ".key"))
    return c


def main():
    d = sys.argv[1]
    ports = {
        "good": serve(tls(d, "good")),
        "wrongca": serve(tls(d, "wrongca")),
        "wronghost": serve(tls(d, "wronghost")),
        "plain": serve(None),
    }
    stall = socket.socket()
    stall.bind(("127.0.0.1", 0))
    stall.listen(16)
    ports["stall"] = stall.getsockname()[1]
    held = []
    r = socket.socket()
    r.bind(("127.0.0.1", 0))
    ports["refused"] = r.getsockname()[1]
    r.close()
    tmp = os.path.join(d, "ports.tmp")
    with open(tmp, "w") as f:
        for k, v in ports.items():
            f.write("%s=%d\n" % (k, v))
    os.rename(tmp, os.path.join(d, "ports"))
    while True:
        s, _ = stall.accept()
        held.append(s)      # keep it open, say nothing


main()
