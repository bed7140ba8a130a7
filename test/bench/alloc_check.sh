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
# With ALLOC_UPLOAD=1 (the default where python3 and openssl exist) uploads
# are on, to test/integration/upload_server.py over TLS with a CA made
# here: every failed run's 16 MiB log is presigned and PUT inside the
# window too, and the window ends only once all of them are stored.  The
# calls mbedTLS makes itself are counted apart (alloccount.c) and printed.
set -eu
bin=$1 blast=$2
n=${ALLOC_RUNNERS:-16} total=${ALLOC_BYTES:-268435456} nsse=${ALLOC_SSE:-4}
each=$((total / n))
upload=${ALLOC_UPLOAD:-1}
command -v openssl >/dev/null && command -v python3 >/dev/null || upload=0
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/crashtrail-alloc.XXXXXX")
pid= curls= spid=
cleanup() {
	for p in $curls; do kill "$p" 2>/dev/null || true; done
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

if [ "$upload" = 1 ]; then
	T=$dir
	fail() { echo "alloc_check: $*" >&2; exit 1; }
	skip() { fail "$@"; }
	. "$here/../integration/certs.sh"
	make_test_certs
	mkdir -p "$dir/srv"
	python3 "$here/../integration/upload_server.py" "$C" "$dir/srv" \
	    2>"$dir/server.log" &
	spid=$!
	i=0
	while [ ! -f "$dir/srv/ports" ]; do
		sleep 0.05; i=$((i + 1)); [ $i -lt 200 ] || fail "no server"
	done
	. "$dir/srv/ports"
fi

go="while [ ! -e $dir/go ]; do sleep 0.01; done"
extra=0
{
	printf '[collector]\nstate_dir = %s/state\nlog_quota_bytes = 0\n' "$dir"
	# The sampler at 20 Hz, so its ticks (the host, every run's
	# process group and cgroup) are counted many times over.
	printf 'sample_interval_ms = 50\n'
	if [ "$upload" = 1 ]; then
		printf 'telemetry = on\ntelemetry_api_url = https://127.0.0.1:%s\n' "$PORT"
		printf 'ca_file = %s/ca.crt\nupload_per_runner_hour = 0\n' "$C"
	fi
	i=1
	while [ $i -le $n ]; do
		# The first line makes each log (and its SHA-256) its own.
		printf '[runner:w%d]\ncommand = /bin/sh -c "%s; echo w%d >&2; exec %s %d 2 %d"\n' \
		    $i "$go" $i "$blast" $each $((i % 2))
		extra=$((extra + ${#i} + 2))
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
	uploads=$(grep -c -e 'upload: run .* stored as' \
	    -e 'upload: run .* on the server already' "$dir/daemon.log" || true)
	[ "$upload" = 1 ] || uploads=$failing
	[ "$ended" -ge $((n + 1)) ] && [ "$reports" -ge "$failing" ] &&
	    [ "$uploads" -ge "$failing" ] && break
	if [ "$(date +%s)" -gt "$deadline" ]; then
		echo "alloc_check: runs did not finish; daemon log:" >&2
		cat "$dir/daemon.log" >&2
		exit 1
	fi
	sleep 0.1
done
# The stream clients take the last frames: every tick and every death.
got_all() {
	for f in "$dir"/sse.*; do
		[ "$(grep -c '"type":"tick"' "$f")" -eq 2000 ] &&
		    [ "$(grep -c '^event: runner_failed$' "$f")" -eq "$failing" ] ||
		    return 1
	done
}
if [ "$nsse" -gt 0 ]; then
	i=0
	until got_all; do
		sleep 0.05; i=$((i + 1))
		[ $i -lt 200 ] || { echo "alloc_check: the stream clients did not get every tick and death in 10 s" >&2; exit 1; }
	done
fi
stored=$(find "$dir/state" -name '*.stderr.log' -exec cat {} + | wc -c)
kill -TERM "$pid"
wait "$pid" || { echo "alloc_check: daemon exit status $?" >&2; exit 1; }
pid=
line=$(grep 'alloccount: [0-9]' "$dir/daemon.log") || {
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
up="uploads off"
[ "$upload" = 1 ] && up="$uploads logs uploaded over TLS"
echo "$n runners, $stored bytes stored, $failing death reports, $up, $nsse stream clients received $ticks ticks each, $journaled; $line"
count=$(echo "$line" | sed 's/.*alloccount: \([0-9]*\) .*/\1/')
[ "$stored" -eq $((total + extra)) ] || { echo "alloc_check: expected $((total + extra)) bytes stored" >&2; exit 1; }
[ "$nsse" -eq 0 ] || [ "$ticks" -eq 2000 ] || { echo "alloc_check: stream client got $ticks of 2000 ticks" >&2; exit 1; }
if [ "$count" -ne 0 ]; then
	# Each first caller as file:line (addr2line, from binutils).
	grep 'alloccount: from' "$dir/daemon.log" | while read -r _ _ obj off _ t; do
		echo "  at $(date -u -d "@$t" +%T.%N | cut -c1-12) from $(addr2line -f -p -e "$obj" "${off#+}" 2>/dev/null || echo "$obj $off")"
	done >&2
	grep -v ticker "$dir/daemon.log" | tail -n 30 >&2
	exit 1
fi
