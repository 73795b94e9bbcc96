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

NETNS_LIB=${BASH_SOURCE[0]}

netns_require() {
    tap_require_root
    tap_require_programs unshare ip mount
    unshare -n -m -- true 2>/dev/null ||
        tap_skip_all "cannot create network and mount namespaces here"
    [ -e /etc/resolv.conf ] ||
        tap_skip_all "no /etc/resolv.conf to bind-mount over"
}

netns_inside() {
    [ "${MXW_NETNS_INSIDE:-0}" = 1 ]
}

# Prepare the namespace this shell runs in: make every mount private so
# the bind mount below stays in this mount namespace, bring loopback up,
# and mount a resolv.conf naming NAMESERVER (default 127.0.0.1) over
# /etc/resolv.conf.  Fails, changing nothing, unless the shell runs in a
# namespace made by netns_run or netns_run_self.
netns_setup() {
    local nameserver=${1:-127.0.0.1} resolv_file
    if ! netns_inside; then
        echo "netns_setup: not inside a namespace made by netns.sh;" \
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
# MXW_NETNS_INSIDE=1 so the script knows to call netns_setup.  Returns the
# script's exit status.  Every process the script leaves behind dies with
# the namespace only if the script stops it, so the script needs its own
# cleanup traps.
netns_run_self() {
    MXW_NETNS_INSIDE=1 unshare -n -m -- bash "$@"
}

# Run CMD... in a new namespace after netns_setup with 127.0.0.1 as the
# name server.
netns_run() {
    MXW_NETNS_INSIDE=1 unshare -n -m -- bash -c \
        '. "$1" && shift && netns_setup && exec "$@"' \
        netns "$NETNS_LIB" "$@"
}
