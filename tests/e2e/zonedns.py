#!/usr/bin/python3
"""Answer DNS queries over UDP from a zone file reread on every query.

Usage: zonedns.py ADDRESS PORT ZONEFILE

Each ZONEFILE line is "NAME TYPE VALUE" with TYPE A or MX (VALUE
"PREFERENCE EXCHANGE"), or "NAME SERVFAIL".  A name with records of
other types gets NODATA, a name not listed gets NXDOMAIN, a SERVFAIL name
gets SERVFAIL.  Rereading the file lets a test change DNS while a message
is queued.  Every reply sent is logged to stdout.  The harness uses it
inside a network namespace on 127.0.0.1 port 53; it stops on SIGTERM.
"""

import signal
import socket
import struct
import sys

TYPE_A, TYPE_MX = 1, 15
RCODE_NOERROR, RCODE_SERVFAIL, RCODE_NXDOMAIN = 0, 2, 3


def load_zone(path):
    records = {}
    with open(path, encoding="ascii") as zone:
        for line in zone:
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            name = fields[0].lower().rstrip(".")
            records.setdefault(name, []).append(fields[1:])
    return records


def encode_name(name):
    wire = b""
    for label in name.rstrip(".").split("."):
        if label:
            wire += bytes([len(label)]) + label.encode("ascii")
    return wire + b"\0"


def parse_question(packet):
    """Return (id, flags, qname, qtype, end offset of the question)."""
    query_id, flags, qdcount = struct.unpack("!HHH", packet[:6])
    if qdcount != 1:
        raise ValueError("expected one question")
    offset, labels = 12, []
    while packet[offset] != 0:
        length = packet[offset]
        labels.append(packet[offset + 1:offset + 1 + length].decode("ascii"))
        offset += 1 + length
    offset += 1
    qtype, = struct.unpack("!H", packet[offset:offset + 2])
    return query_id, flags, ".".join(labels).lower(), qtype, offset + 4


def answer(packet, records):
    query_id, flags, qname, qtype, end = parse_question(packet)
    entries = records.get(qname)
    rdatas = []
    if entries is None:
        rcode = RCODE_NXDOMAIN
    elif any(entry[0].upper() == "SERVFAIL" for entry in entries):
        rcode = RCODE_SERVFAIL
    else:
        rcode = RCODE_NOERROR
        for entry in entries:
            kind = entry[0].upper()
            if kind == "A" and qtype == TYPE_A:
                rdatas.append((TYPE_A, socket.inet_aton(entry[1])))
            elif kind == "MX" and qtype == TYPE_MX:
                preference = struct.pack("!H", int(entry[1]))
                rdatas.append((TYPE_MX, preference + encode_name(entry[2])))

    # QR, opcode and RD copied, AA and RA set.
    reply_flags = 0x8000 | (flags & 0x7900) | 0x0400 | 0x0080 | rcode
    header = struct.pack("!HHHHHH", query_id, reply_flags, 1, len(rdatas),
                         0, 0)
    body = packet[12:end]
    for rtype, rdata in rdatas:
        # 0xc00c points at the question name; class IN, TTL 1 s.
        body += struct.pack("!HHHIH", 0xC00C, rtype, 1, 1, len(rdata))
        body += rdata
    return header + body


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: zonedns.py ADDRESS PORT ZONEFILE")
    address, port, zone_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((address, port))
    print("zonedns: listening on %s port %d" % (address, port), flush=True)
    while True:
        packet, client = server.recvfrom(4096)
        try:
            reply = answer(packet, load_zone(zone_path))
        except (ValueError, IndexError, struct.error, OSError) as error:
            print("zonedns: dropped query from %s: %s" % (client[0], error),
                  flush=True)
            continue
        server.sendto(reply, client)
        _, _, qname, qtype, _ = parse_question(packet)
        print("zonedns: query %s type %d rcode %d" % (qname, qtype,
                                                     reply[3] & 0x0F),
              flush=True)


if __name__ == "__main__":
    main()
