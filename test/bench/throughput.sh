#!/bin/sh
# throughput.sh -- how fast crashtrail stores its runners' stderr, against
# supervisord and against a minimal epoll copier (this machine's limit).
#
# usage: sh test/bench/throughput.sh	(make bench: N="1 16" REPS=2 BYTES=...)
#
# It builds its own helpers (blast.c, copier.c, measure.c beside it) with
# $CC; the crashtrail binary comes from `make`.
#
# For each writer count N, N writers (blast.c) each write TOTAL/N bytes of
# text lines to their stderr in 64 KiB writes, and each contender stores
# every writer's stderr in a log file of its own:
#
#   copier       copier.c: one process, fork+exec, epoll, read, write
#   crashtrail   $CRASHTRAIL run -c FILE, one [runner:wK] per writer
#   supervisord  nodaemon, one [program:wK] per writer, no log rotation
#
# Nothing caps what is stored: crashtrail runs with log_max_bytes = 0 and
# log_quota_bytes = 0, supervisord with *_logfile_maxbytes = 0.
#
# measure.c starts a contender, sums the sizes of its *.stderr.log files
# every 20 ms, and stops it (SIGTERM; the copier exits by itself) as soon
# as every byte is there, or when they stopped growing for BENCH_STALL
# seconds (a dropped byte shows up as a "stalled" run, not as a fast
# one).  The contenders take turns: copier, crashtrail, supervisord, then
# again, BENCH_REPEAT interleaved rounds per N.  Every run prints the
# bytes stored (the log files' total size once the contender stopped)
# against the bytes written, and for crashtrail its own account from
# GET /v1/status just before it is stopped ("logs" "bytes", which also
# counts its reports, and "dropped_bytes").  Reported:
#
#   MB/s       TOTAL / wall seconds (MB = 10^6 bytes); wall seconds run from
#              the contender's fork to the poll that saw every byte, so they
#              include its start-up ("1st B s": the fork to the first byte)
#   steady     TOTAL / (wall - 1st B) seconds: MB/s without the start-up
#   x copier   MB/s / the copier's MB/s at the same N
#   CPU s/GB   the contender's CPU time per 10^9 bytes: utime + stime of
#              its process tree without the writers (crashtrail: the daemon
#              and its syncer helper), from /proc/PID/stat once its CPU time
#              stopped growing after the last byte (so a digest or fsync
#              after the last byte counts), just before it is stopped; the
#              copier reports its own rusage (which includes its fsyncs)
#   x copier   (CPU) the median over rounds of crashtrail's CPU s/GB / the
#              copier's in the same round
#   RSS MiB    its peak RSS: VmHWM just before it is stopped (copier:
#              ru_maxrss)
#   check      every log file compared with what its writer wrote (cksum)
#
# Environment:
#   BENCH_N        writer counts (default "1 16 64")
#   BENCH_BYTES    total bytes per run, split evenly (default 1073741824)
#   BENCH_TIMEOUT  seconds one contender may take (default 300)
#   BENCH_STALL    seconds without a new stored byte that end a run as
#                  "stalled" (default 10)
#   BENCH_LOG_MAX_BYTES  crashtrail's log_max_bytes (default 0, no cap; a cap
#                  below TOTAL/N shows how a dropped byte is reported)
#   BENCH_REPEAT   rounds per N (default 5); the table shows the median
#                  (RSS: the largest) and the range (min-max) of MB/s and
#                  CPU s/GB
#   BENCH_VERIFY   1 checks every log file's contents, 0 skips (default 1)
#   BENCH_WARMUP   1 writes and deletes TOTAL bytes before each run, so that
#                  no contender pays for pages the VM gave back (default 1)
#   CRASHTRAIL     the daemon (default: crashtrail at the repository root)
#   SUPERVISORD    supervisord (default: supervisord from PATH)
#   CC, CFLAGS     compiler for the helpers (default: cc, -O2)
#   BENCH_SUMMARY  a file to append the short summary table to (make bench
#                  prints it at the end, after latency.py's)
#
# Everything runs in a mktemp -d directory under /tmp (BENCH_TMPDIR), removed
# on exit; it needs about twice BENCH_BYTES free (checked first).

set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

