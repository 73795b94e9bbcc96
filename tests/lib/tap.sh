# TAP output and process helpers for shell tests.  Source it from bash.
#
# Output: tap_plan N, tap_ok COND_STATUS NAME, tap_is GOT EXPECTED NAME,
# tap_skip_all REASON, tap_diag TEXT.  Processes: tap_at_exit CMD runs CMD
# when the test exits (last registered first), tap_wait_until TIMEOUT_S CMD
# polls CMD, tap_free_port [EXCLUDED...] picks an unused loopback TCP port.

TAP_COUNT=0
TAP_FAILED=0
TAP_CLEANUP=()

# Print the plan line: the number of tests this script will report.
tap_plan() {
    echo "1..$1"
}

# Skip the whole test.  tap-driver.sh reports "1..0 # SKIP REASON" as SKIP,
# the TAP form of automake's exit status 77; the exit status is 0 because
# tap-driver.sh reports any other status as an error.
tap_skip_all() {
    echo "1..0 # SKIP $*"
    exit 0
}

# Print a diagnostic line; tap-driver.sh copies it to the test log.
tap_diag() {
    local line
    while IFS= read -r line; do
        echo "# $line"
    done <<<"$*"
}

# Report test NAME as passed when STATUS is 0, and return STATUS.  Usage:
# tap_ok $? NAME || tap_bail_out REASON.
tap_ok() {
    local status=$1
    shift
    TAP_COUNT=$((TAP_COUNT + 1))
    if [ "$status" -eq 0 ]; then
        echo "ok $TAP_COUNT - $*"
    else
        echo "not ok $TAP_COUNT - $*"
        TAP_FAILED=$((TAP_FAILED + 1))
    fi
    return "$status"
}

# Stop the test after a failed setup step that every later test needs.
# tap-driver.sh reports "Bail out!" as an error; the exit runs the cleanup.
tap_bail_out() {
    echo "Bail out! $*"
    exit 1
}

# Run CMD... and report it as test NAME.  Usage: tap_check NAME CMD...
tap_check() {
    local name=$1
    shift
    "$@"
    tap_ok $? "$name"
}

# Report test NAME as passed when GOT equals EXPECTED; print both otherwise.
tap_is() {
    local got=$1 expected=$2 name=$3
    if [ "$got" = "$expected" ]; then
        tap_ok 0 "$name"
    else
        tap_ok 1 "$name"
        tap_diag "expected: $expected"
        tap_diag "     got: $got"
        return 1
    fi
}

# Report test NAME as passed when TEXT contains the fixed string NEEDLE.
tap_like() {
    local text=$1 needle=$2 name=$3
    if [[ "$text" == *"$needle"* ]]; then
        tap_ok 0 "$name"
    else
        tap_ok 1 "$name"
        tap_diag "expected to contain: $needle"
        tap_diag "got: $text"
        return 1
    fi
}

# Exit with a skip unless the test runs as root.
tap_require_root() {
    [ "$(id -u)" -eq 0 ] || tap_skip_all "needs root"
}

# Exit with a skip unless every named program is found in PATH or /usr/sbin.
tap_require_programs() {
    local program
    for program in "$@"; do
        PATH=$PATH:/usr/sbin command -v "$program" >/dev/null 2>&1 ||
            tap_skip_all "$program not installed"
    done
}

# Register CMD (one string, run with eval) to run when the test exits.
tap_at_exit() {
    TAP_CLEANUP+=("$1")
}

