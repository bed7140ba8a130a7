#!/bin/sh
# alloc_check.sh -- the zero-allocation check of DESIGN.md section 3.
#   sh test/bench/alloc_check.sh ALLOC_BINARY BLAST_BINARY
# Runs the allocation-counting build of crashtrail (test/bench/alloccount.c)
# with 16 runners that write 256 MiB in total in 64 KiB writes (half of them
# then exit 1, so death reports, SHA-256 hashing and runner_failed events
# happen inside the window), one runner that writes 2000 events on its
# event fd, and 4 SSE clients connected to the stream the whole time.  The
# count starts once the clients are connected (SIGUSR2; connecting is the
# request path, which may allocate) and the runners are told to go; it ends
# when every run has ended and every report is written.  Prints the number
# of malloc/calloc/realloc calls in between; exits 0 only when it is 0.
set -eu
bin=$1 blast=$2
n=${ALLOC_RUNNERS:-16} total=${ALLOC_BYTES:-268435456} nsse=${ALLOC_SSE:-4}
each=$((total / n))
dir=$(mktemp -d "${TMPDIR:-/tmp}/crashtrail-alloc.XXXXXX")
pid= curls=
cleanup() {
	for p in $curls; do kill "$p" 2>/dev/null || true; done
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

go="while [ ! -e $dir/go ]; do sleep 0.01; done"
{
	printf '[collector]\nstate_dir = %s/state\nlog_quota_bytes = 0\n' "$dir"
	i=1
	while [ $i -le $n ]; do
		printf '[runner:w%d]\ncommand = /bin/sh -c "%s; exec %s %d 2 %d"\n' \
		    $i "$go" "$blast" $each $((i % 2))
		printf 'autorestart = never\nstartsecs = 0\nlog_max_bytes = 0\n'
		i=$((i + 1))
	done
	printf '[runner:ticker]\ncommand = /bin/sh -c '"'"'%s; i=0; ' "$go"
	printf 'while [ $i -lt 2000 ]; do echo "{\\"type\\":\\"tick\\",\\"data\\":{\\"i\\":$i}}" >&3; i=$((i+1)); done'"'"'\n'
	printf 'autorestart = never\nstartsecs = 0\n'
} >"$dir/alloc.conf"

"$bin" run -c "$dir/alloc.conf" 2>"$dir/daemon.log" &
pid=$!
sock=$dir/state/crashtrail.sock
i=0
while ! grep -q ' ready$' "$dir/daemon.log"; do
	sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || { cat "$dir/daemon.log"; exit 1; }
done
k=0
while [ $k -lt "$nsse" ]; do
	curl -sN --unix-socket "$sock" http://localhost/telemetry/stream \
	    >"$dir/sse.$k" &
	curls="$curls $!"
	k=$((k + 1))
done
while [ "$(curl -s --unix-socket "$sock" http://localhost/v1/status |
    sed 's/.*"clients":\([0-9]*\).*/\1/')" != "$nsse" ]; do
	sleep 0.05
done
kill -USR2 "$pid"
touch "$dir/go"
failing=$((n / 2))
deadline=$(( $(date +%s) + 120 ))
while :; do
	ended=$(grep -c -e ' ended: ' -e ' FAILED: ' "$dir/daemon.log" || true)
	reports=$(grep -c 'death report' "$dir/daemon.log" || true)
	[ "$ended" -ge $((n + 1)) ] && [ "$reports" -ge "$failing" ] && break
	if [ "$(date +%s)" -gt "$deadline" ]; then
		echo "alloc_check: runs did not finish; daemon log:" >&2
		cat "$dir/daemon.log" >&2
		exit 1
	fi
	sleep 0.1
done
sleep 0.5	# let the stream clients take the last frames
stored=$(find "$dir/state" -name '*.stderr.log' -exec cat {} + | wc -c)
kill -TERM "$pid"
wait "$pid" || { echo "alloc_check: daemon exit status $?" >&2; exit 1; }
pid=
line=$(grep 'alloccount:' "$dir/daemon.log") || {
	echo "alloc_check: no alloccount line (not the counting build?)" >&2
	exit 1
}
ticks=$(grep -c '"type":"tick"' "$dir/sse.0" || true)
# The journal took every event of the counted window (read from its files
# once the daemon is gone: an API request would itself allocate).
journaled=$(python3 - "$dir/state/journal" "$dir/sse.0" <<'PY'
import glob, re, struct, sys
seqs = []
for f in sorted(glob.glob(sys.argv[1] + "/*.seg")):
    b = open(f, "rb").read()
    off = 16
    while off + 24 <= len(b):
        n, _, seq = struct.unpack_from("<IIQ", b, off)
        seqs.append(seq)
        off += 24 + n
ids = [int(x) for x in re.findall(rb"^id: (\d+)$", open(sys.argv[2], "rb").read(), re.M)]
assert seqs == list(range(1, len(seqs) + 1)), "journal seqs not 1..N"
assert ids and ids[-1] <= seqs[-1], (ids[-1:], seqs[-1:])
print("the journal holds seq 1..%d" % seqs[-1])
PY
) || { echo "alloc_check: journal check failed" >&2; exit 1; }
echo "$n runners, $stored bytes stored, $failing death reports, $nsse stream clients received $ticks ticks each, $journaled; $line"
count=$(echo "$line" | sed 's/.*alloccount: \([0-9]*\) .*/\1/')
[ "$stored" -eq "$total" ] || { echo "alloc_check: expected $total bytes stored" >&2; exit 1; }
[ "$nsse" -eq 0 ] || [ "$ticks" -eq 2000 ] || { echo "alloc_check: stream client got $ticks of 2000 ticks" >&2; exit 1; }
[ "$count" -eq 0 ]