BENCH_N=${BENCH_N:-"1 16 64"}
BENCH_BYTES=${BENCH_BYTES:-1073741824}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-300}
BENCH_STALL=${BENCH_STALL:-10}
BENCH_LOG_MAX_BYTES=${BENCH_LOG_MAX_BYTES:-0}
BENCH_TMPDIR=${BENCH_TMPDIR:-/tmp}
BENCH_SUMMARY=${BENCH_SUMMARY:-}
BENCH_REPEAT=${BENCH_REPEAT:-5}
BENCH_VERIFY=${BENCH_VERIFY:-1}
BENCH_WARMUP=${BENCH_WARMUP:-1}
CRASHTRAIL=${CRASHTRAIL:-$root/crashtrail}
SUPERVISORD=${SUPERVISORD:-supervisord}
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2}

die()
{
	echo "throughput.sh: $*" >&2
	exit 1
}

isnum()
{
	case $1 in
	''|*[!0-9]*)	return 1 ;;
	esac
	[ "$1" -gt 0 ]
}

isnum "$BENCH_BYTES" || die "BENCH_BYTES must be a positive integer"
isnum "$BENCH_TIMEOUT" || die "BENCH_TIMEOUT must be a positive integer"
isnum "$BENCH_STALL" || die "BENCH_STALL must be a positive integer"
isnum "$BENCH_REPEAT" || die "BENCH_REPEAT must be a positive integer"
[ -n "$BENCH_N" ] || die "BENCH_N is empty"
for n in $BENCH_N; do
	isnum "$n" || die "BENCH_N: not a positive integer: $n"
	[ $((BENCH_BYTES / n)) -gt 0 ] || die "BENCH_BYTES is less than N=$n"
done

tmp=
mpid=
cleanup()
{
	if [ -n "$mpid" ]; then
		# measure stops its contender when it gets SIGTERM.
		kill "$mpid" 2>/dev/null || :
		wait "$mpid" 2>/dev/null || :
	fi
	if [ -n "$tmp" ]; then
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# Room for one run's logs and the warm-up file of the next, with a margin.
df -h "$BENCH_TMPDIR" >&2
_avail=$(df -Pk "$BENCH_TMPDIR" | awk 'NR == 2 { print $4 }')
_need=$((BENCH_BYTES / 1024 * 2 + 262144))
[ "${_avail:-0}" -ge "$_need" ] ||
    die "$BENCH_TMPDIR: ${_avail:-?} KiB free, need $_need (2 x BENCH_BYTES)"

load0=$(cut -d ' ' -f 1-3 /proc/loadavg)
tmp=$(mktemp -d "$BENCH_TMPDIR/crashtrail-bench.XXXXXX")
bin=$tmp/bin
results=$tmp/results
mkdir "$bin"
: >"$results"

for p in blast copier measure; do
	# shellcheck disable=SC2086 # CFLAGS is a list of words.
	$CC $CFLAGS -o "$bin/$p" "$here/$p.c" || die "cannot build $p.c"
done

have_supervisord=1
command -v "$SUPERVISORD" >/dev/null 2>&1 || have_supervisord=0

# how_ended: "exit N" or "killed by SIGNAME", from $res.
how_ended()
{
	_code=$(field exit "$res")
	if [ "$_code" -gt 128 ] 2>/dev/null; then
		echo "killed by SIG$(kill -l $((_code - 128)))"
	else
		echo "exit $_code"
	fi
}

# ended_log FILE: how_ended, and FILE's last 3 lines if it has any.
ended_log()
{
	_tail=$(tail -n 3 "$1" | tr '\n' ' ')
	if [ -n "$_tail" ]; then
		echo "$(how_ended); log: $_tail"
	else
		echo "$(how_ended), nothing on stderr"
	fi
}

# field KEY LINE: the value of KEY=value in measure's result line.
field()
{
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# measure ARGS...: runs measure in the background, so that a signal to this
# script reaches the trap (and measure's pid) at once; sets $res.
measure()
{
	"$bin/measure" -t "$BENCH_TIMEOUT" -S "$BENCH_STALL" -x blast "$@" \
	    >"$run/result" &
	mpid=$!
	wait "$mpid" || :
	mpid=
	res=$(cat "$run/result")
	[ -n "$res" ] || res="status=error wall_s=-1 first_s=-1 bytes=0 \
cpu_s=-1 cpu_self_s=-1 procs=0 hwm_kib=-1 exit=-1 api_bytes=-1 api_dropped=-1"
}

# logsum WHO K: cksum of all that writer K's log files hold, in name order.
logsum()
{
	case $1 in
	crashtrail)
		find "$run/ct-logs/runner_log/bench/w$2" -type f \
		    -name '*.stderr.log' 2>/dev/null | sort |
		    while IFS= read -r f; do cat "$f"; done | cksum
		;;
	*)
		if [ -f "$run/logs/w$2.stderr.log" ]; then
			cksum <"$run/logs/w$2.stderr.log"
		else
			echo missing
		fi
		;;
	esac
}

