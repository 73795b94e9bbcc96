/*
 * wire: DNS message encoder with selectable name compression and the size
 * faults (truncation, cutting, dropping) applied to encoded replies.
 */
#ifndef FAULTDNS_WIRE_H
#define FAULTDNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

/* Header flag bits in the second 16-bit word, rcode bits excluded. */
#define WIRE_FLAG_QR 0x8000u
#define WIRE_FLAG_AA 0x0400u
#define WIRE_FLAG_TC 0x0200u
#define WIRE_FLAG_RD 0x0100u
#define WIRE_FLAG_RA 0x0080u
#define WIRE_OPCODE_MASK 0x7800u

#define WIRE_DNS_HEADER_BYTES 12
#define WIRE_EDNS_DO 0x8000u

enum wire_section { WIRE_ANSWER = 0, WIRE_AUTHORITY = 1, WIRE_ADDITIONAL = 2 };

/* How names are compressed (RFC 1035 section 4.1.4). */
enum wire_compress {
    WIRE_COMPRESS_DEFAULT = 0,
    WIRE_COMPRESS_NONE, /* no pointers anywhere */
    WIRE_COMPRESS_RFC,  /* owners, question, and RDATA names of the
                           RFC 1035 types listed in RFC 3597 section 4 */
    WIRE_COMPRESS_MAX,  /* also RDATA names of every other type */
};

/* What to do with a reply longer than the size limit. */
enum wire_overflow {
    WIRE_OVERFLOW_DEFAULT = 0,
    WIRE_OVERFLOW_TC_EMPTY,   /* TC=1, no records */
    WIRE_OVERFLOW_TC_WHOLE,   /* TC=1, the whole RRsets that fit */
    WIRE_OVERFLOW_TC_PARTIAL, /* TC=1, the records that fit */
    WIRE_OVERFLOW_CUT,        /* TC=0, the records that fit, counts match */
    WIRE_OVERFLOW_CUT_RAW,    /* TC=0, bytes cut at the limit, counts kept */
    WIRE_OVERFLOW_DROP,       /* no reply */
};

/* A reply message before encoding.  The message owns every pointer. */
struct wire_msg {
    uint16_t id;
    uint16_t flags; /* WIRE_FLAG_* and opcode, no rcode bits */
    uint16_t rcode; /* 12-bit extended rcode; the high 8 bits need OPT */

    bool has_question;
    ldns_rdf *qname;
    uint16_t qtype;
    uint16_t qclass;

    ldns_rr_list *section[3];

    bool has_opt;
    bool opt_in_answer; /* place the OPT last in the answer section */
    uint16_t opt_payload_bytes;
    uint8_t opt_version;
    uint16_t opt_flags;   /* DO bit and the rest of the OPT TTL low word */
    uint8_t *opt_options; /* raw option TLVs, may be NULL */
    size_t opt_options_len;
};

/* A growable byte buffer. */
struct wire_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

/* Initialise M as an empty message; wire_msg_clear frees what it owns. */
void wire_msg_init(struct wire_msg *m);
void wire_msg_clear(struct wire_msg *m);

void wire_buf_free(struct wire_buf *b);

/*
 * Encode M into OUT (replacing its contents), keeping only the first
 * COUNTS[s] records of each section and the OPT only when INCLUDE_OPT.
 * Returns 0, or -1 when memory runs out.
 */
int wire_encode(const struct wire_msg *m, enum wire_compress mode,
                const size_t counts[3], bool include_opt, bool set_tc,
                struct wire_buf *out);

/*
 * Encode M and fit it into LIMIT_BYTES in the way OVERFLOW selects.  Sets *DROP
 * when the reply must not be sent.  A reply that cannot be made to fit (the
 * header and question alone exceed the limit) is sent with TC=1 and no
 * records for the TC modes.  Returns 0, or -1 when memory runs out.
 */
int wire_encode_fit(const struct wire_msg *m, enum wire_compress mode,
                    size_t limit_bytes, enum wire_overflow overflow,
                    struct wire_buf *out, bool *drop);

#endif
