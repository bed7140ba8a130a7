# memstep.py -- a runner for metrics_stages.sh: it reports stages on
# CRASHTRAIL_EVENT_FD (fd 3), grows its memory step by step inside them,
# retries one stage, and dies by SIGKILL in the middle of a stage with
# one stage still queued.  Every allocation is touched, so it is resident.
# With "forever" as its second argument it only grows, in one stage, until
# something (a cgroup's limit) kills it.
import json
import os
import signal
import sys
import time

STEP = 4 << 20
PAUSE = float(sys.argv[1]) if len(sys.argv) > 1 else 0.1


def emit(kind, **data):
    os.write(3, (json.dumps({"type": "stage_" + kind, "data": data}) +
                 "\n").encode())


hold = []


def grow(n):
    for _ in range(n):
        b = bytearray(STEP)
        for j in range(0, STEP, 4096):
            b[j] = 1
        hold.append(b)
        time.sleep(PAUSE)


if len(sys.argv) > 2 and sys.argv[2] == "forever":
    emit("started", stage_name="eat")
    while True:
        grow(1)

emit("queued", stage_name="fetch", group_id="g2")
emit("queued", stage_name="never", group_id="g10")
emit("queued", stage_name="later", group_id="g2")
# A start without a queue still shows.
emit("started", stage_name="load", group_id="g1")
grow(4)
emit("succeeded", stage_name="load", group_id="g1", exit_code=0)
emit("started", stage_name="fetch", group_id="g2")
grow(4)
emit("failed", stage_name="fetch", group_id="g2", exit_code=3,
     error="connection reset")
# The retry: attempt 2, worked out by the daemon.
emit("started", stage_name="fetch", group_id="g2")
grow(4)
emit("succeeded", stage_name="fetch", group_id="g2", duration_ms=1234)
emit("started", stage_name="crunch", group_id="g2")
grow(6)
os.kill(os.getpid(), signal.SIGKILL)
