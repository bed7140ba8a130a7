# kmsg_off.sh -- `kmsg_path = off` turns the kernel watcher off: the word
# is not taken as a file next to the config, nothing is opened, and
# /v1/status says "off" while the rest of the daemon works.
. "$(dirname "$0")/lib.sh"
conf=$T/c.conf
collector "$conf" "kmsg_path = off"
start_daemon "$conf"
S=$T/state/crashtrail.sock
curl -s --unix-socket "$S" http://localhost/v1/status >"$T/st" ||
    fail "no status"
jq_py "$T/st" 'd["watchers"]["kernel"]["state"]' | grep -qx 'off' ||
    fail "watcher state: $(cat "$T/st")"
! log_has 'No such file' || fail "kmsg_path = off was opened as a file"
! log_has "$T/off" || fail "kmsg_path = off was taken as $T/off"
stop_daemon
[ "$DRC" -eq 0 ] || fail "daemon exited $DRC"
exit 0
