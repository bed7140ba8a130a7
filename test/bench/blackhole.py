"""blackhole.py -- a TCP port on 127.0.0.1 where connections hang.

Usage: python3 test/bench/blackhole.py [syn|accept]

Prints "PORT MODE FILLER" on stdout (FILLER: the local port of its own
queue-filling connection, 0 in accept mode) once the port is proved to hang, then holds
it until SIGTERM (or stdin closes).

  syn (default)  listen(0) and never accept(); this process fills the
                 accept queue with one connection of its own first.  With
                 the accept queue full, Linux drops every further SYN
                 (tcp_conn_request: LISTENOVERFLOWS), so a client's
                 connect() stays in SYN-SENT, retransmitting, until the
                 client gives up: the network black hole, on loopback.
  accept         accept() every connection and never read or write: the
                 TCP connect succeeds and the TLS handshake hangs (the
                 ClientHello is never answered).

Before printing, it checks the claim: a non-blocking connect to the port
must still be in progress after 0.3 s (syn), or a connected socket must
get no byte back in 0.3 s (accept); otherwise it exits 1.
"""
import errno
import os
import select
import signal
import socket
import sys
import threading

mode = sys.argv[1] if len(sys.argv) > 1 else "syn"
if mode not in ("syn", "accept"):
    sys.exit("blackhole.py: mode is syn or accept")

signal.signal(signal.SIGTERM, lambda s, f: os._exit(0))
signal.signal(signal.SIGINT, lambda s, f: os._exit(0))

ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
port = ls.getsockname()[1]
held = []                               # sockets kept open, never used

if mode == "syn":
    ls.listen(0)
    # Fill the accept queue (backlog 0 holds one), so that no handshake
    # completes after this one.
    filler = socket.create_connection(("127.0.0.1", port), timeout=5)
    held.append(filler)
else:
    ls.listen(128)

    def acceptor():
        while True:
            c, _ = ls.accept()
            held.append(c)
    threading.Thread(target=acceptor, daemon=True).start()

# Prove it.
probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
probe.setblocking(False)
r = probe.connect_ex(("127.0.0.1", port))
if mode == "syn":
    if r != errno.EINPROGRESS:
        sys.exit("blackhole.py: connect answered %d at once" % r)
    _, w, _ = select.select([], [probe], [], 0.3)
    if w:
        sys.exit("blackhole.py: connect completed (%s); the SYN was not "
                 "dropped" % os.strerror(probe.getsockopt(
                     socket.SOL_SOCKET, socket.SO_ERROR)))
else:
    _, w, _ = select.select([], [probe], [], 2)
    if not w or probe.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
        sys.exit("blackhole.py: connect did not complete")
    probe.send(b"\x16\x03\x01\x00\x05hello")
    rd, _, _ = select.select([probe], [], [], 0.3)
    if rd:
        sys.exit("blackhole.py: the server answered")
probe.close()

sys.stdout.write("%d %s %d\n" % (port, mode, held[0].getsockname()[1]
                                  if mode == "syn" else 0))
sys.stdout.flush()
# Until told to stop, or the parent goes (stdin is its pipe).
try:
    while sys.stdin.read(4096):
        pass
except OSError:
    pass
os._exit(0)
