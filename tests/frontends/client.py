#!/usr/bin/env python3
"""A small client for mxwarden's policy service and socketmap in tests.

Subcommands (ADDR is PORT for 127.0.0.1, inet6:PORT for ::1, or
unix:PATH):

  policy ADDR [--state STATE] RCPT...
      Send one policy request per recipient on one connection and print
      each reply's action line ("action=DUNNO"), one a line.
  socketmap ADDR MAP KEY...
      Send one "MAP KEY" netstring per key on one connection and print
      each reply payload ("NOTFOUND ", "OK 4.4.3 ..."), one a line.
  raw ADDR DATA
      Send DATA, after decoding Python escapes such as \\n and \\x00.
      Then print the reply bytes the server sent before it closed.
      Print "closed" when it closed without replying, and "open" when
      it sent nothing and kept the connection open for 3 s.
  policy-load ADDR CONNECTIONS REQUESTS DOMAIN=EXPECTED...
  socketmap-load ADDR CONNECTIONS REQUESTS MAP KEY=>EXPECTED...
      Open CONNECTIONS connections at once, send REQUESTS requests on
      each (cycling through the cases) and compare each reply with
      EXPECTED, a prefix. Print "replies=N mismatches=M errors=E
      max_ms=T" and exit 1 unless every reply matched.

Every read has a timeout (--timeout seconds, default 30), so a server
that hangs makes the client fail, never wait forever.
"""

import argparse
import socket
import sys
import threading
import time


