#!/bin/sh
# systemd_run.sh -- the unit under a real systemd: a copy of
# platform/linux/crashtrail.service, named crashtrail-it-PID and pointed at
# the binary and a config under test, is started (systemctl start returns
# once READY=1 came, Type=notify), shows our STATUS= text, survives
# `systemctl reload` (RELOADING=1 ... READY=1) and a few watchdog periods,
# and `systemctl stop` leaves it inactive with its runner gone.  It needs
# systemd as PID 1 and root; elsewhere it skips, saying why.
. "$(dirname "$0")/lib.sh"
[ -d /run/systemd/system ] ||
    skip "no systemd running here (no /run/systemd/system)"
[ "$(id -u)" -eq 0 ] || skip "needs root to install a system unit"
command -v systemctl >/dev/null || skip "no systemctl"

NAME=crashtrail-it-$$
UNITF=/run/systemd/system/$NAME.service
# PrivateTmp= would hide $T (under /tmp) from the service: its files live
# in /run instead, which ReadWritePaths= opens.
D=/run/$NAME
unit_cleanup() {
	systemctl stop "$NAME" >/dev/null 2>&1
	rm -f "$UNITF"
	systemctl daemon-reload >/dev/null 2>&1
	rm -rf "$D" "/var/lib/$NAME" "/var/log/$NAME"
}
CLEANUP_HOOK=unit_cleanup
mkdir -p "$D"
cat >"$D/crashtrail.conf" <<CONF
[collector]
state_dir = $D/state
[runner:sleeper]
command = /bin/sleep 600
startsecs = 0
CONF
sed -e "s#/usr/bin/crashtrail#$CRASHTRAIL#g" \
    -e "s#/etc/crashtrail/crashtrail.conf#$D/crashtrail.conf#g" \
    -e "s#^ReadWritePaths=.*#ReadWritePaths=$D#" \
    -e "s#^WatchdogSec=.*#WatchdogSec=2s#" \
    -e "s#^StateDirectory=.*#StateDirectory=$NAME#" \
    -e "s#^LogsDirectory=.*#LogsDirectory=$NAME#" \
    "$TOP/platform/linux/crashtrail.service" >"$UNITF"
# The binary under test may sit under /home or /root, which ProtectHome=
# hides; read-only is enough for it.
case "$CRASHTRAIL" in
/home/*|/root/*) sed -i 's#^ProtectHome=yes#ProtectHome=read-only#' "$UNITF" ;;
esac
systemctl daemon-reload || fail "daemon-reload"
timeout 60 systemctl start "$NAME" ||
    { journalctl -u "$NAME" --no-pager | tail -n 30; fail "start"; }
show() { systemctl show -p "$1" --value "$NAME"; }
[ "$(show ActiveState)" = active ] || fail "not active: $(show ActiveState)"
st=$(show StatusText)
echo "StatusText: $st"
case "$st" in *"runners up"*) ;; *) fail "no STATUS text: $st" ;; esac
# Several watchdog periods (1 s pings for a 2 s watchdog), still active.
sleep 5
[ "$(show ActiveState)" = active ] || fail "watchdog: $(show ActiveState)"
[ "$(show NRestarts)" = 0 ] || fail "restarted $(show NRestarts) times"
pid=$(show MainPID)
timeout 30 systemctl reload "$NAME" || fail "systemctl reload"
[ "$(show ActiveState)" = active ] || fail "after reload: $(show ActiveState)"
[ "$(show MainPID)" = "$pid" ] || fail "reload changed the main pid"
journalctl -u "$NAME" --no-pager | grep -q 'reloaded ' ||
    echo "(journal has no 'reloaded' line: journald may lag)"
timeout 120 systemctl stop "$NAME" || fail "stop"
[ "$(show ActiveState)" = inactive ] || fail "after stop: $(show ActiveState)"
[ "$(show Result)" = success ] || fail "stop result: $(show Result)"
kill -0 "$pid" 2>/dev/null && fail "crashtrail still running"
pgrep -f "sleep 600" >/dev/null && echo "(a sleep 600 runs: maybe not ours)"
echo ok
