# Run a private unbound on loopback that forwards everything to a test
# DNS server (the fault-injecting server), for tests that need a real
# recursive resolver in front of it.  Source from bash after
# tests/lib/tap.sh, then:
#
#   unbound_start UPSTREAM_PORT ZONE...   start unbound on a free port of
#                                         127.0.0.1, forwarding "." to
#                                         127.0.0.1@UPSTREAM_PORT; each
#                                         ZONE (e.g. test) gets
#                                         local-zone nodefault so unbound
#                                         does not answer it itself
#   unbound_stop                          stop it and remove its files
#
# unbound_start sets UNBOUND_PORT, UNBOUND_PID and UNBOUND_DIR; lines in
# UNBOUND_SERVER_EXTRA are added to the server: clause.  Nothing
# is sent anywhere but the upstream port: no root hints are used, no
# trust anchor is fetched and remote control is off.

UNBOUND=${UNBOUND:-$(PATH=$PATH:/usr/sbin command -v unbound)}
UNBOUND_WAIT_S=${UNBOUND_WAIT_S:-20}

unbound_start() {
    local upstream=$1 zone waited=0
    shift

    [ -n "$UNBOUND" ] || {
        echo "unbound_start: unbound is not installed" >&2
        return 1
    }
    UNBOUND_DIR=$(mktemp -d "${TMPDIR:-/tmp}/unbound.XXXXXX") || return 1
    UNBOUND_PORT=$(tap_free_port) || return 1
    {
        cat <<CONF
server:
    username: ""
    chroot: ""
    directory: "$UNBOUND_DIR"
    pidfile: "$UNBOUND_DIR/unbound.pid"
    use-syslog: no
    logfile: "$UNBOUND_DIR/unbound.log"
    verbosity: 1
    interface: 127.0.0.1
    port: $UNBOUND_PORT
    do-ip6: no
    num-threads: 1
    so-reuseport: no
    do-not-query-localhost: no
    module-config: "iterator"
    qname-minimisation: no
    harden-referral-path: no
CONF
        for zone in "$@"; do
            echo "    local-zone: \"${zone%.}.\" nodefault"
        done
        [ -z "${UNBOUND_SERVER_EXTRA:-}" ] ||
            sed 's/^/    /' <<<"$UNBOUND_SERVER_EXTRA"
        cat <<CONF
remote-control:
    control-enable: no
forward-zone:
    name: "."
    forward-addr: 127.0.0.1@$upstream
CONF
    } >"$UNBOUND_DIR/unbound.conf"

    "$UNBOUND" -d -c "$UNBOUND_DIR/unbound.conf" \
        >"$UNBOUND_DIR/stdout" 2>&1 &
    UNBOUND_PID=$!
    until tap_port_open "$UNBOUND_PORT"; do
        if ! kill -0 "$UNBOUND_PID" 2>/dev/null; then
            echo "unbound_start: unbound exited:" >&2
            cat "$UNBOUND_DIR/stdout" "$UNBOUND_DIR/unbound.log" >&2
            UNBOUND_PID=
            return 1
        fi
        if [ $waited -ge $((UNBOUND_WAIT_S * 10)) ]; then
            echo "unbound_start: port $UNBOUND_PORT not open" >&2
            unbound_stop
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    export UNBOUND_PORT UNBOUND_PID UNBOUND_DIR
}

unbound_stop() {
    if [ -n "$UNBOUND_PID" ]; then
        tap_stop_pid "$UNBOUND_PID" 10
        UNBOUND_PID=
    fi
    if [ -n "$UNBOUND_DIR" ] && [ "${UNBOUND_KEEP:-0}" != 1 ]; then
        rm -rf "$UNBOUND_DIR"
    fi
}
