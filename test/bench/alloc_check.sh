#!/bin/sh
# alloc_check.sh -- the zero-allocation check of DESIGN.md section 3.
#   sh test/bench/alloc_check.sh ALLOC_BINARY BLAST_BINARY
# Runs the allocation-counting build of crashtrail (test/bench/alloccount.c)
# with 16 runners writing 256 MiB in total in 64 KiB writes (half of them
# then exit 1, so death reports and SHA-256 hashing happen inside the
# window too), waits for every run to end and every report to be written,
# stops the daemon and prints the count of malloc/calloc/realloc calls made
# between "ready" and shutdown.  Exits 0 only when that count is 0.
set -eu
bin=$1 blast=$2
n=${ALLOC_RUNNERS:-16} total=${ALLOC_BYTES:-268435456}
each=$((total / n))
dir=$(mktemp -d "${TMPDIR:-/tmp}/crashtrail-alloc.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

{
	printf '[collector]\nstate_dir = %s/state\nlog_quota_bytes = 0\n' "$dir"
	i=1
	while [ $i -le $n ]; do
		printf '[runner:w%d]\ncommand = %s %d 2 %d\n' $i "$blast" $each $((i % 2))
		printf 'autorestart = never\nstartsecs = 0\nlog_max_bytes = 0\n'
		i=$((i + 1))
	done
} >"$dir/alloc.conf"

"$bin" run -c "$dir/alloc.conf" 2>"$dir/daemon.log" &
pid=$!
failing=$((n / 2))
deadline=$(( $(date +%s) + 120 ))
while :; do
	ended=$(grep -c -e ' ended: ' -e ' FAILED: ' "$dir/daemon.log" || true)
	reports=$(grep -c 'death report' "$dir/daemon.log" || true)
	[ "$ended" -ge "$n" ] && [ "$reports" -ge "$failing" ] && break
	if [ "$(date +%s)" -gt "$deadline" ]; then
		echo "alloc_check: runs did not finish; daemon log:" >&2
		cat "$dir/daemon.log" >&2
		exit 1
	fi
	sleep 0.1
done
stored=$(find "$dir/state" -name '*.stderr.log' -exec cat {} + | wc -c)
kill -TERM "$pid"
wait "$pid" || { echo "alloc_check: daemon exit status $?" >&2; exit 1; }
pid=
line=$(grep 'alloccount:' "$dir/daemon.log") || {
	echo "alloc_check: no alloccount line (not the counting build?)" >&2
	exit 1
}
echo "$n runners, $stored bytes stored, $failing death reports; $line"
count=$(echo "$line" | sed 's/.*alloccount: \([0-9]*\) .*/\1/')
[ "$stored" -eq "$total" ] || { echo "alloc_check: expected $total bytes stored" >&2; exit 1; }
[ "$count" -eq 0 ]
