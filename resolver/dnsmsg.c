/*
 * dnsmsg.c - DNS query encoding and strict reply validation.
 */
#include "config.h"

#include "dnsmsg.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Records parsed from one reply at most; a route lookup never needs more,
 * and the bound keeps a hostile 64 KiB TCP reply from costing megabytes. */
#define DNSMSG_MAX_RRS 512

static uint16_t
get16(const unsigned char *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
get32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static void
put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

/* Encode a text name into wire labels.  Returns the wire length or 0. */
static size_t
encode_name(unsigned char *out, size_t outlen, const char *name)
{
    size_t pos = 0;
    const char *p = name;

    while (*p) {
        unsigned char label[63];
        size_t len = 0;

        while (*p && *p != '.') {
            unsigned char c = (unsigned char)*p++;

            if (c == '\\') {
                if (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' &&
                    p[2] >= '0' && p[2] <= '9') {
                    int v =
                        (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
                    if (v > 255)
                        return 0;
                    c = (unsigned char)v;
                    p += 3;
                } else if (*p) {
                    c = (unsigned char)*p++;
                } else {
                    return 0;
                }
            }
            if (len == sizeof(label))
                return 0;
            label[len++] = c;
        }
        if (len == 0)
            return 0;
        if (pos + 1 + len + 1 > outlen || pos + 1 + len + 1 > 255)
            return 0;
        out[pos++] = (unsigned char)len;
        memcpy(out + pos, label, len);
        pos += len;
        if (*p == '.') {
            p++;
            if (*p == '\0')
                break;
        }
    }
    if (pos + 1 > outlen)
        return 0;
    out[pos++] = 0;
    return pos;
}

size_t
dnsmsg_build_query(unsigned char *buf, size_t buflen, uint16_t id,
                   const char *name, uint16_t type, uint16_t edns_payload)
{
    size_t pos = DNS_HEADER_SIZE;
    size_t n;

    if (buflen < DNS_QUERY_MAX)
        return 0;
    memset(buf, 0, DNS_HEADER_SIZE);
    put16(buf, id);
    buf[2] = 0x01; /* RD */
    put16(buf + 4, 1);
    put16(buf + 10, edns_payload ? 1 : 0);

    n = encode_name(buf + pos, buflen - pos - 4 - 11, name);
    if (n == 0)
        return 0;
    pos += n;
    put16(buf + pos, type);
    put16(buf + pos + 2, DNS_CLASS_IN);
    pos += 4;

    if (edns_payload) {
        /* OPT: root owner, type 41, class = payload, TTL = extended rcode,
         * version 0 and flags 0, no options (RFC 6891 section 6.1.2). */
        buf[pos++] = 0;
        put16(buf + pos, DNS_TYPE_OPT);
        put16(buf + pos + 2, edns_payload);
        memset(buf + pos + 4, 0, 6);
        pos += 10;
    }
    return pos;
}

/*
 * Decode the name at *offset into lowercase escaped text, following
 * compression pointers only backwards (so loops cannot occur) and
 * checking every bound.  Advances *offset past the name in place.
 * Returns false when the name is malformed.
 */
static bool
decode_name(const unsigned char *msg, size_t len, size_t *offset, char *out,
            size_t outlen)
{
    size_t pos = *offset;
    size_t wire_len = 0;
    size_t text = 0;
    bool jumped = false;
    size_t limit = pos; /* pointers must point before this */

    if (outlen == 0)
        return false;
    for (;;) {
        unsigned char c;

        if (pos >= len)
            return false;
        c = msg[pos];
        if ((c & 0xc0) == 0xc0) {
            size_t target;

            if (pos + 1 >= len)
                return false;
            target = (size_t)((c & 0x3f) << 8) | msg[pos + 1];
            if (target >= limit)
                return false;
            if (!jumped)
                *offset = pos + 2;
            jumped = true;
            limit = target;
            pos = target;
            continue;
        }
        if ((c & 0xc0) != 0)
            return false; /* extended label types are not used */
        pos++;
        if (c == 0)
            break;
        if (pos + c > len)
            return false;
        wire_len += 1 + (size_t)c;
        if (wire_len + 1 > 255)
            return false;
        if (text > 0) {
            if (text + 1 >= outlen)
                return false;
            out[text++] = '.';
        }
        for (unsigned i = 0; i < c; i++) {
            unsigned char b = msg[pos + i];

            if (b >= 'A' && b <= 'Z')
                b = (unsigned char)(b - 'A' + 'a');
            if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' ||
                b == '_') {
                if (text + 1 >= outlen)
                    return false;
                out[text++] = (char)b;
            } else {
                if (text + 4 >= outlen)
                    return false;
                snprintf(out + text, 5, "\\%03u", b);
                text += 4;
            }
        }
        pos += c;
    }
    out[text] = '\0';
    if (!jumped)
        *offset = pos;
    return true;
}

bool
dnsmsg_peek_header(const unsigned char *buf, size_t len, uint16_t *id, bool *qr,
                   int *rcode, uint16_t *qdcount)
{
    if (len < DNS_HEADER_SIZE)
        return false;
    *id = get16(buf);
    *qr = (buf[2] & 0x80) != 0;
    *rcode = buf[3] & 0x0f;
    *qdcount = get16(buf + 4);
    return true;
}

static bool
is_error_rcode(int rcode)
{
    return rcode == DNS_RCODE_FORMERR || rcode == DNS_RCODE_SERVFAIL ||
           rcode == DNS_RCODE_NOTIMP || rcode == DNS_RCODE_REFUSED;
}

/* Decode the RDATA of the types route lookups read. */
static bool
decode_rdata(const unsigned char *msg, size_t len, size_t rdpos,
             struct dns_rr *rr)
{
    size_t end = rdpos + rr->rdlength;
    size_t pos = rdpos;

    switch (rr->type) {
    case DNS_TYPE_A:
        if (rr->rdlength != 4)
            return false;
        memcpy(rr->addr, msg + rdpos, 4);
        return true;
    case DNS_TYPE_AAAA:
        if (rr->rdlength != 16)
            return false;
        memcpy(rr->addr, msg + rdpos, 16);
        return true;
    case DNS_TYPE_MX:
        if (rr->rdlength < 3)
            return false;
        rr->preference = get16(msg + rdpos);
        pos += 2;
        if (!decode_name(msg, end, &pos, rr->target, sizeof(rr->target)))
            return false;
        return pos == end;
    case DNS_TYPE_CNAME:
    case DNS_TYPE_NS:
    case DNS_TYPE_PTR:
        if (!decode_name(msg, end, &pos, rr->target, sizeof(rr->target)))
            return false;
        return pos == end;
    case DNS_TYPE_SOA: {
        char rname[sizeof(rr->target)];

        if (!decode_name(msg, end, &pos, rr->target, sizeof(rr->target)))
            return false;
        if (!decode_name(msg, end, &pos, rname, sizeof(rname)))
            return false;
        if (end - pos != 20)
            return false;
        rr->soa_minimum = get32(msg + pos + 16);
        return true;
    }
    default:
        return true;
    }
}

enum dnsmsg_status
dnsmsg_parse(const unsigned char *buf, size_t len, uint16_t id,
             const char *name, uint16_t type, struct dns_reply *reply)
{
    size_t pos = DNS_HEADER_SIZE;
    unsigned total;
    char qname[256 * 4];
    char want[256 * 4];
    size_t want_len;

    memset(reply, 0, sizeof(*reply));
    if (len < DNS_HEADER_SIZE)
        return DNSMSG_SHORT;

    reply->id = get16(buf);
    reply->aa = (buf[2] & 0x04) != 0;
    reply->tc = (buf[2] & 0x02) != 0;
    reply->rd = (buf[2] & 0x01) != 0;
    reply->ra = (buf[3] & 0x80) != 0;
    reply->rcode = buf[3] & 0x0f;
    reply->qdcount = get16(buf + 4);
    reply->ancount = get16(buf + 6);
    reply->nscount = get16(buf + 8);
    reply->arcount = get16(buf + 10);

    if (!(buf[2] & 0x80) || ((buf[2] >> 3) & 0x0f) != 0)
        return DNSMSG_NOT_REPLY;
    if (reply->id != id)
        return DNSMSG_ID_MISMATCH;

    /* The question must be ours, compared without regard to case
     * (RFC 4343).  Error replies may omit it. */
    if (reply->qdcount == 0) {
        if (!is_error_rcode(reply->rcode))
            return DNSMSG_QUESTION_MISMATCH;
    } else if (reply->qdcount != 1) {
        return DNSMSG_MALFORMED;
    } else {
        if (!decode_name(buf, len, &pos, qname, sizeof(qname)))
            return DNSMSG_MALFORMED;
        if (pos + 4 > len)
            return DNSMSG_MALFORMED;
        want_len = strlen(name);
        if (want_len > 0 && name[want_len - 1] == '.')
            want_len--;
        if (want_len >= sizeof(want))
            return DNSMSG_QUESTION_MISMATCH;
        memcpy(want, name, want_len);
        want[want_len] = '\0';
        for (size_t i = 0; i < want_len; i++) {
            if (want[i] >= 'A' && want[i] <= 'Z')
                want[i] = (char)(want[i] - 'A' + 'a');
        }
        if (strcmp(qname, want) != 0 || get16(buf + pos) != type ||
            get16(buf + pos + 2) != DNS_CLASS_IN)
            return DNSMSG_QUESTION_MISMATCH;
        pos += 4;
    }

    total = (unsigned)reply->ancount + reply->nscount + reply->arcount;
    if (total > DNSMSG_MAX_RRS)
        return DNSMSG_MALFORMED;
    /* A record needs at least 11 bytes, so counts beyond what the message
     * can hold are malformed before any allocation. */
    if ((size_t)total * 11 > len - pos)
        return DNSMSG_MALFORMED;
    if (total > 0) {
        reply->rrs = calloc(total, sizeof(*reply->rrs));
        if (!reply->rrs)
            return DNSMSG_NOMEM;
    }

    for (unsigned i = 0; i < total; i++) {
        struct dns_rr *rr = &reply->rrs[reply->rr_count];
        enum dns_section section =
            i < reply->ancount                              ? DNS_ANSWER
            : i < (unsigned)reply->ancount + reply->nscount ? DNS_AUTHORITY
                                                            : DNS_ADDITIONAL;

        memset(rr, 0, sizeof(*rr));
        rr->section = section;
        if (!decode_name(buf, len, &pos, rr->owner, sizeof(rr->owner)))
            goto malformed;
        if (pos + 10 > len)
            goto malformed;
        rr->type = get16(buf + pos);
        rr->rclass = get16(buf + pos + 2);
        rr->ttl = get32(buf + pos + 4);
        rr->rdlength = get16(buf + pos + 8);
        pos += 10;
        if (pos + rr->rdlength > len)
            goto malformed;
        rr->rdata = buf + pos;

        if (rr->type == DNS_TYPE_OPT) {
            /* RFC 6891 section 6.1.1: one OPT, in the additional section,
             * owned by the root. */
            if (section != DNS_ADDITIONAL || reply->has_opt ||
                rr->owner[0] != '\0')
                goto malformed;
            reply->has_opt = true;
            reply->opt_payload = rr->rclass;
            reply->opt_version = (uint8_t)(rr->ttl >> 16);
            reply->rcode |= (int)((rr->ttl >> 24) & 0xff) << 4;
            pos += rr->rdlength;
            continue;
        }
        /* RFC 2181 section 8: a TTL with the top bit set is zero. */
        if (rr->ttl & 0x80000000u)
            rr->ttl = 0;
        if (rr->rclass == DNS_CLASS_IN && !decode_rdata(buf, len, pos, rr))
            goto malformed;
        pos += rr->rdlength;
        reply->rr_count++;
    }
    if (pos != len)
        goto malformed;
    return DNSMSG_OK;

malformed:
    dnsmsg_reply_clear(reply);
    return DNSMSG_MALFORMED;
}

void
dnsmsg_reply_clear(struct dns_reply *reply)
{
    free(reply->rrs);
    reply->rrs = NULL;
    reply->rr_count = 0;
}

static const char *
type_text(uint16_t type, char *buf, size_t buflen)
{
    switch (type) {
    case DNS_TYPE_A:
        return "A";
    case DNS_TYPE_NS:
        return "NS";
    case DNS_TYPE_CNAME:
        return "CNAME";
    case DNS_TYPE_SOA:
        return "SOA";
    case DNS_TYPE_PTR:
        return "PTR";
    case DNS_TYPE_MX:
        return "MX";
    case DNS_TYPE_TXT:
        return "TXT";
    case DNS_TYPE_AAAA:
        return "AAAA";
    default:
        snprintf(buf, buflen, "TYPE%u", type);
        return buf;
    }
}

char *
dnsmsg_format_rr(const struct dns_rr *rr, char *out, size_t outlen)
{
    char tbuf[16];
    char addr[64];
    const char *owner = rr->owner[0] ? rr->owner : ".";
    const char *tname = type_text(rr->type, tbuf, sizeof(tbuf));

    switch (rr->type) {
    case DNS_TYPE_A:
    case DNS_TYPE_AAAA:
        inet_ntop(rr->type == DNS_TYPE_A ? AF_INET : AF_INET6, rr->addr, addr,
                  sizeof(addr));
        snprintf(out, outlen, "%s %u %s %s", owner, rr->ttl, tname, addr);
        break;
    case DNS_TYPE_MX:
        snprintf(out, outlen, "%s %u MX %u %s.", owner, rr->ttl, rr->preference,
                 rr->target);
        break;
    case DNS_TYPE_CNAME:
    case DNS_TYPE_NS:
    case DNS_TYPE_PTR:
        snprintf(out, outlen, "%s %u %s %s.", owner, rr->ttl, tname,
                 rr->target);
        break;
    case DNS_TYPE_SOA:
        snprintf(out, outlen, "%s %u SOA %s. minimum %u", owner, rr->ttl,
                 rr->target, rr->soa_minimum);
        break;
    default:
        snprintf(out, outlen, "%s %u %s", owner, rr->ttl, tname);
        break;
    }
    return out;
}

const char *
dnsmsg_status_word(enum dnsmsg_status status)
{
    switch (status) {
    case DNSMSG_OK:
        return "ok";
    case DNSMSG_SHORT:
        return "malformed";
    case DNSMSG_NOT_REPLY:
        return "malformed";
    case DNSMSG_ID_MISMATCH:
        return "mismatch";
    case DNSMSG_QUESTION_MISMATCH:
        return "mismatch";
    case DNSMSG_MALFORMED:
        return "malformed";
    case DNSMSG_NOMEM:
        return "nomem";
    }
    return "malformed";
}
