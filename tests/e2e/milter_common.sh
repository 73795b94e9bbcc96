# Shared set-up of the milter end-to-end tests: the fault-injecting DNS
# server, optionally unbound in front of it, mxwarden on a loopback milter
# socket, smtp-sink and a private Postfix with mxwarden in smtpd_milters
# and non_smtpd_milters.  It sources the tests/lib helpers itself.
#
#   mxw_require                  skip unless root and every program exists
#   mxw_setup [KEY=VALUE...]     tmpdir, faultdns, sink, mxwarden and
#                                Postfix; each argument is one extra line
#                                of mxwarden.conf ("mode = \"monitor\";")
#   mxw_start_daemon [LINES...]  (re)start only mxwarden with extra lines;
#                                returns once its resolver is healthy
#   mxw_stop_daemon              stop mxwarden and wait for it
#   mxw_reload [LINES...]        rewrite the configuration, send SIGHUP and
#                                wait for the "reloaded" line and for the
#                                new decider's resolver to become healthy
#   mxw_unbound_start            unbound on a free port forwarding to
#                                faultdns; sets UNBOUND_PORT, UNBOUND_PID
#   mxw_unbound_stop             stop it (the resolver "killed")
#   mxw_log_count TEXT           lines of mxwarden's log containing TEXT
#   mxw_fd_count                 open descriptors of the mxwarden process
#   mxw_send ARGS...             smtp_send to the Postfix instance
#   mxw_rcpt_replies             the RCPT replies of the last send, "|"
#                                after each
#   mxw_header FILE              the X-MXWarden values of a delivered file
#   mxw_wait_delivered_to ADDR   wait until Postfix logged the delivery
#                                to ADDR as sent, then print the name of
#                                the copy's file
#
# Sets MXW_DIR (the test directory), MXW_PID, MXW_PORT (milter socket),
# MXW_LOG, MXW_CONF, and PF_PORT, SINK_DIR from the libraries.