# verify WHO: sets $check to ok, "K/N bad" (log files that differ from
# what their writer wrote), or "-" (not checked).
verify()
{
	check=-
	[ "$BENCH_VERIFY" = 1 ] || return 0
	[ "$(field status "$res")" = ok ] || return 0
	_bad=0
	_k=1
	while [ "$_k" -le "$n" ]; do
		[ "$(logsum "$1" "$_k")" = "$ref" ] || _bad=$((_bad + 1))
		_k=$((_k + 1))
	done
	if [ "$_bad" -eq 0 ]; then
		check=ok
	else
		check="$_bad/$n bad"
	fi
}

# record WHO [NOTE]: appends one result row from $res and $check, and
# says how many of the bytes written were stored.
record()
{
	_stored=$(field bytes "$res")
	_drop=$(field api_dropped "$res")
	_sw="stored=$_stored/$total"
	if [ "$_stored" -ne "$total" ] 2>/dev/null; then
		_sw="$_sw MISSING $((total - _stored)) bytes"
	else
		_sw="$_sw all"
	fi
	if [ "${_drop:--1}" -gt 0 ] 2>/dev/null; then
		_sw="$_sw, DROPPED $_drop bytes (status)"
	fi
	printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' \
	    "$1" "$n" "$rep" \
	    "$(field status "$res")" "$(field wall_s "$res")" \
	    "$(field first_s "$res")" "$_stored" \
	    "$(field cpu_s "$res")" "$(field hwm_kib "$res")" \
	    "$(field exit "$res")" "$check" \
	    "$(printf '%s' "${2:-}" | tr '|' '/')" "$total" \
	    "$(field api_bytes "$res")" "${_drop:--1}" \
	    "$(field cpu_self_s "$res")" "$(field procs "$res")" >>"$results"
	printf '  %-12s %s check=%s %s %s\n' "$1" "$res" "$check" "$_sw" \
	    "${2:-}" >&2
}

# skip WHO WHY: appends a row for a contender that cannot run (once per N).
skip()
{
	[ "$rep" -eq 1 ] || return 0
	printf '%s|%s|%s|skipped|-1|-1|0|-1|-1|-1|-|%s|%s|-1|-1|-1|0\n' \
	    "$1" "$n" "$rep" "$2" "$total" >>"$results"
	printf '  %-12s skipped: %s\n' "$1" "$2" >&2
}

# new_run: a fresh directory for one contender's run.
new_run()
{
	run=$tmp/run
	rm -rf "$run"
	mkdir "$run"
	# Leave no dirty pages from the previous contender to write back.
	sync
	# On a VM with free page reporting (virtio-balloon), memory that
	# stayed free for a while has been handed back to the host, and the
	# first touch of each page costs the writer of the log files a host
	# fault: about 1.7 s of its CPU per GiB on the machine this was
	# written on.  Writing and deleting TOTAL bytes just before the run
	# hands the contender freshly freed pages instead, the same for all.
	if [ "$BENCH_WARMUP" = 1 ]; then
		"$bin/blast" "$total" 1 >"$tmp/warmup"
		rm -f "$tmp/warmup"
	fi
}

bench_copier()
{
	new_run
	mkdir "$run/logs"
	measure -w -o "$run/copier.out" "$total" "$run/logs" \
	    "$bin/copier" "$run/logs" "$n" "$per" "$bin/blast"
	# The copier has exited: take its own account of CPU and RSS.
	_self=$(sed -n 's/^copier: cpu_s=\([0-9.]*\) maxrss_kib=\([0-9]*\)$/'\
'cpu_s=\1 cpu_self_s=\1 hwm_kib=\2/p' "$run/copier.out")
	if [ -n "$_self" ]; then
		res=$(printf '%s\n' "$res" | sed -e 's/ cpu_s=[^ ]*//' \
		    -e 's/ cpu_self_s=[^ ]*//' -e 's/ hwm_kib=[^ ]*//')" $_self"
	fi
	verify copier
	_note=
	[ "$(field exit "$res")" = 0 ] ||
	    _note=$(ended_log "$run/copier.out")
	record copier "$_note"
}

