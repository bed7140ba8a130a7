"""ctapi.py -- the integration tests' client for crashtrail's HTTP API.

Plain sockets over the daemon's Unix socket, no libraries; imported by
the test scripts next to it (journal_check.py, sse_check.py,
restart_chaos.py), which run from this directory.

  request(sock, method, path, body=b"", headers=None, timeout=10)
      one request with Connection: close -> (status, body bytes)
  Stream(sock, query="", last_id=None, ...)
      one SSE client of /telemetry/stream; feed(bytes) turns what was
      received into frames (id, event, data), data decoded from JSON;
      attached() waits for the response's head: from then on the daemon
      has it and sends it every event
  poll(what, fn, timeout=10)
      wait for a condition, not for time: FN's first truthy answer,
      asked every 50 ms; Timeout (an AssertionError) naming WHAT when
      TIMEOUT seconds pass first
  holds(what, fn, secs)
      for a "nothing happens" check, where no later event can say so:
      FN must stay truthy for all of SECS (asked every 50 ms); Timeout
      at its first falsy answer
"""
import json
import socket
import time


class Timeout(AssertionError):
    """A condition that poll() waited for did not come (or one that
    holds() watched stopped holding)."""


def poll(what, fn, timeout=10, every=0.05):
    """FN's first truthy answer, asked until TIMEOUT seconds pass; then
    Timeout("timed out after TIMEOUT s waiting for WHAT")."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise Timeout("timed out after %g s waiting for %s"
                          % (timeout, what))
        time.sleep(every)


def holds(what, fn, secs, every=0.05):
    """FN stays truthy for SECS seconds, or Timeout("WHAT stopped
    holding after N s")."""
    start = time.monotonic()
    while True:
        if not fn():
            raise Timeout("%s stopped holding after %.2f s"
                          % (what, time.monotonic() - start))
        if time.monotonic() - start >= secs:
            return
        time.sleep(every)


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

    def attached(self, timeout=10):
        """Read until the response's head is in (the daemon sends it when
        it attaches the client: every later event will reach it), and
        return the frames that came with it, if any."""
        frames = []
        end = time.monotonic() + timeout
        old = self.s.gettimeout()
        try:
            while self.head is None:
                left = end - time.monotonic()
                if left <= 0:
                    raise Timeout("timed out after %g s waiting for the "
                                  "stream's head" % timeout)
                self.s.settimeout(left)
                try:
                    b = self.s.recv(65536)
                except socket.timeout:
                    continue
                assert b, "stream closed before its head"
                frames += self.feed(b)
        finally:
            self.s.settimeout(old)
        return frames

    def close(self):
        self.s.close()
