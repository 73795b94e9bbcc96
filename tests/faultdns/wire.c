#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

/* One name suffix already written, usable as a compression target. */
struct comp_entry {
    uint16_t offset;
    uint8_t len;
    uint8_t name[255];
};

struct comp_table {
    struct comp_entry *entries;
    size_t count;
    size_t cap;
};

void
wire_msg_init(struct wire_msg *m)
{
    memset(m, 0, sizeof(*m));
}

void
wire_msg_clear(struct wire_msg *m)
{
    int s;

    ldns_rdf_deep_free(m->qname);
    for (s = 0; s < 3; s++)
        ldns_rr_list_deep_free(m->section[s]);
    free(m->opt_options);
    wire_msg_init(m);
}

void
wire_buf_free(struct wire_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int
buf_put(struct wire_buf *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        uint8_t *grown;

        while (cap < b->len + len)
            cap *= 2;
        grown = realloc(b->data, cap);
        if (grown == NULL)
            return -1;
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

static int
buf_put16(struct wire_buf *b, uint16_t v)
{
    uint8_t bytes[2] = {(uint8_t)(v >> 8), (uint8_t)v};

    return buf_put(b, bytes, 2);
}

static int
buf_put32(struct wire_buf *b, uint32_t v)
{
    uint8_t bytes[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
                        (uint8_t)(v >> 8), (uint8_t)v};

    return buf_put(b, bytes, 4);
}

static void
buf_set16(struct wire_buf *b, size_t at, uint16_t v)
{
    b->data[at] = (uint8_t)(v >> 8);
    b->data[at + 1] = (uint8_t)v;
}

static bool
suffix_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t i;

    if (alen != blen)
        return false;
    /* Length octets are below 64, so tolower leaves them unchanged. */
    for (i = 0; i < alen; i++) {
        if (tolower(a[i]) != tolower(b[i]))
            return false;
    }
    return true;
}

static int
comp_add(struct comp_table *t, size_t offset, const uint8_t *name, size_t len)
{
    struct comp_entry *e;

    /* A pointer has 14 bits of offset. */
    if (offset > 0x3fff || len > sizeof(e->name))
        return 0;
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        struct comp_entry *grown = realloc(t->entries, cap * sizeof(*grown));

        if (grown == NULL)
            return -1;
        t->entries = grown;
        t->cap = cap;
    }
    e = &t->entries[t->count++];
    e->offset = (uint16_t)offset;
    e->len = (uint8_t)len;
    memcpy(e->name, name, len);
    return 0;
}

/*
 * Write the uncompressed wire name NAME of LEN bytes, replacing the longest
 * suffix already in T with a pointer when COMPRESS is set.  T may be NULL.
 */
static int
put_name(struct wire_buf *b, struct comp_table *t, const uint8_t *name,
         size_t len, bool compress)
{
    size_t pos = 0;

    while (pos < len && name[pos] != 0) {
        size_t i;
        size_t label_len = name[pos];

        if (t != NULL && compress) {
            for (i = 0; i < t->count; i++) {
                if (suffix_equal(t->entries[i].name, t->entries[i].len,
                                 name + pos, len - pos))
                    return buf_put16(
                        b, (uint16_t)(0xc000u | t->entries[i].offset));
            }
        }
        if (t != NULL && comp_add(t, b->len, name + pos, len - pos) != 0)
            return -1;
        if (pos + 1 + label_len > len)
            return -1;
        if (buf_put(b, name + pos, 1 + label_len) != 0)
            return -1;
        pos += 1 + label_len;
    }
    return buf_put(b, "", 1);
}

/* The types whose RDATA names RFC 3597 section 4 allows to compress. */
static bool
rdata_compressible(ldns_rr_type type)
{
    switch (type) {
    case LDNS_RR_TYPE_NS:
    case LDNS_RR_TYPE_MD:
    case LDNS_RR_TYPE_MF:
    case LDNS_RR_TYPE_CNAME:
    case LDNS_RR_TYPE_SOA:
    case LDNS_RR_TYPE_MB:
    case LDNS_RR_TYPE_MG:
    case LDNS_RR_TYPE_MR:
    case LDNS_RR_TYPE_PTR:
    case LDNS_RR_TYPE_MINFO:
    case LDNS_RR_TYPE_MX:
        return true;
    default:
        return false;
    }
}

