"""ctnet.py -- a small raw HTTP client for the tests that need more than
ctapi.py gives: the TCP listener as well as the Unix socket, headers of
the test's choosing (or none), the response's status line and headers,
and SSE comments (the keepalives) with the time each arrived.

  request(addr, method, path, body=b"", headers=None, timeout=10)
      addr: a Unix socket path, or (host, port) for TCP.  One request with
      Connection: close -> (status, headers dict lower-cased, body bytes)
  Stream(addr, query="", headers=None)
      one SSE client of /telemetry/stream; next_item(timeout) returns
      ("frame", (id, event, data)) or ("comment", text), with the monotonic
      time it was complete in self.when; head is the status line and
      headers once received.

Plain sockets, no libraries.
"""
import json
import socket
import time


def _connect(addr, timeout):
    if isinstance(addr, str):
        s = socket.socket(socket.AF_UNIX)
    else:
        s = socket.socket(socket.AF_INET6 if ":" in addr[0]
                          else socket.AF_INET)
    s.settimeout(timeout)
    try:
        s.connect(addr)
    except BaseException:
        s.close()
        raise
    return s


def _split_head(head):
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs


def request(addr, method, path, body=b"", headers=None, timeout=10):
    """One request; the answer read to its end."""
    if isinstance(body, str):
        body = body.encode()
    extra = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
    s = _connect(addr, timeout)
    try:
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
    status, hdrs = _split_head(head)
    return status, hdrs, rest


def get_json(addr, path, headers=None):
    """GET path; it must answer 200 with a JSON document, returned."""
    st, _, body = request(addr, "GET", path, headers=headers)
    assert st == 200, (path, st, body[:300])
    return json.loads(body)


class Stream:
    """One SSE client.  The answer's status is self.status once
    next_item() or wait_head() has read the head."""

    def __init__(self, addr, query="", headers=None, timeout=10):
        self.s = _connect(addr, timeout)
        extra = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
        self.s.sendall(("GET /telemetry/stream%s HTTP/1.1\r\nHost: x\r\n"
                        "%s\r\n" % (query, extra)).encode())
        self.buf = b""
        self.status = None
        self.headers = None
        self.body = b""       # what followed a non-200 head
        self.when = None
        self.closed = False

    def _recv(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        self.s.settimeout(left)
        try:
            b = self.s.recv(65536)
        except socket.timeout:
            return False
        if not b:
            self.closed = True
            return False
        self.buf += b
        return True

    def wait_head(self, timeout=10):
        deadline = time.monotonic() + timeout
        while self.status is None:
            if b"\r\n\r\n" in self.buf:
                head, _, self.buf = self.buf.partition(b"\r\n\r\n")
                self.status, self.headers = _split_head(head)
                break
            if not self._recv(deadline):
                if self.closed and b"\r\n\r\n" in self.buf:
                    continue
                raise AssertionError("no answer head: %r" % self.buf[:200])
        if self.status != 200:
            # An error answer: its Content-Length (the connection may
            # stay open), else up to the close.
            n = int(self.headers.get("content-length", -1))
            while (n < 0 or len(self.buf) < n) and self._recv(deadline):
                pass
            self.body = self.buf if n < 0 else self.buf[:n]
        return self.status

    def next_item(self, timeout=10):
        """The next frame or comment, or None after timeout (or EOF)."""
        deadline = time.monotonic() + timeout
        if self.status is None:
            self.wait_head(timeout)
        while True:
            if b"\n\n" in self.buf:
                block, _, self.buf = self.buf.partition(b"\n\n")
                self.when = time.monotonic()
                f, comments = {}, []
                for line in block.split(b"\n"):
                    if line.startswith(b":"):
                        comments.append(line[1:].strip().decode())
                        continue
                    k, _, v = line.partition(b": ")
                    f[k.decode()] = v.decode()
                if "data" in f:
                    return ("frame", (f.get("id"), f.get("event"),
                                      json.loads(f["data"])))
                if comments:
                    return ("comment", comments[0])
                continue
            if not self._recv(deadline):
                return None

    def frames(self, n, timeout=10):
        """Up to n frames (comments skipped) within timeout."""
        got, deadline = [], time.monotonic() + timeout
        while len(got) < n:
            it = self.next_item(max(0.0, deadline - time.monotonic()))
            if it is None:
                break
            if it[0] == "frame":
                got.append(it[1])
        return got

    def close(self):
        self.s.close()
