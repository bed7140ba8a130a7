"""latency.py -- from SIGKILL of a runner to its runner_failed frame on an
SSE client, over N kills (default 500): p50, p99, max.

Usage: python3 test/bench/latency.py [CRASHTRAIL [CRASHER [N]]]
Starts its own crashtrail in a temp dir with one runner (`crasher sleep`,
restarted at once after each death), connects to /telemetry/stream over
the Unix socket, and for each round waits for runner_started, kills that
pid with SIGKILL and times the arrival of the matching runner_failed.
The client is this Python process: its own read and parse time is in
the figures (an upper bound for crashtrail's part).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ct = sys.argv[1] if len(sys.argv) > 1 else "./crashtrail"
crasher = sys.argv[2] if len(sys.argv) > 2 else "build/obj/test/crasher"
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 500
tmp = tempfile.mkdtemp(prefix="crashtrail-latency.")
conf = os.path.join(tmp, "c.conf")
with open(conf, "w") as f:
    f.write("[collector]\nstate_dir = %s/state\n[runner:victim]\n"
            "command = %s sleep\nstartsecs = 0\nautorestart = always\n"
            "backoff = 0\nbackoff_max = 0\n" % (tmp, os.path.abspath(crasher)))
log = open(os.path.join(tmp, "daemon.log"), "w")
d = subprocess.Popen([ct, "run", "-q", "-c", conf], stderr=log)
try:
    sock = os.path.join(tmp, "state", "crashtrail.sock")
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    s.sendall(b"GET /telemetry/stream?replay=all HTTP/1.1\r\nHost: x\r\n\r\n")
    buf = b""

    def frames():
        global buf
        while True:
            while b"\n\n" in buf:
                fr, _, buf = buf.partition(b"\n\n")
                ev = data = None
                for line in fr.split(b"\n"):
                    if line.startswith(b"event: "):
                        ev = line[7:].decode()
                    elif line.startswith(b"data: "):
                        data = line[6:]
                if data is not None:
                    yield ev, data
            b = s.recv(1 << 16)
            if not b:
                return
            buf += b
            if b"\r\n\r\n" in buf and buf.startswith(b"HTTP/"):
                buf = buf.partition(b"\r\n\r\n")[2]

    it = frames()
    lat = []
    pending = None
    for ev, data in it:
        if ev == "runner_started" and pending is None:
            e = json.loads(data)
            pid = e["data"]["pid"]
            pending = (e["run_id"], time.monotonic_ns())
            os.kill(pid, signal.SIGKILL)
        elif ev == "runner_failed" and pending is not None:
            if json.loads(data)["run_id"] == pending[0]:
                lat.append((time.monotonic_ns() - pending[1]) / 1e6)
                pending = None
                if len(lat) == rounds:
                    break
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
    print("SIGKILL -> runner_failed on an SSE client, %d kills: "
          "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms"
          % (len(lat), q(0.50), q(0.90), q(0.99), lat[-1]))
finally:
    d.send_signal(signal.SIGTERM)
    d.wait(timeout=30)
    shutil.rmtree(tmp)
