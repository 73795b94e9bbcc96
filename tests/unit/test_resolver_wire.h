/*
 * test_resolver_wire.h - a small DNS message writer for the resolver's
 * unit tests: replies with chosen flags, counts and records.
 */
#ifndef TEST_RESOLVER_WIRE_H
#define TEST_RESOLVER_WIRE_H

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

struct wire {
    unsigned char buf[4096];
    size_t len;
};

static inline void wire_put16(struct wire *w, uint16_t v)
{
    w->buf[w->len++] = (unsigned char)(v >> 8);
    w->buf[w->len++] = (unsigned char)v;
}

static inline void wire_put32(struct wire *w, uint32_t v)
{
    wire_put16(w, (uint16_t)(v >> 16));
    wire_put16(w, (uint16_t)v);
}

/* Write a name in uncompressed labels ("" is the root). */
static inline void wire_name(struct wire *w, const char *name)
{
    const char *p = name;

    while (*p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);

        w->buf[w->len++] = (unsigned char)n;
        memcpy(w->buf + w->len, p, n);
        w->len += n;
        p += n;
        if (*p == '.')
            p++;
    }
    w->buf[w->len++] = 0;
}

/* Start a reply: header with QR set, then one question unless qname is
 * NULL.  Counts are set later with wire_counts. */
static inline void wire_reply(struct wire *w, uint16_t id, int rcode,
                              const char *qname, uint16_t qtype)
{
    memset(w, 0, sizeof(*w));
    wire_put16(w, id);
    w->buf[w->len++] = 0x81; /* QR, RD */
    w->buf[w->len++] = (unsigned char)(0x80 | (rcode & 0x0f)); /* RA */
    wire_put16(w, qname ? 1 : 0);
    wire_put16(w, 0);
    wire_put16(w, 0);
    wire_put16(w, 0);
    if (qname) {
        wire_name(w, qname);
        wire_put16(w, qtype);
        wire_put16(w, 1);
    }
}

static inline void wire_counts(struct wire *w, uint16_t an, uint16_t ns,
                               uint16_t ar)
{
    w->buf[6] = (unsigned char)(an >> 8);
    w->buf[7] = (unsigned char)an;
    w->buf[8] = (unsigned char)(ns >> 8);
    w->buf[9] = (unsigned char)ns;
    w->buf[10] = (unsigned char)(ar >> 8);
    w->buf[11] = (unsigned char)ar;
}

static inline void wire_rr_head(struct wire *w, const char *owner,
                                uint16_t type, uint32_t ttl)
{
    wire_name(w, owner);
    wire_put16(w, type);
    wire_put16(w, 1);
    wire_put32(w, ttl);
}

static inline void wire_mx(struct wire *w, const char *owner, uint32_t ttl,
                           uint16_t pref, const char *exchange)
{
    size_t len_at;

    wire_rr_head(w, owner, 15, ttl);
    len_at = w->len;
    wire_put16(w, 0);
    wire_put16(w, pref);
    wire_name(w, exchange);
    w->buf[len_at] = (unsigned char)((w->len - len_at - 2) >> 8);
    w->buf[len_at + 1] = (unsigned char)(w->len - len_at - 2);
}

static inline void wire_cname(struct wire *w, const char *owner,
                              uint32_t ttl, const char *target)
{
    size_t len_at;

    wire_rr_head(w, owner, 5, ttl);
    len_at = w->len;
    wire_put16(w, 0);
    wire_name(w, target);
    w->buf[len_at] = (unsigned char)((w->len - len_at - 2) >> 8);
    w->buf[len_at + 1] = (unsigned char)(w->len - len_at - 2);
}

static inline void wire_a(struct wire *w, const char *owner, uint32_t ttl,
                          const char *addr)
{
    unsigned char a[16];

    if (strchr(addr, ':')) {
        inet_pton(AF_INET6, addr, a);
        wire_rr_head(w, owner, 28, ttl);
        wire_put16(w, 16);
        memcpy(w->buf + w->len, a, 16);
        w->len += 16;
    } else {
        inet_pton(AF_INET, addr, a);
        wire_rr_head(w, owner, 1, ttl);
        wire_put16(w, 4);
        memcpy(w->buf + w->len, a, 4);
        w->len += 4;
    }
}

static inline void wire_soa(struct wire *w, const char *owner, uint32_t ttl,
                            uint32_t minimum)
{
    size_t len_at;

    wire_rr_head(w, owner, 6, ttl);
    len_at = w->len;
    wire_put16(w, 0);
    wire_name(w, "ns.test");
    wire_name(w, "hostmaster.test");
    wire_put32(w, 1);
    wire_put32(w, 3600);
    wire_put32(w, 600);
    wire_put32(w, 86400);
    wire_put32(w, minimum);
    w->buf[len_at] = (unsigned char)((w->len - len_at - 2) >> 8);
    w->buf[len_at + 1] = (unsigned char)(w->len - len_at - 2);
}

/* OPT with payload and an extended rcode high part. */
static inline void wire_opt(struct wire *w, uint16_t payload,
                            uint8_t ext_rcode)
{
    w->buf[w->len++] = 0;
    wire_put16(w, 41);
    wire_put16(w, payload);
    w->buf[w->len++] = ext_rcode;
    w->buf[w->len++] = 0;
    wire_put16(w, 0);
    wire_put16(w, 0);
}

#endif
