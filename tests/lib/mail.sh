# A loopback smtp-sink that keeps every delivered message, and an SMTP
# client (swaks) whose replies a test can assert.  Source tests/lib/tap.sh
# first.
#
#   sink_start DIR [ADDRESS]   start smtp-sink on a free port of ADDRESS
#                              (default 127.0.0.1) with one file per message
#                              in DIR; sets SINK_PORT, SINK_DIR, SINK_PID
#   sink_stop [DIR]            stop it
#   sink_count [DIR]           print the number of messages received
#   sink_wait N [DIR] [TIMEOUT] wait until N messages are there
#   sink_files [DIR]           print the message files, oldest first
#   sink_header FILE NAME      print the value of every NAME header
#   sink_find_header NAME TEXT [DIR]
#                              print the first message file with a NAME
#                              header containing TEXT
#   smtp_send PORT SWAKS-ARGS...
#                              send a message through 127.0.0.1:PORT; keeps
#                              the dialogue in SMTP_TRANSCRIPT
#   smtp_replies COMMAND [FILE]
#                              print the reply to each COMMAND (MAIL, RCPT,
#                              DATA, the final dot as "."), one line each
#
# smtp-sink adds the envelope to each file as X-Mail-Args and X-Rcpt-Args
# headers above the message, followed by its own Received: header.

SINK_BIN=/usr/sbin/smtp-sink
SWAKS_BIN=${SWAKS:-swaks}

# Start smtp-sink on a free port of ADDRESS (default 127.0.0.1; it must be
# a loopback address), keeping one file per message under DIR (created,
# owned by postfix because smtp-sink drops to that user after binding).
# Sets SINK_PORT, SINK_DIR and SINK_PID and registers the stop at exit.
sink_start() {
    local dir=$1 address=${2:-127.0.0.1} port
    case $address in
        127.*) ;;
        *)
            echo "sink_start: address $address is not a loopback address" >&2
            return 1
            ;;
    esac
    mkdir -p "$dir" || return 1
    chown postfix "$dir" && chmod 755 "$dir" || return 1
    port=$(tap_free_port) || return 1

    # -d keeps one file per message (the name gets a random hex suffix);
    # 100 is the listen backlog.
    "$SINK_BIN" -u postfix -d "$dir/msg." "$address:$port" 100 \
        >"$dir.log" 2>&1 &
    SINK_PID=$!
    tap_at_exit "tap_stop_pid $SINK_PID"
    echo "$SINK_PID" >"$dir.pid"
    if ! tap_wait_until 10 tap_port_owned_by "$port" "$SINK_PID"; then
        echo "sink_start: smtp-sink did not listen on port $port within" \
            "10 s:" >&2
        cat "$dir.log" >&2
        return 1
    fi
    SINK_PORT=$port
    SINK_DIR=$dir
}

sink_stop() {
    local dir=${1:-$SINK_DIR}
    tap_stop_pid "$(cat "$dir.pid" 2>/dev/null)"
}

sink_files() {
    local dir=${1:-$SINK_DIR}
    ls -1tr "$dir" 2>/dev/null | sed -n "s|^msg\..*|$dir/&|p"
}

sink_count() {
    sink_files "$@" | wc -l
}

sink_count_at_least() {
    [ "$(sink_count "$2")" -ge "$1" ]
}

# Wait until the sink in DIR has N messages; give up after TIMEOUT_S
# seconds (default 20).  smtp-sink writes a file while the DATA phase runs,
# so pair this with pf_wait_delivered when the message body matters.
sink_wait() {
    local n=$1 dir=${2:-$SINK_DIR} timeout_s=${3:-20}
    tap_wait_until "$timeout_s" sink_count_at_least "$n" "$dir"
}

# Print the value of every header NAME (case-insensitive) in the header
# section of FILE, one per line, with folded lines joined by one space.
sink_header() {
    local file=$1 name=$2
    awk -v want="$(tr '[:upper:]' '[:lower:]' <<<"$name")" '
        /^\r?$/ { exit }
        /^[ \t]/ { if (cur != "") cur = cur " " substr($0, 2); next }
        {
            if (cur != "") print cur
            cur = ""
            colon = index($0, ":")
            if (colon > 0 && tolower(substr($0, 1, colon - 1)) == want) {
                cur = substr($0, colon + 1)
                sub(/^[ \t]+/, "", cur)
                sub(/\r$/, "", cur)
                if (cur == "") cur = " "
            }
        }
        END { if (cur != "") print cur }
    ' "$file"
}

# Print the first message file in DIR with a NAME header containing TEXT.
sink_find_header() {
    local name=$1 text=$2 dir=${3:-$SINK_DIR} file
    while IFS= read -r file; do
        if sink_header "$file" "$name" | grep -qF -- "$text"; then
            echo "$file"
            return 0
        fi
    done < <(sink_files "$dir")
    return 1
}

# Send one message with swaks to 127.0.0.1:PORT; the remaining arguments go
# to swaks (--from, --to a@x,b@y, --header, --body, --quit-after ...).  The
# server is always given, so swaks never looks up an MX itself.  The whole
# dialogue is kept in SMTP_TRANSCRIPT (a file in TAP_TMPDIR, or mktemp).
# Returns swaks's exit status: non-zero when a reply was 4xx or 5xx.
smtp_send() {
    local port=$1
    shift
    if [[ ! "$port" =~ ^[0-9]+$ ]]; then
        echo "smtp_send: invalid port '$port': expected a number" >&2
        return 2
    fi
    SMTP_TRANSCRIPT=${TAP_TMPDIR:-/tmp}/smtp.$$.$RANDOM.txt
    timeout 60 "$SWAKS_BIN" --server 127.0.0.1 --port "$port" \
        --helo client.mxwarden.test --timeout 30 "$@" \
        >"$SMTP_TRANSCRIPT" 2>&1
}

# Print, for each COMMAND sent in the transcript FILE (default: the last
# smtp_send), the server's reply as "CODE TEXT", one line per command, in
# order.  COMMAND is the verb (MAIL, RCPT, DATA, QUIT) or "." for the reply
# to the end of the message.  A multi-line reply prints its last line.
smtp_replies() {
    local command=$1 file=${2:-$SMTP_TRANSCRIPT}
    awk -v want="$(tr '[:lower:]' '[:upper:]' <<<"$command")" '
        # Client lines: a command, or message content between DATA and ".".
        /^ -> / {
            line = substr($0, 5)
            if (in_data) {
                if (line != ".") next
                in_data = 0
                key = "."
            } else {
                key = toupper(line)
                sub(/[ :].*/, "", key)
                if (key == "DATA") in_data = 1
            }
            waiting = (key == want)
            next
        }
        # Server lines; "<** " marks a 4xx or 5xx reply.
        /^(<-|<\*\*) / {
            reply = $0
            sub(/^(<-|<\*\*) +/, "", reply)
            if (reply ~ /^[0-9][0-9][0-9]-/) next
            if (in_data && reply !~ /^354/) in_data = 0
            if (waiting) print reply
            waiting = 0
        }
    ' "$file"
}
