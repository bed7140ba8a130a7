#!/bin/sh
# flaky-runner.sh -- a pretend inference worker for the example config.
# It serves a few "requests", then ends one of the ways real runners do:
# a segmentation fault, a Metal GPU timeout abort, a ring transport
# failure, or (sometimes) a clean exit.  The deaths are real: the shell
# kills itself with the signal, so crashtrail sees a true wait status.
i=0
while [ $i -lt 3 ]; do
	echo "step $i: serving request $$-$i" >&2
	sleep 1
	i=$((i + 1))
done
case $(( $(od -An -N2 -tu2 /dev/urandom) % 4 )) in
0)	echo "Fatal Python error: Segmentation fault" >&2
	kill -SEGV $$ ;;
1)	echo "libc++abi: terminating due to uncaught exception of type" \
	    "std::runtime_error: [METAL] Command buffer execution failed:" \
	    "Caused GPU Timeout Error" \
	    "(00000002:kIOGPUCommandBufferCallbackErrorTimeout)" >&2
	kill -ABRT $$ ;;
2)	echo "[ring] Receiving from socket 51 failed with errno 104" >&2
	echo "[ring] Too many send/recv errors. Aborting..." >&2
	exit 1 ;;
*)	echo "batch done, exiting cleanly" >&2
	exit 0 ;;
esac