bench_crashtrail()
{
	if [ ! -x "$CRASHTRAIL" ]; then
		skip crashtrail "crashtrail binary not found ($CRASHTRAIL)"
		return 0
	fi
	new_run
	_conf=$run/crashtrail.conf
	{
		printf '[collector]\n'
		printf 'state_dir = %s\n' "$run/ct-state"
		printf 'log_dir = %s\n' "$run/ct-logs"
		printf 'log_quota_bytes = 0\n'
		_k=1
		while [ "$_k" -le "$n" ]; do
			printf '\n[runner:w%d]\n' "$_k"
			printf 'command = %s %s\n' "$bin/blast" "$per"
			printf 'instance_id = bench\n'
			printf 'autostart = true\n'
			printf 'autorestart = never\n'
			printf 'startsecs = 0\n'
			printf 'log_max_bytes = %s\n' "$BENCH_LOG_MAX_BYTES"
			_k=$((_k + 1))
		done
	} >"$_conf"
	measure -o "$run/crashtrail.log" -s "$run/ct-state/crashtrail.sock" \
	    "$total" "$run/ct-logs" "$CRASHTRAIL" run -c "$_conf"
	verify crashtrail
	_note=
	case $(field status "$res"):$(field exit "$res") in
	ok:0)	;;
	ok:*)	_note="$(how_ended) on SIGTERM (want exit 0)" ;;
	*:78)	_note="config refused: $(grep -m 3 -F "$_conf" \
		    "$run/crashtrail.log" | tr '\n' ' ')"
		_line=$(sed -n "s|^$_conf:\([0-9][0-9]*\):.*|\1|p" \
		    "$run/crashtrail.log" | head -n 1)
		if [ -n "$_line" ]; then
			_note="$_note(line $_line is: $(sed -n "${_line}p" "$_conf"))"
		fi
		;;
	stalled:*)
		_note="log: $(grep -m 2 -e 'dropped' -e 'failed' \
		    "$run/crashtrail.log" | tr '\n' ' ')" ;;
	*)	_note=$(ended_log "$run/crashtrail.log") ;;
	esac
	if [ "$(field exit "$res")" != 0 ]; then
		{
			echo "--- crashtrail stderr (last 20 lines) ---"
			tail -n 20 "$run/crashtrail.log"
			echo "---"
		} >&2
	fi
	record crashtrail "$_note"
}

bench_supervisord()
{
	if [ "$have_supervisord" = 0 ]; then
		skip supervisord "supervisord not found ($SUPERVISORD)"
		return 0
	fi
	new_run
	mkdir "$run/logs" "$run/sv"
	_conf=$run/sv/supervisord.conf
	{
		printf '[unix_http_server]\nfile = %s\nchmod = 0700\n\n' \
		    "$run/sv/supervisor.sock"
		printf '[supervisord]\nnodaemon = true\n'
		printf 'logfile = %s\nlogfile_maxbytes = 0\n' \
		    "$run/sv/supervisord.log"
		printf 'pidfile = %s\nchildlogdir = %s\n\n' \
		    "$run/sv/supervisord.pid" "$run/sv"
		printf '[rpcinterface:supervisor]\n'
		printf 'supervisor.rpcinterface_factory = '
		printf 'supervisor.rpcinterface:make_main_rpcinterface\n\n'
		printf '[supervisorctl]\nserverurl = unix://%s\n' \
		    "$run/sv/supervisor.sock"
		_k=1
		while [ "$_k" -le "$n" ]; do
			printf '\n[program:w%d]\n' "$_k"
			printf 'command = %s %s\n' "$bin/blast" "$per"
			printf 'autostart = true\nautorestart = false\n'
			printf 'startsecs = 0\n'
			printf 'stdout_logfile = /dev/null\n'
			printf 'stdout_logfile_maxbytes = 0\n'
			printf 'stderr_logfile = %s/w%d.stderr.log\n' \
			    "$run/logs" "$_k"
			printf 'stderr_logfile_maxbytes = 0\n'
			printf 'stderr_logfile_backups = 0\n'
			_k=$((_k + 1))
		done
	} >"$_conf"
	measure -o "$run/sv/supervisord.out" "$total" "$run/logs" \
	    "$SUPERVISORD" -c "$_conf"
	verify supervisord
	_note=
	case $(field status "$res"):$(field exit "$res") in
	ok:0)	;;
	ok:*)	_note="$(how_ended) on SIGTERM" ;;
	*)	_note=$(ended_log "$run/sv/supervisord.out") ;;
	esac
	record supervisord "$_note"
}

