#!/bin/bash
# Run the resolver benchmark against unbound (answering from its cache)
# forwarding to the fault-injecting server, all on loopback, and print
# the figures with the machine and date for doc/benchmarks.md.
# BENCH_SECONDS sets the length of each timed phase (default 5).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/faultdns.sh"
. "$top_srcdir/tests/lib/unbound.sh"

trap 'tap_run_cleanup' EXIT
faultdns_start "$top_srcdir/tests/faultdns/zones" \
    "$top_srcdir/tests/resolver/zones" || exit 1
tap_at_exit faultdns_stop
server=127.0.0.1:$FAULTDNS_PORT
target="faultdns (no cache)"
# A large receive buffer keeps unbound from dropping queries in bursts,
# which would show up as step timeouts rather than as throughput.
UNBOUND_SERVER_EXTRA='so-rcvbuf: 4m'
if [ -n "$UNBOUND" ] && [ "$(id -u)" -eq 0 ] &&
    unbound_start "$FAULTDNS_PORT" test example com; then
    tap_at_exit unbound_stop
    server=127.0.0.1:$UNBOUND_PORT
    target="unbound $("$UNBOUND" -V | sed -n 's/^Version //p') (cache)"
fi

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPU, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "kernel: $(uname -r)"
echo "c-ares: $(pkg-config --modversion libcares 2>/dev/null)"
echo "server: $target"
"$top_builddir/tests/bench/resolver_bench" "$server" "${BENCH_SECONDS:-5}"
