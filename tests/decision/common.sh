# Helpers for the decision tests.  Source from bash after tests/lib/tap.sh
# and tests/lib/faultdns.sh, once the fault server runs.
#
#   decision_config FILE [LINES]        write a configuration that points
#                                       at the fault server, with short
#                                       timeouts and canaries it serves;
#                                       each "key = value;" LINE replaces
#                                       that key's default
#   dprobe ARGS...                      mxwarden-probe --json with that
#                                       configuration; sets PROBE_OUT
#   jget FILTER [LINE]                  jq filter on line LINE of PROBE_OUT

PROBE=${PROBE:-$top_builddir/milter/mxwarden-probe}
DRIVER=${DRIVER:-$top_builddir/tests/decision/decision-driver}

decision_require() {
    [ -x "$PROBE" ] || tap_skip_all "mxwarden-probe not built"
    [ -x "$FAULTDNS" ] || tap_skip_all "faultdns not built (needs ldns)"
    command -v jq >/dev/null 2>&1 || tap_skip_all "jq not installed"
}

decision_config() {
    local file=$1 line key
    shift
    {
        echo "servers = [\"127.0.0.1:$FAULTDNS_PORT\"];"
        echo "step_timeout_ms = 250;"
        echo "canary_domains = [\"hotmail.com\", \"outlook.com\"];"
        echo "canary_nxdomain_zone = \"test\";"
        echo "canary_timeout_ms = 3000;"
    } >"$file"
    # An extra "key = value;" line replaces the default line of that key.
    for line in "$@"; do
        key=${line%% =*}
        sed -i "/^$key = /d" "$file"
        echo "$line" >>"$file"
    done
}

dprobe() {
    PROBE_OUT=$("$PROBE" --json "$@" 2>"$FAULTDNS_DIR/probe.err")
    PROBE_EXIT=$?
}

jget() {
    local filter=$1 line=${2:-1}
    sed -n "${line}p" <<<"$PROBE_OUT" | jq -r "$filter"
}

# Report the probe output when a check failed.
probe_diag() {
    tap_diag "probe exit $PROBE_EXIT output:"
    tap_diag "$PROBE_OUT"
    tap_diag "$(cat "$FAULTDNS_DIR/probe.err" 2>/dev/null)"
}

check() {
    local got=$1 expected=$2 name=$3
    tap_is "$got" "$expected" "$name"
    [ "$got" = "$expected" ] || probe_diag
}
