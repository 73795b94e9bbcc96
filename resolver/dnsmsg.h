/*
 * dnsmsg.h - building DNS queries and validating replies (RFC 1035,
 * RFC 6891).  A reply becomes data only after every check here passes:
 * matching id and question, section counts that match the message, at
 * most one OPT and only in the additional section, names within bounds.
 * Pure functions, thread-safe.
 */
#ifndef MXW_DNSMSG_H
#define MXW_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_TYPE_A 1
#define DNS_TYPE_NS 2
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_SOA 6
#define DNS_TYPE_PTR 12
#define DNS_TYPE_MX 15
#define DNS_TYPE_TXT 16
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_OPT 41
#define DNS_CLASS_IN 1

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5
#define DNS_RCODE_BADVERS 16

#define DNS_HEADER_SIZE 12
/* Largest query we build: header, a 255-octet name, type, class, OPT. */
#define DNS_QUERY_MAX 300

/* Sections of a reply. */
enum dns_section { DNS_ANSWER = 0, DNS_AUTHORITY, DNS_ADDITIONAL };

/* One resource record; names are lowercase text without trailing dot
 * ("" for the root), with bytes outside LDH and '_' escaped as \DDD. */
struct dns_rr {
    enum dns_section section;
    char owner[256 * 4];
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl;
    /* Decoded RDATA for the types route lookups use. */
    uint16_t preference;    /* MX */
    char target[256 * 4];   /* MX exchange, CNAME/NS/PTR target, SOA
                               mname */
    unsigned char addr[16]; /* A (4 bytes) or AAAA (16 bytes) */
    uint32_t soa_minimum;   /* SOA */
    uint16_t rdlength;
    const unsigned char *rdata; /* points into the reply buffer */
};

/* Outcome of dnsmsg_parse. */
enum dnsmsg_status {
    DNSMSG_OK = 0,
    DNSMSG_SHORT,     /* shorter than a header */
    DNSMSG_NOT_REPLY, /* QR bit clear or opcode not QUERY */
    DNSMSG_ID_MISMATCH,
    DNSMSG_QUESTION_MISMATCH,
    DNSMSG_MALFORMED, /* counts, names or RDATA out of bounds, OPT
                         misplaced, trailing bytes */
    DNSMSG_NOMEM,
};

struct dns_reply {
    uint16_t id;
    bool aa, tc, rd, ra;
    int rcode; /* extended: header rcode | OPT high bits << 4 */
    bool has_opt;
    uint16_t opt_payload;
    uint8_t opt_version;
    uint16_t qdcount, ancount, nscount, arcount;
    size_t rr_count;    /* answer + authority + additional, minus OPT */
    struct dns_rr *rrs; /* heap array, owned; dnsmsg_reply_clear frees */
};

/*
 * Build a standard query with RD set, one question (name: text without
 * trailing dot, \DDD escapes allowed) and an OPT record advertising
 * edns_payload when it is not 0.  Returns the length written to buf (at
 * least DNS_QUERY_MAX bytes), or 0 when the name does not encode.
 */
size_t dnsmsg_build_query(unsigned char *buf, size_t buflen, uint16_t id,
                          const char *name, uint16_t type,
                          uint16_t edns_payload);

/*
 * Parse and validate a reply to the query (id, name, type): header flags,
 * question match (case-insensitive), counts, names, RDATA of known types,
 * OPT placement.  A reply without a question section is accepted only
 * when its rcode is an error (FORMERR, SERVFAIL, NOTIMP, REFUSED), since
 * that is how some servers reject EDNS.  On DNSMSG_OK reply->rrs must be
 * freed with dnsmsg_reply_clear; otherwise nothing is allocated.
 */
enum dnsmsg_status dnsmsg_parse(const unsigned char *buf, size_t len,
                                uint16_t id, const char *name, uint16_t type,
                                struct dns_reply *reply);

void dnsmsg_reply_clear(struct dns_reply *reply);

/* Peek at the header of a possible reply without validating it.
 * Returns false when len is below DNS_HEADER_SIZE. */
bool dnsmsg_peek_header(const unsigned char *buf, size_t len, uint16_t *id,
                        bool *qr, int *rcode, uint16_t *qdcount);

/* Format rr as "owner TTL TYPE RDATA" into out.  Returns out. */
char *dnsmsg_format_rr(const struct dns_rr *rr, char *out, size_t outlen);

/* Static word for a parse status ("malformed", "mismatch", ...). */
const char *dnsmsg_status_word(enum dnsmsg_status status);

#endif
