#!/bin/sh
# test/run.sh -- run every unit test binary and integration script, print
# PASS/FAIL/SKIP per test (the log of a failure is shown, others are
# dropped), and end with one line: "N passed, N failed, N skipped".
# A test skips by exiting 77 after printing its reason.
#
# Environment (set by `make test`): CRASHTRAIL, UNIT_DIR, HELPER_DIR,
# TEST_TIMEOUT; TESTS="name ..." runs only those.  CT_MUST_RUN="name ..."
# names the tests that must not skip on this machine (.ci/run sets it for
# its machines): one of them that skips FAILS, "must not skip here: " and
# its reason, and so does a name there that is no test.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
: "${UNIT_DIR:?}" "${CRASHTRAIL:?}" "${TEST_TIMEOUT:=120}"
export CRASHTRAIL HELPER_DIR TOP="$top"
pass=0 fail=0 skip=0 seen=" "
logdir=$(mktemp -d "${TMPDIR:-/tmp}/crashtrail-tests.XXXXXX")
trap 'rm -rf "$logdir"' EXIT INT TERM

must_run() {	# name
	for _m in ${CT_MUST_RUN:-}; do
		[ "$_m" = "$1" ] && return 0
	done
	return 1
}

run_one() {	# name command...
	name=$1; shift
	if [ -n "${TESTS:-}" ]; then
		case " $TESTS " in *" $name "*) ;; *) return ;; esac
	fi
	seen="$seen$name "
	log="$logdir/$(echo "$name" | tr / _).log"
	start=$(date +%s)
	timeout -k 5 "$TEST_TIMEOUT" "$@" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); echo "PASS $name (${secs}s)"
	elif [ $rc -eq 77 ] && must_run "$name"; then
		fail=$((fail + 1))
		echo "FAIL $name: must not skip here: $(tail -n 1 "$log")"
		sed 's/^/    /' "$log" | tail -n 60
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$log")"
	else
		fail=$((fail + 1))
		[ $rc -eq 124 ] && echo "timed out after ${TEST_TIMEOUT}s" >>"$log"
		echo "FAIL $name (exit $rc, ${secs}s)"
		sed 's/^/    /' "$log" | tail -n 60
	fi
}

for t in "$UNIT_DIR"/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
for t in "$top"/test/integration/*.sh; do
	[ -f "$t" ] || continue
	# Sourced by the tests, not tests themselves.
	case "$(basename "$t")" in lib.sh|certs.sh) continue ;; esac
	run_one "integration/$(basename "$t" .sh)" sh "$t"
done
for name in ${CT_MUST_RUN:-}; do
	case "$seen" in *" $name "*) continue ;; esac
	if [ -n "${TESTS:-}" ]; then
		case " $TESTS " in *" $name "*) ;; *) continue ;; esac
	fi
	fail=$((fail + 1))
	echo "FAIL $name: must not skip here: there is no such test"
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