tap_run_cleanup() {
    local i
    trap - EXIT INT TERM HUP
    for ((i = ${#TAP_CLEANUP[@]} - 1; i >= 0; i--)); do
        eval "${TAP_CLEANUP[$i]}" >/dev/null 2>&1 || true
    done
    TAP_CLEANUP=()
}

trap 'tap_run_cleanup' EXIT
trap 'tap_run_cleanup; exit 1' INT TERM HUP

# Poll CMD... every 0.1 s until it succeeds; fail after TIMEOUT_S seconds.
tap_wait_until() {
    local timeout_s=$1
    shift
    local deadline=$((SECONDS + timeout_s))
    while ! "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
    return 0
}

# Send TERM to PID, wait up to TIMEOUT_S seconds (default 10) for it to
# exit, then send KILL.  Works for children and for other processes.
tap_stop_pid() {
    local pid=$1 timeout_s=${2:-10}
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    if ! tap_wait_until "$timeout_s" tap_pid_gone "$pid"; then
        kill -KILL "$pid" 2>/dev/null
        tap_wait_until 5 tap_pid_gone "$pid"
    fi
    wait "$pid" 2>/dev/null
    return 0
}

# Send KILL to PID and wait up to 5 s for it to go.  For programs whose
# TERM handling is slow (libmilter takes about 3 s to exit after TERM).
tap_kill_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -KILL "$pid" 2>/dev/null || return 0
    tap_wait_until 5 tap_pid_gone "$pid"
    wait "$pid" 2>/dev/null
    return 0
}

# Succeed when PID no longer runs (a zombie child counts as gone).
tap_pid_gone() {
    local state
    [ -e "/proc/$1" ] || return 0
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 0
    [ "$state" = Z ] || [ -z "$state" ]
}

# Succeed when TCP PORT on ADDRESS (default 127.0.0.1) accepts a
# connection.
tap_port_open() {
    (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null
}

# Succeed when TCP PORT is listened on and every listening socket on it
# belongs to process PID, which proves that the test talks to the server
# it started.  Checking every socket matters: servers that set SO_REUSEPORT
# (Postfix's master and smtp-sink on Debian 12 both do, as measured) can
# share a port with another program that took it first.
tap_port_owned_by() {
    local listeners
    listeners=$(ss -Hltnp "sport = :$1" 2>/dev/null)
    [ -n "$listeners" ] && ! grep -qv "pid=$2," <<<"$listeners"
}

# Succeed when PID listens on TCP PORT and another process does too.
tap_port_shared() {
    local listeners
    listeners=$(ss -Hltnp "sport = :$1" 2>/dev/null)
    grep -q "pid=$2," <<<"$listeners" && grep -qv "pid=$2," <<<"$listeners"
}

TAP_PYTHON=${PYTHON3:-/usr/bin/python3}
[ -x "$TAP_PYTHON" ] || TAP_PYTHON=python3

# Print a TCP port that is free on 127.0.0.1, checked by binding it, and
# differs from every port given as an argument.  Ports come from 10000-32767,
# below Linux's default ephemeral range, so the port is unlikely to be
# taken by an outgoing connection before the caller binds it.  The caller
# still races other programs; the window is short.  A caller that picks
# several ports before binding any must pass the earlier picks, because
# the bind check cannot see a port that is only chosen.
tap_free_port() {
    local port excluded
    for _ in $(seq 1 50); do
        port=$((10000 + (RANDOM * 32768 + RANDOM) % 22768))
        for excluded in "$@"; do
            [ "$port" != "$excluded" ] || continue 2
        done
        if "$TAP_PYTHON" - "$port" <<'EOF' 2>/dev/null; then
import socket, sys
for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.close()
EOF
            echo "$port"
            return 0
        fi
    done
    echo "tap_free_port: no free port found in 50 attempts" >&2
    return 1
}

# Create a fresh directory for test state and store its path in
# TAP_TMPDIR.  It is removed at exit unless TAP_KEEP_TMP=1, and it is mode
# 0755 so the postfix user, which Postfix daemons and smtp-sink switch to,
# can traverse it.  Call it directly, not in $(...), so the cleanup is
# registered in the test's own shell.
tap_make_tmpdir() {
    TAP_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/mxw-test.XXXXXX") || return 1
    chmod 755 "$TAP_TMPDIR"
    if [ "${TAP_KEEP_TMP:-0}" != 1 ]; then
        tap_at_exit "rm -rf '$TAP_TMPDIR'"
    fi
}