if [ -x "$CRASHTRAIL" ]; then
	ctdesc=$CRASHTRAIL
else
	ctdesc="$CRASHTRAIL (not found)"
fi
if [ "$have_supervisord" = 1 ]; then
	svdesc="supervisord $("$SUPERVISORD" --version 2>&1 | head -n 1)"
else
	svdesc="supervisord not found"
fi

echo "crashtrail throughput benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "host: $(uname -sr), $(getconf _NPROCESSORS_ONLN) CPUs," \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
    "$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "data: $tmp ($(stat -f -c %T "$tmp"))"
echo "contenders: copier; crashtrail: $ctdesc; $svdesc"
echo "load: $BENCH_BYTES bytes per run in 64 KiB writes, N = $BENCH_N," \
    "$BENCH_REPEAT interleaved round(s); loadavg before: $load0"

t_start=$(date +%s)
for n in $BENCH_N; do
	per=$((BENCH_BYTES / n))
	total=$((per * n))
	ref=$("$bin/blast" "$per" 1 | cksum)
	rep=1
	while [ "$rep" -le "$BENCH_REPEAT" ]; do
		echo "N=$n round $rep: $n writer(s) x $per bytes" >&2
		bench_copier
		bench_crashtrail
		bench_supervisord
		rep=$((rep + 1))
	done
	rm -rf "$run"
done
load1=$(cut -d ' ' -f 1-3 /proc/loadavg)
echo "bench took $(($(date +%s) - t_start)) s; loadavg after: $load1" >&2

echo
awk -F '|' -v sumfile="$BENCH_SUMMARY" -v bytes="$BENCH_BYTES" \
    -v reps="$BENCH_REPEAT" -v cpus="$(getconf _NPROCESSORS_ONLN)" \
    -v load0="$load0" -v load1="$load1" '
