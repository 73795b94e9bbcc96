# Run a test inside a network and mount namespace it creates itself, with
# only loopback up and /etc/resolv.conf replaced, inside that mount
# namespace only, by a file naming 127.0.0.1.  Programs there that use the
# system resolver (Postfix's smtp client, getent) then ask the DNS server
# the test runs on 127.0.0.1 port 53.  The machine's /etc/resolv.conf and
# network are never changed.  Needs root; source tests/lib/tap.sh first.
#
#   netns_require              skip the test unless namespaces can be made
#   netns_inside               succeed inside a namespace made by this file
#   netns_run_self SCRIPT ARGS run SCRIPT (normally "$0") inside a new
#                              namespace and return its exit status
#   netns_run CMD...           run one command inside a new namespace
#   netns_setup                (inside) private mounts, lo up, resolv.conf
#   netns_faultdns_start ZONE...
#                              (inside) tests/faultdns on 127.0.0.1 port 53

NETNS_LIB=${BASH_SOURCE[0]}

netns_require() {
    tap_require_root
    tap_require_programs unshare ip mount
    unshare -n -m -- true 2>/dev/null ||
        tap_skip_all "cannot create network and mount namespaces here"
    [ -e /etc/resolv.conf ] ||
        tap_skip_all "no /etc/resolv.conf to bind-mount over"
}

# Succeed when this shell runs in the namespaces netns_run or
# netns_run_self made: both its network and mount namespaces differ from
# those of the shell that called them, recorded in MXW_NETNS_OUTER.
netns_inside() {
    [ -n "${MXW_NETNS_OUTER:-}" ] &&
        [ "$(netns_ids)" != "$MXW_NETNS_OUTER" ] &&
        [ "$(readlink /proc/self/ns/net)" != "${MXW_NETNS_OUTER% *}" ] &&
        [ "$(readlink /proc/self/ns/mnt)" != "${MXW_NETNS_OUTER#* }" ]
}

# Succeed when this shell's network and mount namespaces both differ from
# those of its parent process, and all four ids can be read.
netns_differs_from_parent() {
    local kind self parent
    for kind in net mnt; do
        self=$(readlink "/proc/$$/ns/$kind") || return 1
        parent=$(readlink "/proc/$PPID/ns/$kind") || return 1
        [ -n "$self" ] && [ -n "$parent" ] && [ "$self" != "$parent" ] ||
            return 1
    done
}

# Print this process's network and mount namespace ids.
netns_ids() {
    echo "$(readlink /proc/self/ns/net) $(readlink /proc/self/ns/mnt)"
}

# Prepare the namespace this shell runs in: make every mount private so
# the bind mount below stays in this mount namespace, bring loopback up,
# and mount a resolv.conf naming NAMESERVER (default 127.0.0.1) over
# /etc/resolv.conf.  Fails, changing nothing, unless the shell runs in a
# namespace made by netns_run or netns_run_self.
netns_setup() {
    local nameserver=${1:-127.0.0.1} resolv_file

    # Check, before changing anything, that this is not the machine's own
    # namespace: the recorded outer ids differ, the parent process (the
    # shell that ran unshare, which execs this shell) is in other network
    # and mount namespaces, and no interface but lo exists (checked again
    # once lo is up).  The environment alone could be forged, and pid 1's
    # namespace links are not readable on every machine; an unreadable
    # parent link fails the check.
    if ! netns_inside; then
        echo "netns_setup: not inside a namespace made by netns.sh;" \
            "refusing to change mounts" >&2
        return 1
    fi
    if ! netns_differs_from_parent; then
        echo "netns_setup: this shell shares a network or mount namespace" \
            "with its parent $PPID; refusing to change mounts" >&2
        return 1
    fi
    if ip -o link show | grep -qv ': lo:'; then
        echo "netns_setup: namespace has interfaces other than lo;" \
            "refusing to change mounts" >&2
        return 1
    fi

    mount --make-rprivate / || return 1
    ip link set lo up || return 1
    resolv_file=$(mktemp "${TMPDIR:-/tmp}/mxw-resolv.XXXXXX") || return 1
    chmod 644 "$resolv_file"
    printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$nameserver" \
        >"$resolv_file"
    mount --bind "$resolv_file" /etc/resolv.conf || return 1

    # The bind mount keeps the file open; the name can go now.
    rm -f "$resolv_file"

    # Re-check that the namespace is isolated before the test relies on
    # it: only loopback, and the new resolv.conf visible.
    if ip -o link show | grep -qv ': lo:'; then
        echo "netns_setup: namespace has interfaces other than lo" >&2
        return 1
    fi
    grep -q "^nameserver $nameserver\$" /etc/resolv.conf
}

# Run SCRIPT ARGS... with bash in a new network and mount namespace, with
# MXW_NETNS_OUTER set to the caller's namespace ids, which netns_inside
# compares.  Returns the script's exit status.  Processes the script starts
# outlive it unless it stops them, so the script registers its cleanup
# with tap_at_exit.
netns_run_self() {
    MXW_NETNS_OUTER=$(netns_ids) unshare -n -m -- bash "$@"
}

# Run CMD... in a new namespace after netns_setup with 127.0.0.1 as the
# name server.
netns_run() {
    MXW_NETNS_OUTER=$(netns_ids) unshare -n -m -- bash -c \
        '. "$1" && shift && netns_setup && exec "$@"' \
        netns "$NETNS_LIB" "$@"
}

# Start tests/faultdns on 127.0.0.1 port 53 inside the namespace, the
# address the namespace's resolv.conf names, serving ZONE_PATH...  Source
# tests/lib/faultdns.sh first: this sets the same FAULTDNS_* variables as
# faultdns_start, so faultdns_set, faultdns_count and faultdns_stop work.
# faultdns_start itself always picks a free port, and the system resolver
# only queries port 53.  Registers the stop at exit.
netns_faultdns_start() {
    local zone_args=() path
    if ! netns_inside; then
        echo "netns_faultdns_start: port 53 is used only inside a" \
            "namespace made by netns.sh" >&2
        return 1
    fi
    for path in "$@"; do
        zone_args+=(-z "$path")
    done
    FAULTDNS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/faultdns.XXXXXX") || return 1
    FAULTDNS_LOG=$FAULTDNS_DIR/query.log
    FAULTDNS_CONTROL=$FAULTDNS_DIR/control
    : >"$FAULTDNS_CONTROL"
    : >"$FAULTDNS_LOG"
    "$FAULTDNS" "${zone_args[@]}" -p 53 -4 -P "$FAULTDNS_DIR/port" \
        -c "$FAULTDNS_CONTROL" -s "$FAULTDNS_DIR/status" -l "$FAULTDNS_LOG" \
        >"$FAULTDNS_DIR/stdout" 2>"$FAULTDNS_DIR/stderr" &
    FAULTDNS_PID=$!
    tap_at_exit "faultdns_stop"
    if ! tap_wait_until 20 test -s "$FAULTDNS_DIR/port"; then
        echo "netns_faultdns_start: faultdns did not start:" >&2
        cat "$FAULTDNS_DIR/stderr" >&2
        return 1
    fi
    FAULTDNS_PORT=$(cat "$FAULTDNS_DIR/port")
}
