# Shared setup for the faultdns tests: TAP output, the server helper and
# dig wrappers that only ever query the test server on loopback.

. "$top_srcdir/tests/lib/faultdns.sh"

FD_TEST_COUNT=0
FD_TEST_FAILED=0

fd_plan() {
    echo "1..$1"
}

fd_skip_all() {
    echo "1..0 # SKIP $*"
    exit 0
}

# fd_is GOT EXPECTED NAME: report test NAME, printing both values on failure.
fd_is() {
    FD_TEST_COUNT=$((FD_TEST_COUNT + 1))
    if [ "$1" = "$2" ]; then
        echo "ok $FD_TEST_COUNT - $3"
    else
        echo "not ok $FD_TEST_COUNT - $3"
        echo "#   expected: $2"
        echo "#        got: $1"
        FD_TEST_FAILED=$((FD_TEST_FAILED + 1))
    fi
}

# fd_like TEXT NEEDLE NAME: passes when TEXT contains the fixed NEEDLE.
fd_like() {
    FD_TEST_COUNT=$((FD_TEST_COUNT + 1))
    case $1 in
    *"$2"*) echo "ok $FD_TEST_COUNT - $3" ;;
    *)
        echo "not ok $FD_TEST_COUNT - $3"
        echo "#   expected to contain: $2"
        printf '%s\n' "$1" | sed 's/^/#   got: /'
        FD_TEST_FAILED=$((FD_TEST_FAILED + 1))
        ;;
    esac
}

# fd_ok STATUS NAME: passes when STATUS is 0.
fd_ok() {
    fd_is "$1" 0 "$2"
}

command -v dig >/dev/null 2>&1 || fd_skip_all "dig (dnsutils) not installed"
[ -x "$FAULTDNS" ] || fd_skip_all "$FAULTDNS not built"

trap 'faultdns_stop >/dev/null 2>&1' EXIT

# fd_dig ARGS...: dig against the test server with one try of 1 s and no
# recursion; the server address may be overridden with FD_SERVER.
fd_dig() {
    dig "@${FD_SERVER:-127.0.0.1}" -p "$FAULTDNS_PORT" +norecurse +time=1 \
        +tries=1 +retry=0 "$@"
}

# fd_wait_count N FIELD...: wait up to FAULTDNS_WAIT_S seconds until the
# query log has at least N lines with every FIELD, then print their count.
# The server logs a query only once it has read it, which under valgrind
# or on a loaded machine can be long after the client sent it.
fd_wait_count() {
    local want=$1 count deadline
    shift
    deadline=$((SECONDS + FAULTDNS_WAIT_S))
    count=$(faultdns_count "$@")
    while [ "$count" -lt "$want" ] && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.05
        count=$(faultdns_count "$@")
    done
    echo "$count"
}

# fd_tcp_read: connect, send nothing, and print how the read ended: "reset"
# (RST), "eof" (FIN) or "data: N".  Unlike dig's report, this does not
# depend on whether a query was written before the RST arrived.
fd_tcp_read() {
    local out
    out=$(timeout 5 bash -c 'exec 3<>"/dev/tcp/$1/$2" && cat <&3 | head -c 1 | wc -c' \
        _ "${FD_SERVER:-127.0.0.1}" "$FAULTDNS_PORT" 2>&1)
    case $out in
    *"reset by peer"*) echo reset ;;
    0) echo eof ;;
    *) echo "data: $out" ;;
    esac
}

# fd_status ARGS...: print the rcode name of the reply, or "timeout".
fd_status() {
    local out
    out=$(fd_dig +noall +comments "$@" 2>&1)
    case $out in
    *"status: "*)
        out=${out#*status: }
        echo "${out%%,*}"
        ;;
    *) echo timeout ;;
    esac
}

# fd_answer ARGS...: print the answer section, one record a line, as
# "name type rdata" without the TTL and class.
fd_answer() {
    fd_dig +noall +answer "$@" | awk '{ $2 = ""; $3 = ""; print }' |
        tr -s ' '
}

# fd_wire ARGS...: print a summary of the reply as dig decoded it:
# "status=NOERROR flags=qr,aa qd=1 an=1 ns=0 ar=1 bytes=60 opt=yes", or
# "timeout" when no reply came.
fd_wire() {
    fd_dig +noall +comments +stats "$@" 2>&1 | awk '
        /->>HEADER<<-/ {
            for (i = 1; i <= NF; i++)
                if ($i == "status:") { status = $(i + 1); sub(",", "", status) }
        }
        /^;; flags:/ {
            line = $0
            sub(/^;; flags: */, "", line)
            split(line, parts, ";")
            flags = parts[1]
            gsub(/ +/, ",", flags)
            sub(/,$/, "", flags)
            rest = parts[2]
            gsub(/,/, "", rest)
            n = split(rest, w, " ")
            for (i = 1; i < n; i += 2) counts[w[i]] = w[i + 1]
        }
        /OPT PSEUDOSECTION/ { opt = "yes" }
        /MSG SIZE/ { bytes = $NF }
        END {
            if (status == "") { print "timeout"; exit }
            printf "status=%s flags=%s qd=%s an=%s ns=%s ar=%s bytes=%s opt=%s\n",
                status, flags, counts["QUERY:"], counts["ANSWER:"],
                counts["AUTHORITY:"], counts["ADDITIONAL:"], bytes,
                opt == "" ? "no" : opt
        }'
}

# fd_field SUMMARY KEY: print the value of KEY in an fd_wire summary.
fd_field() {
    printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

fd_finish() {
    local dir=$FAULTDNS_DIR status
    FAULTDNS_KEEP=1 faultdns_stop
    status=$?
    fd_is "$status" 0 "server exits with status 0 on SIGTERM"
    [ "$status" -eq 0 ] || sed 's/^/# server: /' "$dir/stderr"
    rm -rf "$dir"
    trap - EXIT
    [ "$FD_TEST_FAILED" -eq 0 ]
}
