# alloc_zero.sh -- no heap allocation between "ready" and shutdown while 16
# runners write 256 MiB (test/bench/alloc_check.sh, counting build).
. "$(dirname "$0")/lib.sh"
[ -n "${CRASHTRAIL_ALLOC:-}" ] ||
    skip "no allocation-counting build here (it is glibc and dynamic only: not under ASan, not with the static musl binary)"
sh "$TOP/test/bench/alloc_check.sh" "$CRASHTRAIL_ALLOC" "$H/blast" ||
    fail "allocations on the hot path"