def connect(addr, timeout):
    if addr.startswith("unix:"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(addr[5:])
    elif addr.startswith("inet6:"):
        sock = socket.create_connection(("::1", int(addr[6:])), timeout)
    else:
        sock = socket.create_connection(("127.0.0.1", int(addr)), timeout)
    return sock


def policy_request(recipient, state="RCPT"):
    """Return the attribute block Postfix 3.7 sends at RCPT TO."""
    lines = [
        "request=smtpd_access_policy",
        "protocol_state=%s" % state,
        "protocol_name=ESMTP",
        "client_address=127.0.0.1",
        "client_name=localhost",
        "reverse_client_name=localhost",
        "helo_name=client.mxwarden.test",
        "sender=sender@client.test",
        "recipient=%s" % recipient,
        "recipient_count=0",
        "queue_id=",
        "instance=1a2b.5f3c2d1e.8a9b.0",
        "size=0",
        "etrn_domain=",
        "stress=",
        "sasl_method=",
        "ccert_subject=",
        "encryption_protocol=",
        "policy_context=",
        "server_address=127.0.0.1",
        "server_port=25",
        "compatibility_level=3.6",
        "mail_version=3.7.11",
    ]
    return ("\n".join(lines) + "\n\n").encode()


class Reader:
    """Buffered reads of lines and netstrings from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("server closed the connection")
        self.buf += data

    def line(self):
        while b"\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode(errors="replace")

    def policy_reply(self):
        """Return the action line of one reply, which ends in a blank line."""
        action = None
        while True:
            line = self.line()
            if line == "":
                return action
            if line.startswith("action="):
                action = line

    def netstring(self):
        while b":" not in self.buf:
            if len(self.buf) > 10:
                raise ValueError("invalid netstring length %r" % self.buf)
            self.fill()
        head, rest = self.buf.split(b":", 1)
        length = int(head)
        while len(rest) < length + 1:
            self.fill()
            rest = self.buf.split(b":", 1)[1]
        if rest[length:length + 1] != b",":
            raise ValueError("netstring without its comma")
        self.buf = rest[length + 1:]
        return rest[:length].decode(errors="replace")


def netstring(text):
    data = text.encode() if isinstance(text, str) else text
    return str(len(data)).encode() + b":" + data + b","


def run_policy(args):
    sock = connect(args.addr, args.timeout)
    reader = Reader(sock)
    for rcpt in args.rcpt:
        sock.sendall(policy_request(rcpt, args.state))
        print(reader.policy_reply(), flush=True)
    sock.close()
    return 0


def run_socketmap(args):
    sock = connect(args.addr, args.timeout)
    reader = Reader(sock)
    for key in args.key:
        sock.sendall(netstring(args.map + " " + key))
        print(reader.netstring(), flush=True)
    sock.close()
    return 0


def run_raw(args):
    data = args.data.encode().decode("unicode_escape").encode("latin-1")
    sock = connect(args.addr, args.timeout)
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        # The server closed while the rest of an oversized request was
        # still being sent.
        print("closed")
        return 0
    sock.settimeout(3)
    received = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    except socket.timeout:
        print("open" if not received else received.decode(errors="replace"))
        return 0
    except ConnectionResetError:
        pass
    print(received.decode(errors="replace") if received else "closed")
    return 0


def load_worker(args, cases, make_request, read_reply, stats, lock):
    replies = mismatches = errors = 0
    max_ms = 0.0
    try:
        sock = connect(args.addr, args.timeout)
        reader = Reader(sock)
        for i in range(args.requests):
            request, expected = cases[i % len(cases)]
            start = time.monotonic()
            sock.sendall(make_request(request))
            reply = read_reply(reader)
            max_ms = max(max_ms, (time.monotonic() - start) * 1000)
            replies += 1
            if reply is None or not reply.startswith(expected):
                mismatches += 1
                with lock:
                    if stats["shown"] < 5:
                        stats["shown"] += 1
                        print("# %s: expected %r, got %r"
                              % (request, expected, reply), file=sys.stderr)
        sock.close()
    except (OSError, EOFError, ValueError) as exc:
        errors += 1
        with lock:
            if stats["shown"] < 5:
                stats["shown"] += 1
                print("# connection error: %s" % exc, file=sys.stderr)
    with lock:
        stats["replies"] += replies
        stats["mismatches"] += mismatches
        stats["errors"] += errors
        stats["max_ms"] = max(stats["max_ms"], max_ms)


def run_load(args, cases, make_request, read_reply):
    stats = {"replies": 0, "mismatches": 0, "errors": 0, "max_ms": 0.0,
             "shown": 0}
    lock = threading.Lock()
    threads = [threading.Thread(target=load_worker,
                                args=(args, cases, make_request, read_reply,
                                      stats, lock))
               for _ in range(args.connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("replies=%d mismatches=%d errors=%d max_ms=%d"
          % (stats["replies"], stats["mismatches"], stats["errors"],
             stats["max_ms"]))
    expected = args.connections * args.requests
    ok = (stats["replies"] == expected and stats["mismatches"] == 0
          and stats["errors"] == 0)
    return 0 if ok else 1


def split_cases(texts):
    cases = []
    for text in texts:
        key, sep, expected = text.partition("=")
        if not sep:
            raise SystemExit("invalid case %r: expected REQUEST=EXPECTED"
                             % text)
        cases.append((key, expected))
    return cases


def split_key_cases(texts):
    # A socketmap key contains "=" itself ("name=x type=A"), so the
    # expected reply follows the last "=>".
    cases = []
    for text in texts:
        key, sep, expected = text.rpartition("=>")
        if not sep:
            raise SystemExit("invalid case %r: expected KEY=>EXPECTED" % text)
        cases.append((key, expected))
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=30)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("policy")
    p.add_argument("addr")
    p.add_argument("--state", default="RCPT")
    p.add_argument("rcpt", nargs="+")

    p = sub.add_parser("socketmap")
    p.add_argument("addr")
    p.add_argument("map")
    p.add_argument("key", nargs="+")

    p = sub.add_parser("raw")
    p.add_argument("addr")
    p.add_argument("data")

    p = sub.add_parser("policy-load")
    p.add_argument("addr")
    p.add_argument("connections", type=int)
    p.add_argument("requests", type=int)
    p.add_argument("cases", nargs="+")

    p = sub.add_parser("socketmap-load")
    p.add_argument("addr")
    p.add_argument("connections", type=int)
    p.add_argument("requests", type=int)
    p.add_argument("map")
    p.add_argument("cases", nargs="+", help="KEY=>EXPECTED")

    args = parser.parse_args()
    try:
        if args.command == "policy":
            return run_policy(args)
        if args.command == "socketmap":
            return run_socketmap(args)
        if args.command == "raw":
            return run_raw(args)
        if args.command == "policy-load":
            cases = [("user@" + domain, expected)
                     for domain, expected in split_cases(args.cases)]
            return run_load(args, cases, policy_request,
                            Reader.policy_reply)
        cases = split_key_cases(args.cases)
        return run_load(args, cases,
                        lambda key: netstring(args.map + " " + key),
                        Reader.netstring)
    except (OSError, EOFError, ValueError) as exc:
        print("client: %s" % exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