lib=${top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/lib
. "$lib/tap.sh"
. "$lib/postfix.sh"
. "$lib/mail.sh"
. "$lib/faultdns.sh"

MXW_BIN=${MXWARDEN:-${top_builddir:-.}/milter/mxwarden}
MXW_DNS_SERVERS=
# Settings a test may change before mxw_setup or mxw_reload.  The canary
# domains exist in the test zones, so a healthy server passes its canary
# rounds.  temp_error results are not cached, so a healed resolver is
# seen at once.
MXW_STEP_TIMEOUT_MS=${MXW_STEP_TIMEOUT_MS:-400}
MXW_RCPT_DEADLINE_MS=${MXW_RCPT_DEADLINE_MS:-4000}
MXW_CANARY_DOMAINS=${MXW_CANARY_DOMAINS:-'"plain.test", "hotmail.com"'}
MXW_TEMP_ERROR_TTL_S=${MXW_TEMP_ERROR_TTL_S:-0}

mxw_require() {
    tap_require_root
    tap_require_programs postfix postconf smtp-sink swaks
    [ -x "$MXW_BIN" ] || tap_skip_all "$MXW_BIN not built (run make)"
    [ -x "$FAULTDNS" ] || tap_skip_all "$FAULTDNS not built (needs ldns)"
}

# Write mxwarden.conf: the test settings, then the extra lines, which
# must not repeat a key written here.
mxw_write_config() {
    {
        echo "socket = \"inet:$MXW_PORT@127.0.0.1\";"
        echo 'user = "";'
        echo 'pidfile = "";'
        echo 'log_level = "info";'
        echo "servers = [$MXW_DNS_SERVERS];"
        echo "step_timeout_ms = $MXW_STEP_TIMEOUT_MS;"
        echo "rcpt_deadline_ms = $MXW_RCPT_DEADLINE_MS;"
        echo "temp_error_ttl_s = $MXW_TEMP_ERROR_TTL_S;"
        echo "canary_domains = [$MXW_CANARY_DOMAINS];"
        echo 'canary_nxdomain_zone = "test";'
        local line
        for line in "$@"; do
            echo "$line"
        done
    } >"$MXW_CONF"
}

mxw_milter_ready() {
    tap_port_open "$MXW_PORT" && grep -q 'started: version' "$MXW_LOG"
}

# Print how many times a resolver was logged becoming healthy.  A new
# decider trusts negative answers only after its first clean canary
# rounds, so a test that expects a 5xx waits for this first.
mxw_healthy_count() {
    grep -c -- '-> healthy' "$MXW_LOG"
}

mxw_healthy_count_above() {
    [ "$(mxw_healthy_count)" -gt "$1" ]
}

# Start mxwarden in the foreground with the test configuration and the
# extra lines; its log (stderr) goes to MXW_LOG.  Registers the stop.
mxw_start_daemon() {
    MXW_CONF=$MXW_DIR/mxwarden.conf
    mxw_write_config "$@"
    if ! "$MXW_BIN" -n -c "$MXW_CONF" >"$MXW_DIR/check.out" 2>&1; then
        echo "mxw_start_daemon: configuration rejected:" >&2
        cat "$MXW_DIR/check.out" >&2
        return 1
    fi
    MXW_LOG=$MXW_DIR/mxwarden.log
    : >"$MXW_LOG"
    $MXW_WRAPPER "$MXW_BIN" -f -c "$MXW_CONF" 2>>"$MXW_LOG" &
    MXW_PID=$!
    tap_at_exit "mxw_stop_daemon"
    if ! tap_wait_until 20 mxw_milter_ready; then
        echo "mxw_start_daemon: mxwarden did not listen on port" \
            "$MXW_PORT within 20 s:" >&2
        cat "$MXW_LOG" >&2
        return 1
    fi
    if ! tap_wait_until 20 mxw_healthy_count_above 0; then
        echo "mxw_start_daemon: the resolver did not become healthy" \
            "within 20 s:" >&2
        cat "$MXW_LOG" >&2
        return 1
    fi
}

# Stop mxwarden with SIGTERM and wait for it: libmilter takes about 3 s
# to let go of its socket.
mxw_stop_daemon() {
    [ -n "$MXW_PID" ] || return 0
    tap_stop_pid "$MXW_PID" 15
    MXW_PID=
}

mxw_reload() {
    local before healthy
    before=$(mxw_log_count 'reloaded: configuration')
    healthy=$(mxw_healthy_count)
    mxw_write_config "$@"
    kill -HUP "$MXW_PID" || return 1
    tap_wait_until 20 mxw_log_count_at_least 'reloaded: configuration' \
        $((before + 1)) || return 1
    tap_wait_until 20 mxw_healthy_count_above "$healthy"
}

mxw_log_count() {
    grep -c -F -- "$1" "$MXW_LOG"
}

mxw_log_count_at_least() {
    [ "$(mxw_log_count "$1")" -ge "$2" ]
}

# Print the number of open descriptors of the mxwarden process.
mxw_fd_count() {
    ls "/proc/$MXW_PID/fd" 2>/dev/null | wc -l
}

# Start unbound on a free loopback port as a recursive resolver that
# forwards everything to faultdns, so the tests see a real resolver's
# SERVFAIL and timeouts.  Nothing leaves loopback: "." is forwarded.
mxw_unbound_start() {
    local dir=$MXW_DIR/unbound
    mkdir -p "$dir"
    [ -n "$UNBOUND_PORT" ] || UNBOUND_PORT=$(tap_free_port) || return 1
    cat >"$dir/unbound.conf" <<EOF
server:
    interface: 127.0.0.1@$UNBOUND_PORT
    port: $UNBOUND_PORT
    do-ip6: no
    username: ""
    chroot: ""
    directory: "$dir"
    pidfile: "$dir/unbound.pid"
    logfile: "$dir/unbound.log"
    use-syslog: no
    do-daemonize: no
    do-not-query-localhost: no
    module-config: "iterator"
    local-zone: "test." nodefault
    harden-referral-path: no
    qname-minimisation: no
    val-permissive-mode: yes
    num-threads: 1
    outgoing-range: 64
    access-control: 127.0.0.0/8 allow
remote-control:
    control-enable: no
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@$FAULTDNS_PORT
EOF
    unbound -d -c "$dir/unbound.conf" >"$dir/stdout" 2>&1 &
    UNBOUND_PID=$!
    tap_at_exit "mxw_unbound_stop"
    tap_wait_until 10 mxw_udp_answers "$UNBOUND_PORT"
}

# Succeed when a DNS server on 127.0.0.1:PORT answers a query for
# plain.test MX over UDP.
mxw_udp_answers() {
    "$TAP_PYTHON" - "$1" <<'EOF' 2>/dev/null
import socket, struct, sys
query = struct.pack(">HHHHHH", 0x4d58, 0x0100, 1, 0, 0, 0)
for label in (b"plain", b"test"):
    query += bytes([len(label)]) + label
query += b"\0" + struct.pack(">HH", 15, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
s.sendto(query, ("127.0.0.1", int(sys.argv[1])))
reply = s.recv(4096)
sys.exit(0 if reply[:2] == query[:2] else 1)
EOF
}

mxw_unbound_stop() {
    [ -n "$UNBOUND_PID" ] || return 0
    tap_stop_pid "$UNBOUND_PID" 10
    UNBOUND_PID=
}

# Start everything.  MXW_USE_UNBOUND=1 puts unbound between mxwarden and
# faultdns.  MXW_POSTFIX_SETTINGS (an array) adds main.cf settings.
# Make the test directory and start the DNS side: faultdns, and unbound in
# front of it when MXW_USE_UNBOUND=1. Sets MXW_DIR and MXW_DNS_SERVERS.
mxw_dns_start() {
    tap_make_tmpdir || return 1
    MXW_DIR=$TAP_TMPDIR
    faultdns_start || return 1
    tap_at_exit "faultdns_stop"
    if [ "${MXW_USE_UNBOUND:-0}" = 1 ]; then
        mxw_unbound_start || return 1
        MXW_DNS_SERVERS="\"127.0.0.1:$UNBOUND_PORT\""
    else
        MXW_DNS_SERVERS="\"127.0.0.1:$FAULTDNS_PORT\""
    fi
}

mxw_setup() {
    mxw_dns_start || return 1
    MXW_PORT=$(tap_free_port) || return 1
    mxw_start_daemon "$@" || return 1
    sink_start "$MXW_DIR/sink" || return 1
    pf_start "$MXW_DIR/postfix" "$SINK_PORT" \
        "smtpd_milters = inet:127.0.0.1:$MXW_PORT" \
        "non_smtpd_milters = inet:127.0.0.1:$MXW_PORT" \
        "milter_default_action = tempfail" \
        "milter_command_timeout = 30s" \
        "${MXW_POSTFIX_SETTINGS[@]}" || return 1
}

mxw_send() {
    smtp_send "$PF_PORT" --from sender@client.test "$@"
}

mxw_rcpt_replies() {
    smtp_replies RCPT | tr '\n' '|'
}

mxw_header() {
    sink_header "$1" X-MXWarden
}

# Print the delivered file whose X-Rcpt-Args (smtp-sink's record of the
# envelope) names the recipient address TEXT.
mxw_delivered_to() {
    local file
    for file in $(sink_files); do
        if grep -q -i -F -- "$1" <(sink_header "$file" X-Rcpt-Args); then
            echo "$file"
            return 0
        fi
    done
    return 1
}

mxw_delivered_quiet() {
    mxw_delivered_to "$1" >/dev/null
}

# Succeed when Postfix logged the delivery to ADDRESS as sent and the
# sink contains the copy.  smtp-sink creates the file at DATA and can write
# the envelope part of it before the message arrives, but it answers the
# end of data, which Postfix logs as sent, only once the file is whole.
mxw_delivered_complete() {
    grep -i -F -- "to=<$1>," "$PF_DIR/maillog" | grep -q -F 'status=sent' &&
        mxw_delivered_quiet "$1"
}

# Wait up to 20 s for a complete delivered copy to recipient ADDRESS,
# then print its file name.
mxw_wait_delivered_to() {
    tap_wait_until 20 mxw_delivered_complete "$1" && mxw_delivered_to "$1"
}

# Show the logs when a test fails, to explain the failure.
mxw_diag_logs() {
    [ "$TAP_FAILED" -gt 0 ] || return 0
    tap_diag "--- mxwarden log"
    tap_diag "$(tail -n 40 "$MXW_LOG" 2>/dev/null)"
    tap_diag "--- postfix log"
    tap_diag "$(tail -n 20 "$MXW_DIR/postfix/maillog" 2>/dev/null)"
    tap_diag "--- last SMTP dialogue"
    tap_diag "$(grep -E '^( ->|<-|<\*\*)' "$SMTP_TRANSCRIPT" 2>/dev/null | head -40)"
}
