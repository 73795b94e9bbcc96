# Start, control and stop the fault-injecting DNS server (tests/faultdns)
# from a bash test.  Source this file, then:
#
#   faultdns_start [ZONE_PATH...]  start on a free loopback port; the zone
#                                  paths default to tests/faultdns/zones
#   faultdns_set 'RULES'           replace the fault rules and wait until
#                                  the server has loaded them
#   faultdns_stop                  stop it; returns its exit status
#
# faultdns_start sets FAULTDNS_PORT, FAULTDNS_PID, FAULTDNS_LOG (the query
# log), FAULTDNS_DIR (its state directory) and FAULTDNS_CONTROL (the rule
# file).  Set FAULTDNS_WRAPPER (for example "valgrind -q") to run the
# server under another program, and FAULTDNS to use another binary.

FAULTDNS=${FAULTDNS:-${top_builddir:-.}/tests/faultdns/faultdns}
FAULTDNS_WRAPPER=${FAULTDNS_WRAPPER:-}
# Seconds to wait for start and for each rule reload.
FAULTDNS_WAIT_S=${FAULTDNS_WAIT_S:-20}

faultdns_start() {
    local zone_args=() path waited=0

    if [ $# -eq 0 ]; then
        set -- "${top_srcdir:-.}/tests/faultdns/zones"
    fi
    for path in "$@"; do
        zone_args+=(-z "$path")
    done
    FAULTDNS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/faultdns.XXXXXX") || return 1
    FAULTDNS_LOG=$FAULTDNS_DIR/query.log
    FAULTDNS_CONTROL=$FAULTDNS_DIR/control
    : >"$FAULTDNS_CONTROL"
    : >"$FAULTDNS_LOG"

    # shellcheck disable=SC2086 # the wrapper is a command with arguments
    $FAULTDNS_WRAPPER "$FAULTDNS" "${zone_args[@]}" \
        -P "$FAULTDNS_DIR/port" -c "$FAULTDNS_CONTROL" \
        -s "$FAULTDNS_DIR/status" -l "$FAULTDNS_LOG" \
        >"$FAULTDNS_DIR/stdout" 2>"$FAULTDNS_DIR/stderr" &
    FAULTDNS_PID=$!

    while [ ! -s "$FAULTDNS_DIR/port" ]; do
        if ! kill -0 "$FAULTDNS_PID" 2>/dev/null; then
            echo "faultdns_start: the server exited:" >&2
            cat "$FAULTDNS_DIR/stderr" >&2
            FAULTDNS_PID=
            return 1
        fi
        if [ $waited -ge $((FAULTDNS_WAIT_S * 10)) ]; then
            echo "faultdns_start: no port after ${FAULTDNS_WAIT_S}s" >&2
            faultdns_stop
            return 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    FAULTDNS_PORT=$(cat "$FAULTDNS_DIR/port")
    export FAULTDNS_PORT FAULTDNS_PID FAULTDNS_LOG FAULTDNS_DIR \
        FAULTDNS_CONTROL
}

# Print the generation number from the status file, 0 when there is none.
faultdns_generation() {
    local status
    status=$(cat "$FAULTDNS_DIR/status" 2>/dev/null)
    status=${status#generation=}
    echo "${status%% *}" | grep -E '^[0-9]+$' || echo 0
}

faultdns_set() {
    local before waited=0 status

    [ -n "$FAULTDNS_PID" ] || {
        echo "faultdns_set: the server is not running" >&2
        return 1
    }
    before=$(faultdns_generation)
    printf '%s\n' "$1" >"$FAULTDNS_CONTROL.new" &&
        mv "$FAULTDNS_CONTROL.new" "$FAULTDNS_CONTROL" || return 1
    kill -HUP "$FAULTDNS_PID" || return 1
    while [ "$(faultdns_generation)" -le "$before" ]; do
        if ! kill -0 "$FAULTDNS_PID" 2>/dev/null; then
            echo "faultdns_set: the server exited:" >&2
            cat "$FAULTDNS_DIR/stderr" >&2
            return 1
        fi
        if [ $waited -ge $((FAULTDNS_WAIT_S * 100)) ]; then
            echo "faultdns_set: no reload after ${FAULTDNS_WAIT_S}s" >&2
            return 1
        fi
        sleep 0.01
        waited=$((waited + 1))
    done
    status=$(cat "$FAULTDNS_DIR/status")
    case $status in
    *status=ok*) return 0 ;;
    esac
    echo "faultdns_set: rules rejected: ${status#*message=}" >&2
    return 1
}

# Print the number of query log lines that contain every FIELD given as a
# whole field, e.g. faultdns_count transport=tcp name=hotmail.com. type=MX.
faultdns_count() {
    awk -v want="$*" '
        BEGIN { n = split(want, fields, " ") }
        {
            delete have
            for (i = 1; i <= NF; i++)
                have[$i] = 1
            for (j = 1; j <= n; j++)
                if (!(fields[j] in have))
                    next
            count++
        }
        END { print count + 0 }' "$FAULTDNS_LOG"
}

faultdns_stop() {
    local status=0

    if [ -n "$FAULTDNS_PID" ]; then
        kill -TERM "$FAULTDNS_PID" 2>/dev/null
        wait "$FAULTDNS_PID"
        status=$?
        FAULTDNS_PID=
    fi
    if [ -n "$FAULTDNS_DIR" ] && [ "${FAULTDNS_KEEP:-0}" != 1 ]; then
        rm -rf "$FAULTDNS_DIR"
    fi
    return $status
}