# sorted(A, G, K, T): T[1..K] = A[G, 1..K] in ascending order.
function sorted(a, g, k, t,	i, j, v)
{
	for (i = 1; i <= k; i++) {
		v = a[g, i]
		for (j = i - 1; j >= 1 && t[j] > v; j--)
			t[j + 1] = t[j]
		t[j + 1] = v
	}
}
# med(A, G, K): the median of A[G, 1..K].
function med(a, g, k,	t)
{
	split("", t)
	sorted(a, g, k, t)
	return k % 2 ? t[(k + 1) / 2] : (t[k / 2] + t[k / 2 + 1]) / 2
}
# rng(A, G, K, FMT): "min-max" of A[G, 1..K].
function rng(a, g, k, fmt,	t)
{
	split("", t)
	sorted(a, g, k, t)
	return sprintf(fmt "-" fmt, t[1], t[k])
}
function num(v, fmt)	{ return v < 0 ? "-" : sprintf(fmt, v) }
# out(LINE): to stdout and to the summary file.
function out(line)
{
	print line
	if (sumfile != "")
		print line >>sumfile
}
{
	g = $1 SUBSEP $2
	if (!(g in runs)) {
		order[++groups] = g
		who[g] = $1
		n[g] = $2
	}
	runs[g]++
	# Stored against written: every run, completed or not.
	if ($4 != "skipped") {
		if ($7 == $13 && $15 <= 0)
			allstored[g]++
		else {
			missing[g] += $13 - $7
			if ($15 > 0)
				dropped[g] += $15
		}
	}
	if ($4 != "ok") {
		if (!(g in fail))
			fail[g] = $4 == "skipped" ? "skipped" : \
			    sprintf("%s, %.1f of %.1f MiB stored", $4,
			    $7 / 1048576, $13 / 1048576)
		if ($12 != "" && !(g in failnote))
			failnote[g] = $12
		nfail[g]++
		next
	}
	k = ++ok[g]
	mbps[g, k] = $13 / $5 / 1e6
	steady[g, k] = $5 > $6 ? $13 / ($5 - $6) / 1e6 : -1
	wall[g, k] = $5
	first[g, k] = $6
	cpugb[g, k] = $8 < 0 ? -1 : $8 / ($13 / 1e9)
	byrep_mb[$1, $2, $3] = mbps[g, k]
	byrep_cpu[$1, $2, $3] = cpugb[g, k]
	if ($9 / 1024 > rss[g])
		rss[g] = $9 / 1024
	if (!(g in code))
		code[g] = $10
	else if (code[g] != $10)
		code[g] = "mixed"
	if ($11 != "ok" && $11 != "-")
		check[g] = check[g] (check[g] == "" ? "" : ", ") $11
	else if (!(g in check))
		check[g] = $11
	if ($12 != "")
		note[g] = $12
	if (!($2 in maxrep) || $3 > maxrep[$2])
		maxrep[$2] = $3
}
# paired(WHO, N): sets pr[WHO, N, 1..np[WHO, N]] (MB/s ratios to the copier
# of the same round) and pc[...] (CPU s/GB ratios).
function paired(w, k,	r, g, m, c)
{
	g = w SUBSEP k
	m = c = 0
	for (r = 1; r <= maxrep[k]; r++) {
		if (!((w, k, r) in byrep_mb) || !(("copier", k, r) in byrep_mb))
			continue
		pr[g, ++m] = byrep_mb[w, k, r] / byrep_mb["copier", k, r]
		if (byrep_cpu[w, k, r] > 0 && byrep_cpu["copier", k, r] > 0)
			pc[g, ++c] = byrep_cpu[w, k, r] / byrep_cpu["copier", k, r]
	}
	npr[g] = m
	npc[g] = c
}
# mr(WHO, N, WHAT): "median [min-max]" of WHAT (mb or cpu), or "-".
function mr(w, k, what,	g, f)
{
	g = w SUBSEP k
	if (!ok[g])
		return (g in fail) ? fail[g] : "-"
	if (what == "mb")
		return sprintf("%.0f [%s]", med(mbps, g, ok[g]),
		    rng(mbps, g, ok[g], "%.0f"))
	if (med(cpugb, g, ok[g]) < 0)
		return "-"
	return sprintf("%.2f [%s]", med(cpugb, g, ok[g]),
	    rng(cpugb, g, ok[g], "%.2f"))
}
function ratio(w, k, what,	g)
{
	g = w SUBSEP k
	if (what == "mb")
		return npr[g] ? sprintf("%.2f [%s]", med(pr, g, npr[g]),
		    rng(pr, g, npr[g], "%.2f")) : "-"
	return npc[g] ? sprintf("%.2f [%s]", med(pc, g, npc[g]),
	    rng(pc, g, npc[g], "%.2f")) : "-"
}
function storedcol(g)
{
	if (!(g in runs) || fail[g] == "skipped")
		return "-"
	if (allstored[g] == runs[g])
		return "all " runs[g] "/" runs[g]
	return sprintf("%d/%d all; %d bytes missing%s", allstored[g], runs[g],
	    missing[g], dropped[g] ? sprintf(", %d dropped", dropped[g]) : "")
}
# storedsum(N): "yes (R runs)" if every run at N stored every byte, else
# which contenders did not.
function storedsum(k,	w, g, bad, all, r, i)
{
	split("copier crashtrail supervisord", w, " ")
	bad = ""
	all = 0
	for (i = 1; i <= 3; i++) {
		g = w[i] SUBSEP k
		if (!(g in runs) || fail[g] == "skipped")
			continue
		all += runs[g]
		if (allstored[g] != runs[g])
			bad = bad (bad == "" ? "" : "; ") w[i] " " storedcol(g)
	}
	return bad == "" ? "yes (" all " runs)" : "NO: " bad
}
END {
	for (i = 1; i <= groups; i++) {
		g = order[i]
		if (who[g] != "copier")
			paired(who[g], n[g])
		if (who[g] == "copier")
			ns[++nn] = n[g]
		if (who[g] == "supervisord" && fail[g] != "skipped")
			have_sv = 1
	}
	printf "%-11s %3s %5s %9s %14s %6s %8s %11s %14s %7s %6s %6s %4s %4s  %s\n",
	    "contender", "N", "MB/s", "min-max", "x copier", "steady",
	    "CPU s/GB", "min-max", "CPU x copier", "RSS MiB", "wall s",
	    "1st B s", "runs", "exit", "check; stored/written"
	for (i = 1; i <= groups; i++) {
		g = order[i]
		if (!ok[g]) {
			msg = fail[g]
			if (g in failnote)
				msg = msg ": " failnote[g]
			printf "%-11s %3s %s; stored: %s\n", who[g], n[g], msg,
			    storedcol(g)
			continue
		}
		c = med(cpugb, g, ok[g])
		printf "%-11s %3s %5.0f %9s %14s %6s %8s %11s %14s %7.1f %6.2f %6.2f %4s %4s  %s; %s\n",
		    who[g], n[g], med(mbps, g, ok[g]),
		    rng(mbps, g, ok[g], "%.0f"),
		    who[g] == "copier" ? "1" : ratio(who[g], n[g], "mb"),
		    num(med(steady, g, ok[g]), "%.0f"), num(c, "%.2f"),
		    c < 0 ? "-" : rng(cpugb, g, ok[g], "%.2f"),
		    who[g] == "copier" ? "1" : ratio(who[g], n[g], "cpu"),
		    rss[g], med(wall, g, ok[g]), med(first, g, ok[g]),
		    ok[g] "/" runs[g], code[g], check[g], storedcol(g)
		if (nfail[g]) {
			msg = fail[g]
			if (g in failnote)
				msg = msg ": " failnote[g]
			printf "%16s %d run(s) %s\n", "", nfail[g], msg
		}
		if (note[g] != "")
			printf "%16s note: %s\n", "", note[g]
	}
	printf "\nMB = 10^6 bytes, GB = 10^9 bytes, MiB = 2^20 bytes.  Medians of" \
	    " the rounds that\ncompleted (RSS: the largest); min-max over those" \
	    " rounds.  x copier: the median\n(and min-max) over rounds of the" \
	    " ratio to the copier of the same round.\nsteady: MB/s from the" \
	    " first byte on, without the start-up (1st B s: seconds\nfrom the" \
	    " fork to the first byte in a log file, at 20 ms resolution).\n" \
	    "stored/written: runs whose log files hold every byte written (and," \
	    " for\ncrashtrail, /v1/status dropped_bytes = 0).\n"

	out("")
	out(sprintf("Throughput: %.0f MiB per run over N writers (64 KiB writes)," \
	    " median [min-max] of %d", bytes / 1048576, reps))
	out(sprintf("interleaved rounds; %d CPUs, loadavg %s before, %s after.",
	    cpus, load0, load1))
	hdr = "| N | copier MB/s | crashtrail MB/s | ct/copier MB/s | "
	sep = "|---|---|---|---|"
	if (have_sv) {
		hdr = hdr "supervisord MB/s | "
		sep = sep "---|"
	}
	hdr = hdr "copier CPU s/GB | crashtrail CPU s/GB | ct/copier CPU | "
	sep = sep "---|---|---|"
	if (have_sv) {
		hdr = hdr "supervisord CPU s/GB | "
		sep = sep "---|"
	}
	hdr = hdr "every byte stored |"
	sep = sep "---|"
	out(hdr)
	out(sep)
	for (i = 1; i <= nn; i++) {
		k = ns[i]
		line = sprintf("| %s | %s | %s | %s | ", k, mr("copier", k, "mb"),
		    mr("crashtrail", k, "mb"), ratio("crashtrail", k, "mb"))
		if (have_sv)
			line = line mr("supervisord", k, "mb") " | "
		line = line sprintf("%s | %s | %s | ", mr("copier", k, "cpu"),
		    mr("crashtrail", k, "cpu"), ratio("crashtrail", k, "cpu"))
		if (have_sv)
			line = line mr("supervisord", k, "cpu") " | "
		out(line storedsum(k) " |")
	}
	out("CPU: the process tree of the collector without the writers (crashtrail:" \
	    " daemon + syncer).")
}' "$results"
