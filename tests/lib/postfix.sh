# A private, hermetic Postfix on loopback for tests that run as root.
# Source tests/lib/tap.sh first.
#
#   pf_start DIR [SINKPORT] [SETTING...] create DIR/etc, DIR/queue, DIR/data,
#                                        check and start; sets PF_DIR, PF_PORT;
#                                        SINKPORT defaults to $SINK_PORT
#   pf_stop [DIR]                        stop and wait for the master process
#   pf_port [DIR]                        print the smtpd port
#   pf_flush [DIR]                       retry deferred mail now
#   pf_queue_ids [DIR]                   print the queue ids still queued
#   pf_wait_queue_empty [DIR] [TIMEOUT]  wait until no message is queued
#   pf_wait_delivered N [DIR] [TIMEOUT]  wait for N "status=sent" log lines
#   pf_wait_log TEXT [DIR] [TIMEOUT]     wait for a log line containing TEXT
#   pf_log [DIR]                         print the instance's maillog
#   pf_reload DIR [SETTING...]           change main.cf and reload
#   pf_sendmail DIR SENDMAIL-ARGS...     submit stdin with the instance's
#                                        sendmail command (pickup path)
#
# Each instance lives only in DIR: its own config directory (postfix -c),
# queue_directory and data_directory, so instances run side by side and
# neither /etc/postfix/main.cf nor a running system Postfix is read or
# touched.  Mail leaves only to the relay host [127.0.0.1]:SINKPORT, or in
# dns-delivery mode to hosts inside a loopback-only network namespace.
# pf_start rejects a relayhost setting that is not a bracketed loopback
# address; other routing settings (transport_maps, default_transport) are
# the test's responsibility.
#
# SETTING arguments:
#   "name = value"      a main.cf parameter, set with postconf -e after the
#                       defaults (smtpd_milters, non_smtpd_milters,
#                       milter_*, smtpd_recipient_restrictions,
#                       smtp_delivery_status_filter, ...)
#   "master.cf: LINE"   a line appended to master.cf
#   "dns-delivery"      no relay host: the smtp client looks up MX and A
#                       records through /etc/resolv.conf and connects to
#                       port SINKPORT of the hosts found.  Allowed only in a
#                       network namespace whose only interface is loopback
#                       (tests/lib/netns.sh), so nothing can leave the
#                       machine.

PF_POSTFIX=${POSTFIX:-/usr/sbin/postfix}
PF_POSTCONF=/usr/sbin/postconf
PF_SENDMAIL=/usr/sbin/sendmail
PF_POSTQUEUE=/usr/sbin/postqueue

# Succeed when every network interface of this namespace is loopback.
pf_only_loopback() {
    local links
    links=$(ip -o link show 2>/dev/null) || return 1
    ! grep -qv ': lo:' <<<"$links"
}

pf_write_master_cf() {
    local dir=$1 port=$2
    # Every service runs unchrooted: the private queue directory has none
    # of the files a chroot needs.  postlog carries the daemons' log lines
    # to maillog_file, which is the only place errors show up here.
    cat >"$dir/etc/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup     unix  n - n 60   1 pickup
cleanup    unix  n - n -    0 cleanup
qmgr       unix  n - n 300  1 qmgr
rewrite    unix  - - n -    - trivial-rewrite
bounce     unix  - - n -    0 bounce
defer      unix  - - n -    0 bounce
trace      unix  - - n -    0 bounce
verify     unix  - - n -    1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -    - proxymap
proxywrite unix  - - n -    1 proxymap
smtp       unix  - - n -    - smtp
relay      unix  - - n -    - smtp
showq      unix  n - n -    - showq
error      unix  - - n -    - error
retry      unix  - - n -    - error
discard    unix  - - n -    - discard
local      unix  - n n -    - local
virtual    unix  - n n -    - virtual
lmtp       unix  - - n -    - lmtp
anvil      unix  - - n -    1 anvil
scache     unix  - - n -    1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF
}

pf_write_main_cf() {
    local dir=$1 sink_port=$2 dns=$3
    local relay="[127.0.0.1]:$sink_port" dns_level=disabled
    if [ "$dns" = 1 ]; then
        relay=
        dns_level=enabled
    fi
    cat >"$dir/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.mxwarden.test
mydomain = mxwarden.test
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtp_bind_address = 127.0.0.1
mydestination =
mynetworks = 127.0.0.0/8
relayhost = $relay
smtp_tcp_port = $sink_port
smtp_dns_support_level = $dns_level
smtpd_peername_lookup = no
alias_maps =
alias_database =
local_recipient_maps =
biff = no
append_dot_mydomain = no
smtputf8_enable = no
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
# Short retry intervals so a test can watch a deferred message retried.
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
EOF
}

