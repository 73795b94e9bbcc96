# Helpers for the resolver's integration tests.  Source from bash after
# tests/lib/tap.sh and tests/lib/faultdns.sh.
#
#   probe ARGS...         run mxwarden-probe --json against the fault
#                         server; sets PROBE_OUT (JSON lines) and
#                         PROBE_EXIT
#   jget FILTER [LINE]    apply a jq filter to line LINE (default 1) of
#                         PROBE_OUT and print the raw result
#   step_count            number of steps of the first target

PROBE=${PROBE:-$top_builddir/milter/mxwarden-probe}
# Step timeout for the tests, short so timeouts are cheap.
RESOLVER_STEP_MS=${RESOLVER_STEP_MS:-250}

resolver_require() {
    [ -x "$PROBE" ] || tap_skip_all "mxwarden-probe not built"
    [ -x "$FAULTDNS" ] || tap_skip_all "faultdns not built (needs ldns)"
    command -v jq >/dev/null 2>&1 || tap_skip_all "jq not installed"
}

# Start the fault server with the demo zones and this folder's zones.
resolver_faultdns_start() {
    faultdns_start "$top_srcdir/tests/faultdns/zones" \
        "$top_srcdir/tests/resolver/zones" || return 1
    tap_at_exit faultdns_stop
}

probe() {
    # --no-canary keeps canary queries out of the query-log counts.
    PROBE_OUT=$("$PROBE" --json --no-canary -t "$RESOLVER_STEP_MS" \
        -s "127.0.0.1:$FAULTDNS_PORT" "$@" 2>"${FAULTDNS_DIR}/probe.err")
    PROBE_EXIT=$?
}

jget() {
    local filter=$1 line=${2:-1}
    sed -n "${line}p" <<<"$PROBE_OUT" | jq -r "$filter"
}

step_count() {
    jget '.steps | length'
}

# Report the whole probe output when a check fails, for the log.
probe_diag() {
    tap_diag "probe exit $PROBE_EXIT output:"
    tap_diag "$PROBE_OUT"
}
