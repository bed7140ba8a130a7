# config_cli.sh -- the command line and config refusals, end to end: exit
# codes 0/64/78, file:line messages, --help telling the truth.
. "$(dirname "$0")/lib.sh"
ct=$CRASHTRAIL
"$ct" --help | grep -q 'check-config' || fail "--help"
"$ct" run --help | grep -q 'stopwaitsecs' || fail "run --help"
"$ct" check-config --help | grep -q 'exit 78' || fail "check-config --help"
"$ct" version | grep -q '^crashtrail ' || fail "version"
"$ct" >/dev/null 2>&1; [ $? -eq 64 ] || fail "no command: want 64"
"$ct" frobnicate 2>/dev/null; [ $? -eq 64 ] || fail "unknown command: want 64"
"$ct" run --bogus 2>/dev/null; [ $? -eq 64 ] || fail "bad flag: want 64"
"$ct" check-config -c "$T/missing.conf" 2>"$T/err"; [ $? -eq 78 ] ||
    fail "missing file: want 78"
grep -q 'missing.conf: No such file' "$T/err" || fail "missing file message"

expect_error() {	# expected-regex config-lines...
	_re=$1; shift
	printf '%s\n' "$@" >"$T/bad.conf"
	"$ct" check-config -c "$T/bad.conf" >/dev/null 2>"$T/err"
	_rc=$?
	[ $_rc -eq 78 ] || fail "want 78, got $_rc for: $*"
	grep -q -- "$_re" "$T/err" || { cat "$T/err"; fail "no '$_re' for: $*"; }
	# `run` refuses the same file the same way, before starting anything.
	"$ct" run -c "$T/bad.conf" >/dev/null 2>&1; [ $? -eq 78 ] ||
	    fail "run accepted a bad config: $*"
}
expect_error 'bad.conf:2: \[collector\]: unknown key .frobs.' \
    '[collector]' 'frobs = 1'
expect_error 'bad.conf:1: \[runner:../x\]: runner name' '[runner:../x]' 'command = /bin/true'
expect_error "bad.conf:1: .*may not be" '[runner:..]' 'command = /bin/true'
expect_error 'bad.conf:1: .*is empty' '[runner:]' 'command = /bin/true'
expect_error 'bad.conf:3: .*instance_id = a/b' '[runner:a]' 'command = /bin/true' 'instance_id = a/b'
expect_error 'bad.conf:1: unknown section' '[program:x]' 'command = /bin/true'
expect_error 'missing command' '[runner:a]' 'autostart = no'
expect_error "not found in PATH" '[runner:a]' 'command = no-such-program-xyz'
expect_error 'bad.conf:2: .*unterminated quote' '[runner:a]' "command = /bin/sh -c 'oops"
expect_error 'bad.conf:3: .*expected unexpected, always or never' \
    '[runner:a]' 'command = /bin/true' 'autorestart = sometimes'
expect_error 'bad.conf:3: .*unknown signal' '[runner:a]' 'command = /bin/true' 'stopsignal = BOGUS'
expect_error 'bad.conf:3: .*duplicate key' '[runner:a]' 'command = /bin/true' 'command = /bin/false'
long=$(head -c 5120 /dev/zero | tr '\0' x)
expect_error 'bad.conf:2: line is 5140 bytes long, the limit is 4096' \
    '[runner:a]' "command = /bin/echo $long"
echo ok
