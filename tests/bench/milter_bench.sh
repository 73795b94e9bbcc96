#!/bin/bash
# The milter benchmark: mxwarden on cache hits against nullmilter, the
# do-nothing libmilter filter, in the same run and over the same socket
# type.
#
#   1. RCPT decision latency over the milter protocol (tests/bench/
#      miltbench): p50, p90 and p99 for 1 and 10 connections.
#   2. Postfix end to end: smtp-source sends the same messages through two
#      private Postfix instances, one with each filter in smtpd_milters,
#      alternating ROUNDS times.  Messages per second is messages divided
#      by smtp-source's wall time.  Every message is queued for
#      user@plain.test, a cache hit after the first.
#
# Needs root (Postfix, smtp-sink).  Everything runs on loopback: the
# recipient domain is served by tests/faultdns, and Postfix relays only to
# a loopback smtp-sink.  Prints Markdown tables for doc/benchmarks.md.
#
# Environment: SOCKET_TYPES (default "unix inet"), MESSAGES (per run,
# default 2000), SESSIONS (smtp-source -s, default 10), ROUNDS (default 3),
# RCPTS (miltbench messages per connection, default 20000).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
lib=$top_srcdir/tests/lib
. "$lib/tap.sh"
. "$lib/postfix.sh"
. "$lib/mail.sh"
. "$lib/faultdns.sh"

SOCKET_TYPES=${SOCKET_TYPES:-unix inet}
MESSAGES=${MESSAGES:-2000}
SESSIONS=${SESSIONS:-10}
ROUNDS=${ROUNDS:-3}
RCPTS=${RCPTS:-20000}
MXWARDEN=$top_builddir/milter/mxwarden
NULLMILTER=$top_builddir/tests/bench/nullmilter
MILTBENCH=$top_builddir/tests/bench/miltbench

die() {
    echo "milter_bench: $*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "needs root (Postfix and smtp-sink)"
for program in "$MXWARDEN" "$NULLMILTER" "$MILTBENCH" "$FAULTDNS"; do
    [ -x "$program" ] || die "$program not built (run make bench)"
done

tap_make_tmpdir || die "cannot create a directory"
dir=$TAP_TMPDIR
faultdns_start || die "faultdns did not start"
tap_at_exit faultdns_stop
sink_start "$dir/sink" || die "smtp-sink did not start"

# Print the libmilter socket text and the Postfix text of socket TYPE for
# filter NAME: "unix:PATH unix:PATH" or "inet:PORT@127.0.0.1
# inet:127.0.0.1:PORT".
socket_pair() {
    local type=$1 name=$2 port
    if [ "$type" = unix ]; then
        echo "unix:$dir/$name.sock unix:$dir/$name.sock"
    else
        port=$(tap_free_port) || return 1
        echo "inet:$port@127.0.0.1 inet:127.0.0.1:$port"
    fi
}

inet_ready() {
    local spec=$1 port
    port=${spec#inet:}
    port=${port%@*}
    tap_port_open "$port"
}

wait_socket() {
    case $1 in
        unix:*) tap_wait_until 20 test -S "${1#unix:}" ;;
        inet:*) tap_wait_until 20 inet_ready "$1" ;;
    esac
}

start_mxwarden() {
    local spec=$1
    cat >"$dir/mxwarden.conf" <<EOF
socket = "$spec";
socket_mode = "0666";
user = "";
pidfile = "";
log_level = "info";
servers = ["127.0.0.1:$FAULTDNS_PORT"];
canary_domains = ["plain.test"];
canary_nxdomain_zone = "test";
EOF
    "$MXWARDEN" -f -c "$dir/mxwarden.conf" 2>"$dir/mxwarden.log" &
    MXW_PID=$!
    tap_at_exit "tap_stop_pid $MXW_PID 15"
    wait_socket "$spec" || die "mxwarden did not listen on $spec"
}

start_nullmilter() {
    "$NULLMILTER" -p "$1" -m 0666 2>"$dir/nullmilter.log" &
    NULL_PID=$!
    tap_at_exit "tap_stop_pid $NULL_PID 15"
    wait_socket "$1" || die "nullmilter did not listen on $1"
}

