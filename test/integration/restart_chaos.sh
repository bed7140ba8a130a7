# restart_chaos.sh -- crashtrail killed with SIGKILL at random moments, ten
# times, and restarted each time (test/integration/restart_chaos.py): never
# two process trees of one runner (seen from /proc), every death before a
# restart still answered, every seq an SSE client got unique and in order
# across restarts with none of the journal's missed, and the runs left
# behind reported as collector_restarted.
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
# A unique instance id: the /proc monitor counts only this test's runners.
collector "$conf" "kmsg_path = off" "instance_id = chaos$$"
for i in 1 2 3; do
	cat >>"$conf" <<EOC
[runner:crash$i]
command = /bin/sh -c 'echo "crash$i going down" >&2; sleep 0.\$((\$\$ % 4 + 1)); kill -SEGV \$\$'
startsecs = 0
backoff = 0.1
backoff_max = 0.2
startretries = 1000000

EOC
done
for i in 1 2 3; do
	cat >>"$conf" <<EOC
[runner:sleep$i]
command = /bin/sh -c 'echo "sleeper$i up" >&2; exec sleep 1000'
stopwaitsecs = 2

EOC
done
for i in 1 2; do
	cat >>"$conf" <<EOC
[runner:stream$i]
command = /bin/sh -c 'n=0; while :; do n=\$((n+1)); echo "stream$i line \$n" >&2; sleep 0.02; done'
stopwaitsecs = 2

EOC
done
python3 "$(dirname "$0")/restart_chaos.py" "$CRASHTRAIL" "$conf" "$T" "chaos$$" ||
    fail "restart checks"