static int
put_rr(struct wire_buf *b, struct comp_table *t, const ldns_rr *rr,
       enum wire_compress mode)
{
    const ldns_rdf *owner = ldns_rr_owner(rr);
    bool rdata_compress;
    size_t rdlen_at;
    size_t i;

    rdata_compress =
        mode == WIRE_COMPRESS_MAX ||
        (mode == WIRE_COMPRESS_RFC && rdata_compressible(ldns_rr_get_type(rr)));

    if (put_name(b, t, ldns_rdf_data(owner), ldns_rdf_size(owner),
                 mode != WIRE_COMPRESS_NONE) != 0 ||
        buf_put16(b, (uint16_t)ldns_rr_get_type(rr)) != 0 ||
        buf_put16(b, (uint16_t)ldns_rr_get_class(rr)) != 0 ||
        buf_put32(b, ldns_rr_ttl(rr)) != 0)
        return -1;
    rdlen_at = b->len;
    if (buf_put16(b, 0) != 0)
        return -1;

    for (i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
        int rc;

        if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_DNAME)
            rc = put_name(b, t, ldns_rdf_data(rdf), ldns_rdf_size(rdf),
                          rdata_compress);
        else
            rc = buf_put(b, ldns_rdf_data(rdf), ldns_rdf_size(rdf));
        if (rc != 0)
            return -1;
    }
    buf_set16(b, rdlen_at, (uint16_t)(b->len - rdlen_at - 2));
    return 0;
}

static int
put_opt(struct wire_buf *b, const struct wire_msg *m)
{
    uint32_t ttl = ((uint32_t)(m->rcode >> 4) << 24) |
                   ((uint32_t)m->opt_version << 16) | m->opt_flags;

    if (buf_put(b, "", 1) != 0 || buf_put16(b, LDNS_RR_TYPE_OPT) != 0 ||
        buf_put16(b, m->opt_payload_bytes) != 0 || buf_put32(b, ttl) != 0 ||
        buf_put16(b, (uint16_t)m->opt_options_len) != 0)
        return -1;
    if (m->opt_options_len > 0)
        return buf_put(b, m->opt_options, m->opt_options_len);
    return 0;
}

int
wire_encode(const struct wire_msg *m, enum wire_compress mode,
            const size_t counts[3], bool include_opt, bool set_tc,
            struct wire_buf *out)
{
    struct comp_table table = {NULL, 0, 0};
    uint16_t flags = m->flags | (m->rcode & 0x0f);
    bool opt = include_opt && m->has_opt;
    size_t header_counts[3];
    int s;
    int rc = -1;

    if (mode == WIRE_COMPRESS_DEFAULT)
        mode = WIRE_COMPRESS_RFC;
    if (set_tc)
        flags |= WIRE_FLAG_TC;
    for (s = 0; s < 3; s++)
        header_counts[s] = counts[s];
    if (opt)
        header_counts[m->opt_in_answer ? WIRE_ANSWER : WIRE_ADDITIONAL]++;

    out->len = 0;
    if (buf_put16(out, m->id) != 0 || buf_put16(out, flags) != 0 ||
        buf_put16(out, m->has_question ? 1 : 0) != 0 ||
        buf_put16(out, (uint16_t)header_counts[0]) != 0 ||
        buf_put16(out, (uint16_t)header_counts[1]) != 0 ||
        buf_put16(out, (uint16_t)header_counts[2]) != 0)
        goto done;

    if (m->has_question) {
        if (put_name(out, &table, ldns_rdf_data(m->qname),
                     ldns_rdf_size(m->qname),
                     mode != WIRE_COMPRESS_NONE) != 0 ||
            buf_put16(out, m->qtype) != 0 || buf_put16(out, m->qclass) != 0)
            goto done;
    }

    for (s = 0; s < 3; s++) {
        size_t i;

        for (i = 0; i < counts[s]; i++) {
            if (put_rr(out, &table, ldns_rr_list_rr(m->section[s], i), mode) !=
                0)
                goto done;
        }
        /* The OPT goes last in its section, where parsers look for it. */
        if (opt && ((s == WIRE_ANSWER && m->opt_in_answer) ||
                    (s == WIRE_ADDITIONAL && !m->opt_in_answer))) {
            if (put_opt(out, m) != 0)
                goto done;
        }
    }
    rc = 0;

done:
    free(table.entries);
    return rc;
}

