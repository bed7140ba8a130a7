#!/bin/sh
# test/mutants/run.sh -- mutation testing: each mutant in test/mutants/list
# breaks one behaviour on purpose, and the tests it names must notice.
#
# The tree (without build/, .git and the binary) is copied to a scratch
# directory; there the named tests of every mutant are first run on the
# unchanged tree (none may fail: a catch by a test that fails anyway
# proves nothing; those that skip on this machine are listed, and catch
# nothing here); then, one mutant at a time, its text is replaced in
# its file, `make -j2 crashtrail` and the test prerequisites are built,
# `make test TESTS="..."` runs its tests, and the file is put back.  A
# mutant is "caught" when one of its tests fails, "survived" when all
# pass; "skipped" (its tests skipped), "stale" (its text is not in the
# file exactly once: the source moved on) and "build-error" count as not
# caught too.  Prints one line per mutant and a total; exits 1 unless
# every mutant was caught.  The source tree itself is never written.
#
# List format: blocks separated by blank lines, '#' lines are comments:
#   name:    a short id
#   file:    the source file, relative to the top
#   find:    the exact text, which must occur exactly once
#   replace: what it becomes
#   tests:   the test names (as test/run.sh prints them) expected to catch it
# In find and replace, \n is a newline, \t a tab and \\ a backslash; any
# other character stands for itself.
#
# Environment: MUTANTS="name ..." runs only those; MUTANTS_LIST (default
# test/mutants/list); MUTANTS_KEEP=1 keeps the scratch directory;
# MUTANTS_NO_BASELINE=1 skips the run on the unchanged tree;
# MUTANTS_VERBOSE=1 shows how each caught mutant failed its tests;
# TEST_TIMEOUT as for make test.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
list=${MUTANTS_LIST:-$top/test/mutants/list}
[ -f "$list" ] || { echo "no mutant list at $list" >&2; exit 2; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/crashtrail-mutants.XXXXXX") || exit 2
cleanup() {
	if [ -n "${MUTANTS_KEEP:-}" ]; then
		echo "scratch tree kept in $scratch"
	else
		rm -rf "$scratch"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The list, checked and flattened: one line per mutant,
# "index<TAB>name<TAB>file<TAB>tests".
mutants_py() {
	python3 - "$@" <<'PY'
import os, sys

def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s) and s[i + 1] in "nt\\":
            out.append({"n": "\n", "t": "\t", "\\": "\\"}[s[i + 1]])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)

def parse(path):
    recs, cur = [], {}
    for n, line in enumerate(open(path).read().split("\n"), 1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if cur:
                recs.append(cur)
            cur = {}
            continue
        k, sep, v = line.partition(":")
        if not sep or k not in ("name", "file", "find", "replace", "tests"):
            sys.exit("%s:%d: expected name/file/find/replace/tests: ..."
                     % (path, n))
        if k in cur:
            sys.exit("%s:%d: %s given twice" % (path, n, k))
        cur[k] = v[1:] if v.startswith(" ") else v
        cur.setdefault("line", n)
    if cur:
        recs.append(cur)
    names = set()
    for r in recs:
        for k in ("name", "file", "find", "replace", "tests"):
            if k not in r:
                sys.exit("%s:%d: mutant without %s" % (path, r["line"], k))
        if r["name"] in names:
            sys.exit("%s:%d: mutant %s named twice"
                     % (path, r["line"], r["name"]))
        names.add(r["name"])
        if r["find"] == r["replace"]:
            sys.exit("%s:%d: replace is find" % (path, r["line"]))
    return recs

cmd, path = sys.argv[1], sys.argv[2]
recs = parse(path)
if cmd == "list":
    for i, r in enumerate(recs):
        print("%d\t%s\t%s\t%s" % (i, r["name"], r["file"], r["tests"]))
elif cmd == "apply":
    r, tree = recs[int(sys.argv[3])], sys.argv[4]
    f = os.path.join(tree, r["file"])
    src = open(f, encoding="utf-8", errors="surrogateescape").read()
    find = unescape(r["find"])
    n = src.count(find)
    if n != 1:
        print("%s: the text occurs %d times in %s" % (r["name"], n,
              r["file"]))
        sys.exit(3)
    open(f, "w", encoding="utf-8", errors="surrogateescape").write(
        src.replace(find, unescape(r["replace"])))
PY
}

mutants_py list "$list" >"$scratch/.list" || exit 2
# Keep only the mutants asked for.
if [ -n "${MUTANTS:-}" ]; then
	: >"$scratch/.sel"
	for m in $MUTANTS; do
		awk -F '\t' -v m="$m" '$2 == m' "$scratch/.list" >>"$scratch/.sel"
		grep -q "	$m	" "$scratch/.sel" ||
		    { echo "no mutant named $m" >&2; exit 2; }
	done
	mv "$scratch/.sel" "$scratch/.list"
fi

tree=$scratch/tree
mkdir -p "$tree" "$scratch/pristine"
(cd "$top" && tar --exclude=./build --exclude=./.git --exclude=./crashtrail \
    --exclude='*/__pycache__' -cf - .) | (cd "$tree" && tar -xf -) || exit 2

# Build what `make test` needs (TESTS naming no test runs none); the
# output goes to $1, shown on failure.
build() {
	(cd "$tree" && make -j2 crashtrail >"$1" 2>&1 &&
	    make -j2 test TESTS=.none. >>"$1" 2>&1) </dev/null
}

# run_tests "TESTS" LOG: make test on them; prints "passed failed skipped".
run_tests() {
	(cd "$tree" && make test TESTS="$1") </dev/null >"$2" 2>&1
	sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' \
	    "$2" | tail -n 1
}

echo "building the unchanged tree in $tree"
if ! build "$scratch/build.log"; then
	tail -n 30 "$scratch/build.log"
	echo "the unchanged tree does not build" >&2
	exit 2
fi

ntests() { echo "$1" | wc -w; }

if [ -z "${MUTANTS_NO_BASELINE:-}" ]; then
	all=$(cut -f 4 "$scratch/.list" | tr ' ' '\n' | grep . | sort -u |
	    tr '\n' ' ')
	echo "baseline: $(ntests "$all") tests on the unchanged tree"
	set -- $(run_tests "$all" "$scratch/baseline.log")
	if [ $# -ne 3 ] || [ "$2" -ne 0 ] ||
	    [ $(($1 + $3)) -ne "$(ntests "$all")" ]; then
		sed 's/^/    /' "$scratch/baseline.log" | tail -n 80
		echo "baseline: the named tests must all pass (and exist) on" \
		    "the unchanged tree" >&2
		exit 2
	fi
	echo "baseline: $1 pass, $3 skip"
	# A test that skips here catches nothing here: say so up front.
	grep '^SKIP ' "$scratch/baseline.log" | sed 's/^/    /'
fi

caught=0 total=0 bad=
while IFS='	' read -r idx name file tests <&3; do
	total=$((total + 1))
	mkdir -p "$scratch/pristine/$(dirname "$file")"
	[ -f "$scratch/pristine/$file" ] ||
	    cp -p "$tree/$file" "$scratch/pristine/$file"
	log=$scratch/$name.log
	start=$(date +%s)
	if ! mutants_py apply "$list" "$idx" "$tree" >"$log" 2>&1; then
		verdict=stale
	elif ! build "$log.build"; then
		verdict=build-error
		tail -n 20 "$log.build" >>"$log"
	else
		set -- $(run_tests "$tests" "$log")
		if [ $# -ne 3 ]; then
			verdict=error
		elif [ "$2" -gt 0 ]; then
			verdict=caught
		elif [ "$3" -gt 0 ]; then
			verdict=skipped
		elif [ "$1" -ne "$(ntests "$tests")" ]; then
			verdict=error	# a test name that matched nothing
		else
			verdict=survived
		fi
	fi
	cp -p "$scratch/pristine/$file" "$tree/$file"
	touch "$tree/$file"	# rebuilt the next time, whatever the clock
	secs=$(( $(date +%s) - start ))
	printf '%-12s %-30s %-20s %4ss  %s\n' "$verdict" "$name" "$file" \
	    "$secs" "$tests"
	if [ "$verdict" = caught ]; then
		caught=$((caught + 1))
		# How it was caught, in a line: the first failure said.
		grep -m 1 -E '^ *(FAIL: |[A-Za-z]*Error|.*CHECK\(.*failed)' "$log" |
		    sed 's/^ */    /' | cut -c 1-160
		[ -n "${MUTANTS_VERBOSE:-}" ] &&
		    grep -v '^ *[0-9T:.-]*Z \(info\|debug\)' "$log" |
		    sed 's/^/    /' | tail -n 25
	else
		bad="$bad $name"
		sed 's/^/    /' "$log" | tail -n 40
	fi
done 3<"$scratch/.list"

echo "$caught of $total mutants caught"
if [ -n "$bad" ]; then
	echo "not caught:$bad"
	exit 1
fi
exit 0
