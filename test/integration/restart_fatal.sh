# restart_fatal.sh -- autorestart with backoff, FATAL after startretries
# failed starts, and the way back out of FATAL (SIGUSR1).
. "$(dirname "$0")/lib.sh"
C=$H/crasher
conf=$T/c.conf
collector "$conf"
cat >>"$conf" <<EOC
[runner:flaky]
command = $C exit 7
startsecs = 1
startretries = 2
backoff = 0.1
backoff_max = 0.2
[runner:crashloop]
command = /bin/sh -c 'sleep 0.3; kill -SEGV \$\$'
startsecs = 0
autorestart = unexpected
backoff = 0.05
backoff_max = 0.1
[runner:done]
command = $C exit 0
startsecs = 0
autorestart = unexpected
EOC
start_daemon "$conf"
wait_for 20 log_has 'flaky: BACKOFF -> FATAL\|flaky: STARTING -> FATAL' ||
    fail "flaky never became FATAL"
n=$(grep -c 'flaky: run .* started' "$T/daemon.log")
[ "$n" -eq 3 ] || fail "expected 3 starts (1 + startretries 2), saw $n"
log_has 'flaky: gave up after 3 failed starts (last: exitcode=7)' ||
    fail "no give-up message"
# Out of FATAL: a fresh budget of starts.
kill -USR1 "$DPID"
wait_for 20 sh -c "[ \$(grep -c 'flaky: run .* started' $T/daemon.log) -ge 6 ]" ||
    fail "SIGUSR1 did not restart the FATAL runner"
wait_for 20 sh -c "[ \$(grep -c -- '-> FATAL' $T/daemon.log) -ge 2 ]" ||
    fail "flaky did not go FATAL again"
# A runner that crashes after running is restarted on every crash.
wait_for 20 sh -c "[ \$(grep -c 'crashloop: run .* FAILED: signal=11' $T/daemon.log) -ge 3 ]" ||
    fail "crashloop not restarted"
log_has 'crashloop: FAILED -> BACKOFF' || fail "no FAILED -> BACKOFF"
# A clean exit with autorestart = unexpected stays down.
log_has 'done: RUNNING -> EXITED' || fail "done not EXITED"
[ "$(grep -c 'done: run .* started' "$T/daemon.log")" -eq 1 ] ||
    fail "clean exit was restarted"
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exit status $DRC"