static size_t
section_size(const struct wire_msg *m, int s)
{
    return m->section[s] ? ldns_rr_list_rr_count(m->section[s]) : 0;
}

/* Fill COUNTS with the first KEEP records in section order. */
static void
counts_for_prefix(const struct wire_msg *m, size_t keep, size_t counts[3])
{
    int s;

    for (s = 0; s < 3; s++) {
        size_t n = section_size(m, s);

        counts[s] = keep < n ? keep : n;
        keep -= counts[s];
    }
}

/* Return record INDEX in section order and store its section in *SECTION. */
static const ldns_rr *
rr_at(const struct wire_msg *m, size_t index, int *section)
{
    int s;

    for (s = 0; s < 3; s++) {
        if (index < section_size(m, s)) {
            *section = s;
            return ldns_rr_list_rr(m->section[s], index);
        }
        index -= section_size(m, s);
    }
    return NULL;
}

/* True when record INDEX (in section order) starts a new RRset. */
static bool
starts_rrset(const struct wire_msg *m, size_t index)
{
    const ldns_rr *prev;
    const ldns_rr *cur;
    int prev_section;
    int cur_section;

    if (index == 0)
        return true;
    prev = rr_at(m, index - 1, &prev_section);
    cur = rr_at(m, index, &cur_section);
    if (prev == NULL || cur == NULL || prev_section != cur_section)
        return true;
    return ldns_rr_get_type(prev) != ldns_rr_get_type(cur) ||
           ldns_rr_get_class(prev) != ldns_rr_get_class(cur) ||
           ldns_dname_compare(ldns_rr_owner(prev), ldns_rr_owner(cur)) != 0;
}

/*
 * Find the largest record prefix whose encoding fits LIMIT_BYTES.  With
 * WHOLE_RRSETS the prefix never ends inside an RRset.
 */
static int
encode_largest_prefix(const struct wire_msg *m, enum wire_compress mode,
                      size_t limit_bytes, bool whole_rrsets, bool include_opt,
                      bool set_tc, struct wire_buf *out, bool *fits)
{
    size_t total = section_size(m, 0) + section_size(m, 1) + section_size(m, 2);
    size_t keep = total + 1;
    size_t counts[3];

    while (keep-- > 0) {
        if (whole_rrsets && keep < total && !starts_rrset(m, keep))
            continue;
        counts_for_prefix(m, keep, counts);
        if (wire_encode(m, mode, counts, include_opt, set_tc, out) != 0)
            return -1;
        if (out->len <= limit_bytes) {
            *fits = true;
            return 0;
        }
    }
    *fits = false;
    return 0;
}

int
wire_encode_fit(const struct wire_msg *m, enum wire_compress mode,
                size_t limit_bytes, enum wire_overflow overflow,
                struct wire_buf *out, bool *drop)
{
    size_t all[3] = {section_size(m, 0), section_size(m, 1),
                     section_size(m, 2)};
    size_t none[3] = {0, 0, 0};
    bool fits = false;

    *drop = false;
    if (wire_encode(m, mode, all, true, false, out) != 0)
        return -1;
    if (out->len <= limit_bytes)
        return 0;

    switch (overflow) {
    case WIRE_OVERFLOW_DROP:
        *drop = true;
        return 0;

    case WIRE_OVERFLOW_CUT_RAW:
        /* The header keeps the full counts, so the message is malformed. */
        out->len = limit_bytes;
        return 0;

    case WIRE_OVERFLOW_CUT:
        if (encode_largest_prefix(m, mode, limit_bytes, false, true, false, out,
                                  &fits) != 0)
            return -1;
        if (!fits && encode_largest_prefix(m, mode, limit_bytes, false, false,
                                           false, out, &fits) != 0)
            return -1;
        if (!fits)
            return wire_encode(m, mode, none, false, false, out);
        return 0;

    case WIRE_OVERFLOW_TC_WHOLE:
    case WIRE_OVERFLOW_TC_PARTIAL:
        if (encode_largest_prefix(m, mode, limit_bytes,
                                  overflow == WIRE_OVERFLOW_TC_WHOLE, true,
                                  true, out, &fits) != 0)
            return -1;
        if (fits)
            return 0;
        return wire_encode(m, mode, none, true, true, out);

    case WIRE_OVERFLOW_DEFAULT:
    case WIRE_OVERFLOW_TC_EMPTY:
    default:
        return wire_encode(m, mode, none, true, true, out);
    }
}