# Create and start a private Postfix in DIR that relays everything to
# [127.0.0.1]:SINK_PORT.  DIR is created when missing, must not contain
# another instance, and its parents must be traversable by the postfix
# user.  Sets PF_DIR and PF_PORT.  Returns
# non-zero with the log on stderr when the check or the start fails.
pf_start() {
    local dir=$1 sink_port=${SINK_PORT:-}
    shift
    if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
        sink_port=$1
        shift
    fi
    if [ -z "$sink_port" ]; then
        echo "pf_start: missing sink port: pass it after DIR or run" \
            "sink_start first" >&2
        return 1
    fi
    local dns=0 setting port
    local -a main_settings=() master_lines=()

    for setting in "$@"; do
        case $setting in
            dns-delivery) dns=1 ;;
            master.cf:*) master_lines+=("${setting#master.cf:}") ;;
            *=*) main_settings+=("$setting") ;;
            *)
                echo "pf_start: invalid setting '$setting':" \
                    "expected 'name = value', 'master.cf: LINE'" \
                    "or 'dns-delivery'" >&2
                return 1
                ;;
        esac
    done
    if [ "$dns" = 1 ] && ! pf_only_loopback; then
        echo "pf_start: dns-delivery needs a network namespace with only" \
            "loopback (run the test through tests/lib/netns.sh)" >&2
        return 1
    fi
    if [ -e "$dir/etc/main.cf" ]; then
        echo "pf_start: $dir already holds an instance" >&2
        return 1
    fi

    mkdir -p "$dir/etc" "$dir/queue" "$dir/data" || return 1
    chmod 755 "$dir" "$dir/etc"
    chown postfix "$dir/data"
    : >"$dir/maillog"
    pf_write_main_cf "$dir" "$sink_port" "$dns"
    # postconf warns without a master.cf; the real one needs the port.
    : >"$dir/etc/master.cf"
    if [ "${#main_settings[@]}" -gt 0 ]; then
        "$PF_POSTCONF" -c "$dir/etc" -e "${main_settings[@]}" || return 1
    fi
    local relay
    relay=$("$PF_POSTCONF" -c "$dir/etc" -h relayhost)
    if [ -n "$relay" ] && [[ ! "$relay" =~ ^\[127\.[0-9.]+\](:[0-9]+)?$ ]]
    then
        echo "pf_start: relayhost '$relay' is not a bracketed loopback" \
            "address such as [127.0.0.1]:PORT" >&2
        return 1
    fi

    # Register the stop before starting, so a start that half-worked is
    # still cleaned up.
    tap_at_exit "pf_stop '$dir'"

    # A free port can be taken between the bind test and the start, so a
    # start whose master does not own the port is retried on a new port.
    local attempt
    for attempt in 1 2 3; do
        port=$(tap_free_port) || return 1
        echo "$port" >"$dir/port"
        pf_write_master_cf "$dir" "$port"
        for setting in "${master_lines[@]}"; do
            echo "${setting# }" >>"$dir/etc/master.cf"
        done
        if [ "$attempt" = 1 ] && ! pf_check "$dir"; then
            return 1
        fi
        if pf_start_on_port "$dir" "$port"; then
            PF_DIR=$dir
            PF_PORT=$port
            return 0
        fi
        pf_stop "$dir"
    done
    echo "pf_start: no port worked for $dir after 3 attempts; log:" >&2
    cat "$dir/maillog" >&2
    return 1
}

# Run "postfix check" on the instance in DIR; print its output and the
# log on failure.  Postfix reports some errors only to maillog_file.
pf_check() {
    local dir=$1
    if ! "$PF_POSTFIX" -c "$dir/etc" check >"$dir/check.out" 2>&1 ||
        grep -q 'fatal' "$dir/check.out" "$dir/maillog"; then
        echo "pf_start: postfix check failed for $dir:" >&2
        cat "$dir/check.out" "$dir/maillog" >&2
        return 1
    fi
}

# Start the instance in DIR and wait up to 15 s until its master process
# owns the listening socket on PORT.
pf_start_on_port() {
    local dir=$1 port=$2
    if ! "$PF_POSTFIX" -c "$dir/etc" start >"$dir/start.out" 2>&1; then
        echo "pf_start: postfix start failed for $dir:" >&2
        cat "$dir/start.out" "$dir/maillog" >&2
        return 1
    fi
    local deadline=$((SECONDS + 15)) pid
    until pf_master_listens "$dir" "$port"; do
        pid=$(pf_master_pid "$dir")
        if grep -q 'fatal' "$dir/maillog" ||
            { [ -n "$pid" ] && tap_port_shared "$port" "$pid"; } ||
            [ "$SECONDS" -ge "$deadline" ]; then
            echo "pf_start: master of $dir did not listen on port $port:" >&2
            grep 'fatal' "$dir/maillog" >&2
            return 1
        fi
        sleep 0.1
    done
}

