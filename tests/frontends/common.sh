# Shared set-up of the policy-service and socketmap tests.  It starts
# the fault-injecting DNS server, optionally unbound in front of it, the
# front ends on loopback ports, smtp-sink and a private Postfix.  That
# Postfix's smtpd queries the policy service at RCPT TO, and mxwarden's
# milter is not in smtpd_milters.  It sources tests/e2e/milter_common.sh for the DNS,
# unbound, SMTP and log helpers.
#
#   fe_require                   skip unless root and every program exists
#   fe_setup [LINES...]          tmpdir, faultdns, front ends, sink and
#                                Postfix; each argument is one extra line
#                                of mxwarden.conf
#   fe_start_daemon [LINES...]   (re)start only the front ends
#   fe_launch                    start them on MXW_CONF as it is
#   fe_stop_daemon               stop them and wait
#   fe_client ARGS...            run tests/frontends/client.py
#   fe_policy RCPT...            one policy request per recipient, straight
#                                to the service; prints the action lines
#   fe_socketmap KEY...          one socketmap query per key; prints the
#                                replies
#   fe_alive                     the process still runs
#
# The front ends run in mxwarden itself when FE_USE_DAEMON=1, and in
# tests/frontends/frontends-driver when it is 0.  The driver loads the same
# configuration and creates the decision service and the front ends as
# the daemon does.  The default picks mxwarden once its main.c starts the
# front ends (frontends_start), and the driver before that.
#
# Sets MXW_DIR, MXW_PID, MXW_LOG, MXW_CONF, POLICY_PORT, SOCKETMAP_PORT,
# and PF_PORT, SINK_DIR from the libraries.

. "${top_srcdir:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/e2e/milter_common.sh"

FE_CLIENT=${top_srcdir:-.}/tests/frontends/client.py
FE_DRIVER=${FE_DRIVER:-${top_builddir:-.}/tests/frontends/frontends-driver}
if [ -z "${FE_USE_DAEMON:-}" ]; then
    FE_USE_DAEMON=0
    grep -q 'frontends_start' "${top_srcdir:-.}/milter/main.c" 2>/dev/null &&
        FE_USE_DAEMON=1
fi
FE_MAP_NAME=deliverystatus

fe_require() {
    tap_require_root
    tap_require_programs postfix postconf smtp-sink swaks
    if [ "$FE_USE_DAEMON" = 1 ]; then
        [ -x "$MXW_BIN" ] || tap_skip_all "$MXW_BIN not built (run make)"
    else
        [ -x "$FE_DRIVER" ] ||
            tap_skip_all "$FE_DRIVER not built (run make check)"
    fi
    [ -x "$FAULTDNS" ] || tap_skip_all "$FAULTDNS not built (needs ldns)"
}

fe_client() {
    timeout 120 "$TAP_PYTHON" "$FE_CLIENT" "$@"
}

fe_policy() {
    fe_client policy "$POLICY_PORT" "$@"
}

fe_socketmap() {
    fe_client socketmap "$SOCKETMAP_PORT" "$FE_MAP_NAME" "$@"
}

fe_alive() {
    [ -n "$MXW_PID" ] && ! tap_pid_gone "$MXW_PID"
}

# Ready means listening, and the start-up canary rounds have judged the
# resolver: every server starts suspect, so before that no negative answer
# can become a 5xx.
fe_ready() {
    tap_port_open "$POLICY_PORT" && tap_port_open "$SOCKETMAP_PORT" &&
        grep -q -e 'frontends-driver: started' -e 'started: version' \
            "$MXW_LOG" &&
        grep -q -e 'health suspect -> ' "$MXW_LOG"
}

# Start the front ends with the test configuration and the extra lines;
# the log (stderr) goes to MXW_LOG.  Keeps the ports across restarts.
fe_start_daemon() {
    # The three are chosen before anything binds them, so each pick
    # excludes the others.
    [ -n "$POLICY_PORT" ] ||
        POLICY_PORT=$(tap_free_port "$SOCKETMAP_PORT" "$MXW_PORT") ||
        return 1
    [ -n "$SOCKETMAP_PORT" ] ||
        SOCKETMAP_PORT=$(tap_free_port "$POLICY_PORT" "$MXW_PORT") ||
        return 1
    [ -n "$MXW_PORT" ] ||
        MXW_PORT=$(tap_free_port "$POLICY_PORT" "$SOCKETMAP_PORT") ||
        return 1
    MXW_CONF=$MXW_DIR/mxwarden.conf
    mxw_write_config \
        "policy_socket = \"inet:$POLICY_PORT@127.0.0.1\";" \
        "socketmap_socket = \"inet:$SOCKETMAP_PORT@127.0.0.1\";" "$@"
    if ! "$MXW_BIN" -n -c "$MXW_CONF" >"$MXW_DIR/check.out" 2>&1; then
        echo "fe_start_daemon: configuration rejected:" >&2
        cat "$MXW_DIR/check.out" >&2
        return 1
    fi
    MXW_LOG=$MXW_DIR/mxwarden.log
    fe_launch
    tap_at_exit "fe_stop_daemon"
    if ! tap_wait_until 20 fe_ready; then
        echo "fe_start_daemon: the front ends did not listen on ports" \
            "$POLICY_PORT and $SOCKETMAP_PORT within 20 s:" >&2
        cat "$MXW_LOG" >&2
        return 1
    fi
}

# Start mxwarden or the driver on MXW_CONF, under MXW_WRAPPER when set,
# with an emptied MXW_LOG; set MXW_PID.  The caller waits until it serves.
fe_launch() {
    : >"$MXW_LOG"
    if [ "$FE_USE_DAEMON" = 1 ]; then
        $MXW_WRAPPER "$MXW_BIN" -f -c "$MXW_CONF" 2>>"$MXW_LOG" &
    else
        $MXW_WRAPPER "$FE_DRIVER" "$MXW_CONF" 2>>"$MXW_LOG" &
    fi
    MXW_PID=$!
}

fe_stop_daemon() {
    [ -n "$MXW_PID" ] || return 0
    tap_stop_pid "$MXW_PID" 15
    MXW_PID=
}

# Start everything.  MXW_USE_UNBOUND=1 puts unbound between mxwarden and
# faultdns, FE_WITHOUT_POSTFIX=1 leaves out smtp-sink and Postfix, and
# FE_POSTFIX_SETTINGS (an array) adds main.cf settings.
fe_setup() {
    mxw_dns_start || return 1
    fe_start_daemon "$@" || return 1
    [ "${FE_WITHOUT_POSTFIX:-0}" = 1 ] && return 0
    sink_start "$MXW_DIR/sink" || return 1
    pf_start "$MXW_DIR/postfix" "$SINK_PORT" \
        "smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:$POLICY_PORT" \
        "${FE_POSTFIX_SETTINGS[@]}" || return 1
}

# Print the decision lines of the policy service for recipient ADDRESS.
fe_policy_log() {
    grep -F "front=policy" "$MXW_LOG" | grep -F "rcpt=<$1>"
}

# Show the logs when a test fails, to explain the failure.
fe_diag_logs() {
    [ "$TAP_FAILED" -gt 0 ] || return 0
    tap_diag "--- front end log"
    tap_diag "$(tail -n 40 "$MXW_LOG" 2>/dev/null)"
    tap_diag "--- postfix log"
    tap_diag "$(tail -n 20 "$MXW_DIR/postfix/maillog" 2>/dev/null)"
    tap_diag "--- last SMTP dialogue"
    tap_diag "$(grep -E '^( ->|<-|<\*\*)' "$SMTP_TRANSCRIPT" 2>/dev/null | head -40)"
}