# Run smtp-source against Postfix PORT and print messages per second.
postfix_rate() {
    local port=$1 start end
    start=$(date +%s%N)
    timeout 600 /usr/sbin/smtp-source -s "$SESSIONS" -m "$MESSAGES" -c \
        -f sender@client.test -t user@plain.test "127.0.0.1:$port" \
        >/dev/null 2>&1 || return 1
    end=$(date +%s%N)
    echo "$MESSAGES $start $end" | awk '{ printf "%.0f", $1 / (($3 - $2) / 1e9) }'
}

median() {
    tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

echo "Machine: $(nproc) CPUs, $(uname -r), Postfix $(/usr/sbin/postconf -d -h mail_version 2>/dev/null)"
echo "Run: MESSAGES=$MESSAGES SESSIONS=$SESSIONS ROUNDS=$ROUNDS RCPTS=$RCPTS"
echo

for type in $SOCKET_TYPES; do
    read -r mxw_spec mxw_pf <<<"$(socket_pair "$type" mxwarden)"
    read -r null_spec null_pf <<<"$(socket_pair "$type" nullmilter)"
    start_mxwarden "$mxw_spec"
    start_nullmilter "$null_spec"

    echo "### RCPT decision latency, $type socket"
    echo
    echo "| filter | connections | RCPTs | p50 µs | p90 µs | p99 µs | messages/s |"
    echo "|---|---|---|---|---|---|---|"
    for connections in 1 10; do
        for filter in nullmilter mxwarden; do
            spec=$null_spec
            [ "$filter" = mxwarden ] && spec=$mxw_spec
            line=$("$MILTBENCH" -s "$spec" -r user@plain.test \
                -c "$connections" -n $((RCPTS / connections)) -w 20) ||
                die "miltbench against $filter failed"
            # miltbench prints key=number fields; they become mb_KEY.
            eval "$(tr ' ' '\n' <<<"$line" |
                grep -E '^[a-z0-9_]+=[0-9.]+$' | sed 's/^/mb_/')"
            [ "$filter" = nullmilter ] || [ "$mb_continue" = "$mb_rcpt" ] ||
                die "mxwarden did not accept every RCPT: $line"
            echo "| $filter | $connections | $mb_rcpt | $mb_p50_us | $mb_p90_us | $mb_p99_us | $mb_rcpt_per_s |"
        done
    done
    echo

    pf_start "$dir/pf-null-$type" "$SINK_PORT" \
        "smtpd_milters = $null_pf" "milter_default_action = tempfail" ||
        die "Postfix with nullmilter did not start"
    null_port=$PF_PORT
    pf_start "$dir/pf-mxw-$type" "$SINK_PORT" \
        "smtpd_milters = $mxw_pf" "milter_default_action = tempfail" ||
        die "Postfix with mxwarden did not start"
    mxw_port=$PF_PORT

    # One uncounted round each: the first messages through a fresh
    # Postfix pay for process start-up.
    MESSAGES=200 postfix_rate "$null_port" >/dev/null ||
        die "smtp-source failed (nullmilter warm-up)"
    MESSAGES=200 postfix_rate "$mxw_port" >/dev/null ||
        die "smtp-source failed (mxwarden warm-up)"

    null_rates=
    mxw_rates=
    for round in $(seq 1 "$ROUNDS"); do
        rate=$(postfix_rate "$null_port") || die "smtp-source failed (nullmilter)"
        null_rates+=" $rate"
        rate=$(postfix_rate "$mxw_port") || die "smtp-source failed (mxwarden)"
        mxw_rates+=" $rate"
    done
    null_median=$(median <<<"$null_rates")
    mxw_median=$(median <<<"$mxw_rates")
    echo "### Postfix end to end, $type socket"
    echo
    echo "| filter | msg/s per round | median msg/s |"
    echo "|---|---|---|"
    echo "| nullmilter |$null_rates | $null_median |"
    echo "| mxwarden |$mxw_rates | $mxw_median |"
    echo
    awk -v m="$mxw_median" -v n="$null_median" \
        'BEGIN { printf "mxwarden / nullmilter: %.2f\n\n", m / n }'
    if ! grep -q 'verdict=mx .*cache=hit' "$dir/mxwarden.log"; then
        die "mxwarden logged no cache hit; the run did not measure cache hits"
    fi

    pf_stop "$dir/pf-null-$type"
    pf_stop "$dir/pf-mxw-$type"
    tap_stop_pid "$MXW_PID" 15
    tap_stop_pid "$NULL_PID" 15
done