pf_master_listens() {
    local pid
    pid=$(pf_master_pid "$1") || return 1
    tap_port_owned_by "$2" "$pid"
}

# Print the master process id of the instance in DIR, if one runs.
pf_master_pid() {
    local dir=${1:-$PF_DIR} pid
    pid=$(tr -d ' \n' <"$dir/queue/pid/master.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && ! tap_pid_gone "$pid" && echo "$pid"
}

# Stop the instance in DIR (default: the last one started) and wait up to
# 15 s for its master process to exit, then KILL it.  Then wait up to 5 s
# for its smtpd port to close, so the port can be reused.
pf_stop() {
    local dir=${1:-$PF_DIR} pid port
    [ -f "$dir/etc/main.cf" ] || return 0
    pid=$(pf_master_pid "$dir") || return 0
    "$PF_POSTFIX" -c "$dir/etc" stop >/dev/null 2>&1
    if ! tap_wait_until 15 tap_pid_gone "$pid"; then
        echo "pf_stop: master $pid of $dir still runs after 15 s;" \
            "killing its process group" >&2
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid"
    fi
    port=$(pf_port "$dir")
    tap_wait_until 5 pf_port_closed "$port"
    return 0
}

pf_port_closed() {
    ! tap_port_open "$1"
}

# Change main.cf parameters of the running instance in DIR ("name =
# value" arguments) and reload it, waiting up to 10 s for the master to log
# the reload.  On Postfix 3.7.11 the first connection after it saw the new
# settings in every try (the master ends idle children on reload).
pf_reload() {
    local dir=$1 before
    shift
    if [ "$#" -gt 0 ]; then
        "$PF_POSTCONF" -c "$dir/etc" -e "$@" || return 1
    fi
    before=$(pf_count_log "reload -- version" "$dir")
    "$PF_POSTFIX" -c "$dir/etc" reload >/dev/null 2>&1 || return 1
    tap_wait_until 10 pf_log_count_at_least "reload -- version" "$dir" \
        $((before + 1))
}

pf_port() {
    cat "${1:-$PF_DIR}/port"
}

pf_flush() {
    "$PF_POSTQUEUE" -c "${1:-$PF_DIR}/etc" -f
}

# Print the queue ids of every message in the instance's queue, one per
# line, in no particular order.
pf_queue_ids() {
    local dir=${1:-$PF_DIR}
    "$PF_POSTQUEUE" -c "$dir/etc" -j 2>/dev/null |
        sed -n 's/^{"queue_name": "[a-z]*", "queue_id": "\([0-9A-Za-z]*\)".*/\1/p'
}

pf_queue_empty() {
    [ -z "$(pf_queue_ids "$@")" ]
}

# Wait until the instance's queue is empty; give up after TIMEOUT_S
# seconds (default 20).  Postfix logs "status=sent" before the queue
# manager removes the queue file, so a message can still be listed just
# after pf_wait_delivered returns.
pf_wait_queue_empty() {
    local dir=${1:-$PF_DIR} timeout_s=${2:-20}
    tap_wait_until "$timeout_s" pf_queue_empty "$dir"
}

pf_log() {
    cat "${1:-$PF_DIR}/maillog"
}

pf_count_log() {
    grep -c -F -- "$1" "$2/maillog"
}

pf_log_count_at_least() {
    [ "$(pf_count_log "$1" "$2")" -ge "$3" ]
}

# Wait until the instance has logged N deliveries ("status=sent"); give up
# after TIMEOUT_S seconds (default 20).
pf_wait_delivered() {
    local n=$1 dir=${2:-$PF_DIR} timeout_s=${3:-20}
    tap_wait_until "$timeout_s" pf_log_count_at_least "status=sent" "$dir" "$n"
}

# Wait until the instance's log has a line containing TEXT; give up after
# TIMEOUT_S seconds (default 20).
pf_wait_log() {
    local text=$1 dir=${2:-$PF_DIR} timeout_s=${3:-20}
    tap_wait_until "$timeout_s" pf_log_count_at_least "$text" "$dir" 1
}

# Submit the message on stdin through the instance's sendmail command, the
# path that non_smtpd_milters see.  Example:
#   pf_sendmail "$dir" -f a@example.test b@example.test <message
pf_sendmail() {
    local dir=$1
    shift
    "$PF_SENDMAIL" -C "$dir/etc" "$@"
}
