"""ctapi.py -- the integration tests' client for crashtrail's HTTP API.

Plain sockets over the daemon's Unix socket, no libraries; imported by
the test scripts next to it (journal_check.py, sse_check.py,
restart_chaos.py), which run from this directory.

  request(sock, method, path, body=b"", headers=None, timeout=10)
      one request with Connection: close -> (status, body bytes)
  Stream(sock, query="", last_id=None, ...)
      one SSE client of /telemetry/stream; feed(bytes) turns what was
      received into frames (id, event, data), data decoded from JSON
"""
import json
import socket


def request(sock, method, path, body=b"", headers=None, timeout=10):
    """Send one request to the daemon on the Unix socket SOCK, read the
    answer to its end and return (status, body bytes)."""
    if isinstance(body, str):
        body = body.encode()
    extra = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
    s = socket.socket(socket.AF_UNIX)
    try:
        s.settimeout(timeout)
        s.connect(sock)
        s.sendall(("%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                   "Content-Length: %d\r\n%s\r\n"
                   % (method, path, len(body), extra)).encode() + body)
        out = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    finally:
        s.close()
    head, _, rest = out.partition(b"\r\n\r\n")
    return int(head.split()[1]), rest


class Stream:
    """One SSE client: GET /telemetry/stream{query}, with Last-Event-ID
    when last_id is given.  The socket is self.s (timeout: as for
    settimeout, None blocks); reading it is the caller's, who hands what
    came to feed().  With expect set, the response's status line must
    carry that status."""

    def __init__(self, sock, query="", last_id=None, timeout=None,
                 rcvbuf=None, expect=200):
        self.s = socket.socket(socket.AF_UNIX)
        try:
            if rcvbuf:
                self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.s.settimeout(timeout)
            self.s.connect(sock)
            hdr = ("Last-Event-ID: %s\r\n" % last_id
                   if last_id is not None else "")
            self.s.sendall(("GET /telemetry/stream%s HTTP/1.1\r\nHost: x\r\n"
                            "%s\r\n" % (query, hdr)).encode())
        except BaseException:
            self.s.close()
            raise
        self.expect = expect
        self.buf = b""
        self.head = None

    def feed(self, data):
        """Add DATA as received; return the frames it completed, as
        (id, event, data) with id and event str or None.  Comments (the
        keepalives) and frames without data are no frames."""
        self.buf += data
        out = []
        if self.head is None:
            if b"\r\n\r\n" not in self.buf:
                return out
            self.head, _, self.buf = self.buf.partition(b"\r\n\r\n")
            if self.expect is not None:
                assert self.head.startswith(
                    b"HTTP/1.1 %d" % self.expect), self.head
        while b"\n\n" in self.buf:
            frame, _, self.buf = self.buf.partition(b"\n\n")
            f = {}
            for line in frame.split(b"\n"):
                if line.startswith(b":"):
                    continue
                k, _, v = line.partition(b": ")
                f[k.decode()] = v.decode()
            if "data" in f:
                out.append((f.get("id"), f.get("event"),
                            json.loads(f["data"])))
        return out

    def close(self):
        self.s.close()
