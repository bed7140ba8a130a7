#!/bin/sh
# man_keys.sh -- the manuals tell the truth about the code: every key of
# src/confval.c's three tables (collector, runner, diagnostic) has an
# `.It Cm KEY` entry in its section of man/crashtrail.conf.5 and every
# entry there is a key of that table; every command of main.c's usage()
# and every exit code of exitcodes.h / cli_int.h is in crashtrail.8;
# `crashtrail --help` exits 0; and, where mandoc is installed, both pages
# lint clean.  Needs only sh and awk.
set -u
top=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
ct=${CRASHTRAIL:-$top/crashtrail}
conf5=$top/man/crashtrail.conf.5
man8=$top/man/crashtrail.8
bad=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/crashtrail-man.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

for f in "$top/src/confval.c" "$top/src/main.c" "$conf5" "$man8"; do
	[ -f "$f" ] || { echo "FAIL: $f is missing"; exit 1; }
done

# "SECTION KEY" per key of the C tables: lines `{ "name", ...` between
# `confval_<table>_keys[] = {` and the `};` that ends it.
awk '
/^const struct confkey confval_[a-z]+_keys\[\] = \{/ {
	t = $0; sub(/^const struct confkey confval_/, "", t)
	sub(/_keys.*/, "", t)
	if (t == "diag") t = "diagnostic"
	next
}
/^};/ { t = "" }
t != "" && match($0, /^[ \t]*\{ *"[A-Za-z0-9_]+"/) {
	k = substr($0, RSTART, RLENGTH); sub(/^[^"]*"/, "", k); sub(/"$/, "", k)
	print t, k
}' "$top/src/confval.c" | sort >"$tmp/code"

# "SECTION KEY" per `.It Cm KEY` of the outermost list under each
# `.Ss The [collector] section` (or [runner:NAME], [diagnostic:ID]);
# nested lists (a key's values) do not count.
awk '
/^\.S[hs] / {
	s = ""
	if ($0 ~ /^\.Ss .*\[collector\]/) s = "collector"
	else if ($0 ~ /^\.Ss .*\[runner:/) s = "runner"
	else if ($0 ~ /^\.Ss .*\[diagnostic:/) s = "diagnostic"
	depth = 0
	next
}
s == "" { next }
/^\.Bl/ { depth++; next }
/^\.El/ { depth--; next }
depth == 1 && /^\.It Cm [A-Za-z0-9_]+/ { print s, $3 }
' "$conf5" | sort >"$tmp/man"

for s in collector runner diagnostic; do
	n=$(grep -c "^$s " "$tmp/code")
	[ "$n" -gt 0 ] || { echo "FAIL: no [$s] keys found in src/confval.c"; bad=1; }
	n=$(grep -c "^$s " "$tmp/man")
	[ "$n" -gt 0 ] || { echo "FAIL: no [$s] keys found in crashtrail.conf.5"; bad=1; }
done
comm -23 "$tmp/code" "$tmp/man" >"$tmp/undocumented"
comm -13 "$tmp/code" "$tmp/man" >"$tmp/unknown"
if [ -s "$tmp/undocumented" ]; then
	echo "FAIL: keys of src/confval.c missing from man/crashtrail.conf.5:"
	sed 's/^\([a-z]*\) /  [\1] /' "$tmp/undocumented"
	bad=1
fi
if [ -s "$tmp/unknown" ]; then
	echo "FAIL: keys in man/crashtrail.conf.5 that src/confval.c lacks:"
	sed 's/^\([a-z]*\) /  [\1] /' "$tmp/unknown"
	bad=1
fi
grep -c . "$tmp/code" | sed 's/$/ keys documented in their sections/'
dup=$(uniq -d "$tmp/man")
[ -z "$dup" ] || { echo "FAIL: keys documented twice: $dup"; bad=1; }

# The commands of usage(): its lines `"  name ...` (two spaces, a name).
cmds=$(awk '
/^usage\(FILE \*fp\)/ { u = 1; next }
u && /^}/ { exit }
u && /^"  [a-z][a-z-]* / {
	c = $0; sub(/^"  /, "", c); sub(/[ \\].*/, "", c); print c
}' "$top/src/main.c")
# And what main() dispatches on (argv[1]), less the option spellings.
disp=$(sed -n 's/.*strcmp(argv\[1\], "\([a-z][a-z-]*\)").*/\1/p' \
    "$top/src/main.c")
[ -n "$cmds" ] || { echo "FAIL: no commands found in main.c's usage()"; bad=1; }
# Each in crashtrail.8's SYNOPSIS (`.Cm name`) and described under
# DESCRIPTION (an `.It` line naming it).
for c in $(printf "%s\n" $cmds $disp | sort -u); do
	awk -v c="$c" '/^\.Sh SYNOPSIS/ { s = 1; next } /^\.Sh/ { s = 0 }
	    s && ($0 == ".Cm " c || index($0, ".Cm " c " ") == 1) { f = 1 }
	    END { exit !f }' "$man8" ||
	    { echo "FAIL: command '$c' is not in crashtrail.8's SYNOPSIS"; bad=1; }
	awk -v c="$c" '(index($0, ".It Cm ") == 1 || p == ".It Xo") &&
	    ($0 ~ "^\\.(It )?Cm " c "( |$)") { f = 1 } { p = $0 }
	    END { exit !f }' "$man8" ||
	    { echo "FAIL: command '$c' is not described in crashtrail.8"; bad=1; }
done
for c in $disp; do
	case " $(echo $cmds) " in *" $c "*) ;;
	*) echo "FAIL: main() runs '$c' but usage() does not list it"; bad=1 ;;
	esac
done
echo "commands: $(echo $cmds)"

# Every exit code the program defines has an entry under EXIT STATUS.
codes=$(sed -n 's/^#define[ \t]*EX_CT_[A-Z]*[ \t]*\([0-9][0-9]*\).*/\1/p' \
    "$top/src/exitcodes.h" "$top/src/cli_int.h" | sort -un)
for c in $codes; do
	awk -v c="$c" '/^\.Sh EXIT STATUS/ { e = 1; next } /^\.Sh/ { e = 0 }
	    e && $0 == ".It " c { f = 1 } END { exit !f }' "$man8" ||
	    { echo "FAIL: exit code $c is not under EXIT STATUS"; bad=1; }
done
echo "exit codes: $(echo $codes)"

if [ -x "$ct" ]; then
	"$ct" --help >"$tmp/help" 2>&1
	rc=$?
	[ $rc -eq 0 ] || { echo "FAIL: crashtrail --help exited $rc"; bad=1; }
	grep -q 'check-config' "$tmp/help" ||
	    { echo "FAIL: crashtrail --help does not list the commands"; bad=1; }
else
	echo "FAIL: no binary at $ct (make first)"; bad=1
fi

# mandoc -Tlint: nothing but the cross-references it cannot resolve
# (pages it finds only once installed, such as the two of ours, and its
# note about a stale mandoc.db), which depend on the machine, not on us.
if command -v mandoc >/dev/null 2>&1; then
	mandoc -Tlint "$man8" "$conf5" >"$tmp/lint" 2>&1
	grep -v -e 'STYLE: referenced manual not found' \
	    -e 'outdated mandoc.db' "$tmp/lint" >"$tmp/lint.bad"
	if [ -s "$tmp/lint.bad" ]; then
		echo "FAIL: mandoc -Tlint:"; cat "$tmp/lint.bad"; bad=1
	else
		echo "mandoc -Tlint: clean ($(grep -c 'not found' "$tmp/lint") unresolved cross-references ignored)"
	fi
else
	echo "mandoc is not installed: lint skipped (apt-get install mandoc)"
fi
[ $bad -eq 0 ] || exit 1
echo "ok"
