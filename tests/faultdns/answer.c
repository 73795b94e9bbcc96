#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "qlog.h"

#define RCODE_FORMERR 1
#define RCODE_NXDOMAIN 3
#define RCODE_NOTIMP 4
#define RCODE_REFUSED 5
#define RCODE_BADVERS 16 /* RFC 6891 section 9 */

/* TTL of synthesized records, in seconds. */
#define SYNTH_TTL_S 60

static unsigned long jitter_state = 88172645463325252UL;

void
answer_seed(unsigned long seed)
{
    jitter_state = seed ? seed : 88172645463325252UL;
}

/* xorshift64: a small generator whose sequence depends only on the seed. */
static unsigned long
jitter_next(void)
{
    uint64_t x = jitter_state;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    jitter_state = x;
    return (unsigned long)x;
}

/* What the query carried, for the reply and the log line. */
struct query {
    uint16_t id;
    uint16_t flags;
    ldns_rdf *qname;
    uint16_t qtype;
    uint16_t qclass;
    bool edns;
    uint16_t payload_bytes;
    uint8_t edns_version;
    bool edns_do;
    uint8_t *options; /* raw option TLVs */
    size_t options_len;
};

static void
query_clear(struct query *q)
{
    ldns_rdf_deep_free(q->qname);
    free(q->options);
}

/* Parse MSG into Q.  Returns 0, or -1 for a message that is not a query
 * with exactly one question. */
static int
query_parse(const uint8_t *msg, size_t len, struct query *q)
{
    ldns_pkt *pkt = NULL;
    const ldns_rr *question;
    const ldns_rdf *data;

    memset(q, 0, sizeof(*q));
    if (len >= 4) {
        q->id = (uint16_t)(msg[0] << 8 | msg[1]);
        q->flags = (uint16_t)(msg[2] << 8 | msg[3]);
    }
    if (ldns_wire2pkt(&pkt, msg, len) != LDNS_STATUS_OK)
        return -1;
    if (ldns_pkt_qdcount(pkt) != 1 || ldns_pkt_qr(pkt) ||
        ldns_rr_list_rr_count(ldns_pkt_question(pkt)) != 1) {
        ldns_pkt_free(pkt);
        return -1;
    }
    question = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
    q->qname = ldns_rdf_clone(ldns_rr_owner(question));
    q->qtype = (uint16_t)ldns_rr_get_type(question);
    q->qclass = (uint16_t)ldns_rr_get_class(question);

    q->edns = ldns_pkt_edns(pkt);
    q->payload_bytes = ldns_pkt_edns_udp_size(pkt);
    q->edns_version = ldns_pkt_edns_version(pkt);
    q->edns_do = ldns_pkt_edns_do(pkt);
    data = ldns_pkt_edns_data(pkt);
    if (q->edns && data != NULL && ldns_rdf_size(data) > 0) {
        q->options = malloc(ldns_rdf_size(data));
        if (q->options != NULL) {
            memcpy(q->options, ldns_rdf_data(data), ldns_rdf_size(data));
            q->options_len = ldns_rdf_size(data);
        }
    }
    ldns_pkt_free(pkt);
    return 0;
}

static void
change_case(ldns_rdf *name, enum qcase qcase)
{
    uint8_t *p = ldns_rdf_data(name);
    size_t i;

    /* Length octets are below 64, so only label letters change. */
    for (i = 0; i < ldns_rdf_size(name); i++) {
        if (qcase == QCASE_UPPER || (qcase == QCASE_SWAP && islower(p[i])))
            p[i] = (uint8_t)toupper(p[i]);
        else if (qcase == QCASE_LOWER || (qcase == QCASE_SWAP && isupper(p[i])))
            p[i] = (uint8_t)tolower(p[i]);
    }
}

/* Return a copy of the zone SOA for NAME with OWNER as its owner, or a
 * made-up SOA when no zone contains NAME. */
static ldns_rr *
soa_with_owner(const struct zone_set *zones, const ldns_rdf *name,
               const ldns_rdf *owner)
{
    const ldns_rr *soa = zone_find_soa(zones, name);
    ldns_rr *copy = NULL;

    if (soa != NULL) {
        copy = ldns_rr_clone(soa);
    } else if (ldns_rr_new_frm_str(&copy,
                                   ". 300 IN SOA ns.invalid. "
                                   "hostmaster.invalid. 1 3600 600 86400 300",
                                   0, NULL, NULL) != LDNS_STATUS_OK) {
        return NULL;
    }
    if (copy != NULL) {
        ldns_rdf_deep_free(ldns_rr_owner(copy));
        ldns_rr_set_owner(copy, ldns_rdf_clone(owner));
    }
    return copy;
}

static ldns_rr *
synth_a_record(const ldns_rdf *name, const ldns_rdf *address)
{
    ldns_rr *rr = ldns_rr_new_frm_type(LDNS_RR_TYPE_A);

    if (rr == NULL)
        return NULL;
    ldns_rr_set_owner(rr, ldns_rdf_clone(name));
    ldns_rr_set_ttl(rr, SYNTH_TTL_S);
    ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
    ldns_rr_set_rdf(rr, ldns_rdf_clone(address), 0);
    return rr;
}

/*
 * Fill the records and rcode of M from the zone data, as changed by the
 * rcode, nodata and synth-a faults.
 */
static void
fill_from_zones(const struct zone_set *zones, const struct query *q,
                const struct fault_set *fs, struct wire_msg *m)
{
    ldns_rr_list *answer = m->section[WIRE_ANSWER];
    ldns_rr_list *authority = m->section[WIRE_AUTHORITY];
    const ldns_rr *soa = zone_find_soa(zones, q->qname);
    enum zone_status status;

    if (fs->rcode >= 0) {
        m->rcode = (uint16_t)fs->rcode;
        if (fs->rcode == RCODE_NXDOMAIN && soa != NULL)
            ldns_rr_list_push_rr(authority, ldns_rr_clone(soa));
        if (soa == NULL)
            m->flags &= (uint16_t)~WIRE_FLAG_AA;
        return;
    }

    if (fs->nodata_soa_owner != NULL) {
        /* NODATA whose SOA is owned by a name outside the question's zone. */
        ldns_rr *foreign =
            soa_with_owner(zones, q->qname, fs->nodata_soa_owner);

        if (foreign != NULL)
            ldns_rr_list_push_rr(authority, foreign);
        return;
    }

    status = zone_lookup(zones, q->qname, q->qtype, answer, authority);
    if ((status == ZONE_NXDOMAIN || status == ZONE_NOT_AUTH) &&
        fs->synth_a != NULL && ldns_rr_list_rr_count(answer) == 0) {
        /* NXDOMAIN rewriting: an address for every name that has none. */
        ldns_rr_list_deep_free(authority);
        authority = m->section[WIRE_AUTHORITY] = ldns_rr_list_new();
        if (q->qtype == LDNS_RR_TYPE_A) {
            ldns_rr *rr = synth_a_record(q->qname, fs->synth_a);

            if (rr != NULL)
                ldns_rr_list_push_rr(answer, rr);
        }
        return;
    }

    if (status == ZONE_ANSWER && !fs->no_additional)
        zone_add_additional(zones, answer, m->section[WIRE_ADDITIONAL]);

    switch (status) {
    case ZONE_NOT_AUTH:
        m->rcode = RCODE_REFUSED;
        m->flags &= (uint16_t)~WIRE_FLAG_AA;
        break;
    case ZONE_NXDOMAIN:
        m->rcode = RCODE_NXDOMAIN;
        break;
    case ZONE_ANSWER:
    case ZONE_NODATA:
    default:
        break;
    }
}

/*
 * Apply the EDNS faults to M.  Returns true when the fault decides the
 * whole reply (no zone lookup), false when a normal answer follows.
 */
static bool
apply_edns_fault(const struct query *q, const struct fault_set *fs,
                 struct wire_msg *m, enum reply_action *action)
{
    if (!q->edns)
        return false;

    switch (fs->edns) {
    case EDNS_FAULT_DROP:
        *action = REPLY_DROP;
        return true;
    case EDNS_FAULT_FORMERR:
        m->rcode = RCODE_FORMERR;
        m->has_opt = false;
        return true;
    case EDNS_FAULT_FORMERR_BARE:
        m->rcode = RCODE_FORMERR;
        m->has_opt = false;
        m->has_question = false;
        m->flags &= (uint16_t) ~(WIRE_FLAG_AA | WIRE_FLAG_RD);
        return true;
    case EDNS_FAULT_FORMERR_ECHO:
        if (q->options_len == 0)
            return false;
        m->rcode = RCODE_FORMERR;
        m->opt_payload_bytes = q->payload_bytes;
        m->opt_version = q->edns_version;
        m->opt_options = malloc(q->options_len);
        if (m->opt_options != NULL) {
            memcpy(m->opt_options, q->options, q->options_len);
            m->opt_options_len = q->options_len;
        }
        return true;
    case EDNS_FAULT_BADVERS:
        m->rcode = RCODE_BADVERS;
        return true;
    case EDNS_FAULT_NOTIMP:
        m->rcode = RCODE_NOTIMP;
        m->has_opt = false;
        return true;
    case EDNS_FAULT_OMIT_OPT:
        m->has_opt = false;
        return false;
    case EDNS_FAULT_OPT_IN_ANSWER:
        m->opt_in_answer = true;
        return false;
    case EDNS_FAULT_NONE:
    default:
        break;
    }

    /* RFC 6891 section 6.1.3: a version this server lacks gets BADVERS. */
    if (q->edns_version > 0) {
        m->rcode = RCODE_BADVERS;
        return true;
    }
    return false;
}

static const char *
rcode_name(uint16_t rcode, char *buf, size_t len)
{
    const ldns_lookup_table *entry;

    if (rcode == RCODE_BADVERS)
        return "BADVERS";
    entry = ldns_lookup_by_id(ldns_rcodes, rcode);
    if (entry != NULL)
        return entry->name;
    snprintf(buf, len, "RCODE%u", rcode);
    return buf;
}

static void
format_client(const struct sockaddr *client, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;

    if (client->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)client;

        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
        port = ntohs(sin->sin_port);
    } else if (client->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)client;

        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
        port = ntohs(sin6->sin6_port);
    }
    snprintf(buf, len, "%s#%u", host, port);
}

/* Write the option codes of Q as "10,12", or "none". */
static void
format_options(const struct query *q, char *buf, size_t len)
{
    size_t pos = 0;
    size_t used = 0;

    snprintf(buf, len, "none");
    while (pos + 4 <= q->options_len) {
        unsigned code = (unsigned)(q->options[pos] << 8 | q->options[pos + 1]);
        size_t opt_len =
            (size_t)(q->options[pos + 2] << 8 | q->options[pos + 3]);

        used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
                                 "%s%u", used ? "," : "", code);
        pos += 4 + opt_len;
    }
}

static void
log_query(enum transport transport, const struct sockaddr *client,
          const struct query *q, bool parsed, const struct fault_set *fs,
          const char *outcome, const struct wire_buf *wire, int rcode,
          long delay_ms)
{
    char line[1024];
    char name[300] = "-";
    char type[32] = "-";
    char edns[16] = "none";
    char options[128] = "none";
    char from[INET6_ADDRSTRLEN + 8];
    char reply[128] = "";
    char rcode_buf[16];

    if (parsed) {
        char *text = ldns_rdf2str(q->qname);
        char *type_text = ldns_rr_type2str(q->qtype);

        snprintf(name, sizeof(name), "%s", text ? text : "-");
        snprintf(type, sizeof(type), "%s", type_text ? type_text : "-");
        free(text);
        free(type_text);
        if (q->edns)
            snprintf(edns, sizeof(edns), "%u", q->payload_bytes);
        format_options(q, options, sizeof(options));
    }
    format_client(client, from, sizeof(from));

    if (wire != NULL && wire->len >= WIRE_DNS_HEADER_BYTES) {
        const uint8_t *h = wire->data;

        snprintf(reply, sizeof(reply),
                 " rcode=%s tc=%d an=%u ns=%u ar=%u bytes=%zu delay=%ld",
                 rcode_name(rcode >= 0 ? (uint16_t)rcode : (h[3] & 0x0f),
                            rcode_buf, sizeof(rcode_buf)),
                 (h[2] & 0x02) ? 1 : 0, (unsigned)(h[6] << 8 | h[7]),
                 (unsigned)(h[8] << 8 | h[9]), (unsigned)(h[10] << 8 | h[11]),
                 wire->len, delay_ms);
    }

    snprintf(line, sizeof(line),
             "transport=%s name=%s type=%s edns=%s options=%s do=%d "
             "ednsversion=%u client=%s id=%u reply=%s%s faults=%s",
             transport == TRANSPORT_UDP ? "udp" : "tcp", name, type, edns,
             options, parsed && q->edns_do ? 1 : 0,
             parsed ? q->edns_version : 0, from, q->id, outcome, reply,
             fs->applied[0] ? fs->applied : "none");
    qlog_write(line);
}

/* Set up M as the reply skeleton for Q: header, question and OPT. */
static int
reply_init(const struct query *q, struct wire_msg *m)
{
    wire_msg_init(m);
    m->id = q->id;
    m->flags = WIRE_FLAG_QR | WIRE_FLAG_AA |
               (q->flags & (WIRE_FLAG_RD | WIRE_OPCODE_MASK));
    m->has_question = true;
    m->qname = ldns_rdf_clone(q->qname);
    m->qtype = q->qtype;
    m->qclass = q->qclass;
    m->section[WIRE_ANSWER] = ldns_rr_list_new();
    m->section[WIRE_AUTHORITY] = ldns_rr_list_new();
    m->section[WIRE_ADDITIONAL] = ldns_rr_list_new();
    m->has_opt = q->edns;
    m->opt_payload_bytes = ANSWER_OWN_PAYLOAD_BYTES;
    m->opt_flags = q->edns_do ? WIRE_EDNS_DO : 0;
    if (m->qname == NULL || m->section[0] == NULL || m->section[1] == NULL ||
        m->section[2] == NULL)
        return -1;
    return 0;
}

/* The size limit for this reply: the fault's, else the client's payload
 * over UDP (at least 512, RFC 6891 section 6.2.3) or 65535 over TCP. */
static size_t
reply_limit(const struct query *q, const struct fault_set *fs,
            enum transport transport)
{
    if (fs->limit_bytes >= 0)
        return (size_t)fs->limit_bytes;
    if (transport == TRANSPORT_TCP)
        return 65535;
    if (q->edns && q->payload_bytes > 512)
        return q->payload_bytes;
    return 512;
}

/* Reply FORMERR to a message that is not a usable query, echoing its id. */
static int
answer_malformed(enum transport transport, const struct sockaddr *client,
                 const uint8_t *msg, size_t len, struct query *q,
                 struct reply *out)
{
    struct fault_set none;
    struct wire_msg m;
    size_t counts[3] = {0, 0, 0};
    int rc;

    memset(&none, 0, sizeof(none));
    /* A message too short for a header, or itself a reply, gets nothing. */
    if (len < WIRE_DNS_HEADER_BYTES || (q->flags & WIRE_FLAG_QR)) {
        out->action = REPLY_DROP;
        log_query(transport, client, q, false, &none, "dropped-malformed", NULL,
                  -1, 0);
        return 0;
    }
    wire_msg_init(&m);
    m.id = q->id;
    m.flags = WIRE_FLAG_QR | (q->flags & WIRE_OPCODE_MASK);
    m.rcode = RCODE_FORMERR;
    rc = wire_encode(&m, WIRE_COMPRESS_NONE, counts, false, false, &out->wire);
    out->action = rc == 0 ? REPLY_SEND : REPLY_DROP;
    log_query(transport, client, q, false, &none, "sent", &out->wire, -1, 0);
    (void)msg;
    return rc;
}

int
answer_query(const struct zone_set *zones, struct rule_set *rules,
             enum transport transport, const struct sockaddr *client,
             const uint8_t *msg, size_t len, struct reply *out)
{
    enum reply_action action = REPLY_SEND;
    struct fault_set fs;
    struct wire_msg m;
    struct query q;
    const char *outcome = "sent";
    bool drop = false;
    int rcode;
    int rc = 0;

    out->action = REPLY_DROP;
    out->delay_ms = 0;
    out->wire.len = 0;

    if (query_parse(msg, len, &q) != 0) {
        rc = answer_malformed(transport, client, msg, len, &q, out);
        query_clear(&q);
        return rc;
    }

    /* Only standard queries are implemented (RFC 1035 section 4.1.1). */
    if ((q.flags & WIRE_OPCODE_MASK) != 0) {
        struct wire_msg notimp;
        size_t none[3] = {0, 0, 0};

        memset(&fs, 0, sizeof(fs));
        wire_msg_init(&notimp);
        notimp.id = q.id;
        notimp.flags = WIRE_FLAG_QR | (q.flags & WIRE_OPCODE_MASK);
        notimp.rcode = RCODE_NOTIMP;
        rc = wire_encode(&notimp, WIRE_COMPRESS_NONE, none, false, false,
                         &out->wire);
        if (rc == 0)
            out->action = REPLY_SEND;
        log_query(transport, client, &q, true, &fs, "sent", &out->wire, -1, 0);
        goto done;
    }

    /* Step 1: the faults that apply, merged from every matching rule. */
    rule_set_match(rules, q.qname, q.qtype, transport, &fs);

    /* Step 2: faults that send nothing at all. */
    if (fs.answer_from > 0 && rule_count_attempt(fs.answer_from_rule, q.qname,
                                                 q.qtype) < fs.answer_from) {
        log_query(transport, client, &q, true, &fs, "dropped-attempt", NULL, -1,
                  0);
        goto done;
    }
    if (fs.drop) {
        log_query(transport, client, &q, true, &fs, "dropped", NULL, -1, 0);
        goto done;
    }
    if (transport == TRANSPORT_TCP && fs.tcp == TCP_FAULT_HANG) {
        out->action = REPLY_HANG;
        log_query(transport, client, &q, true, &fs, "hang", NULL, -1, 0);
        goto done;
    }
    if (transport == TRANSPORT_TCP && fs.tcp == TCP_FAULT_CLOSE) {
        out->action = REPLY_CLOSE;
        log_query(transport, client, &q, true, &fs, "closed", NULL, -1, 0);
        goto done;
    }

    /* Step 3: the reply content. */
    if (reply_init(&q, &m) != 0) {
        wire_msg_clear(&m);
        rc = -1;
        goto done;
    }
    if (fs.qcase != QCASE_ASIS)
        change_case(m.qname, fs.qcase);
    if (!apply_edns_fault(&q, &fs, &m, &action))
        fill_from_zones(zones, &q, &fs, &m);
    if (action == REPLY_DROP) {
        wire_msg_clear(&m);
        log_query(transport, client, &q, true, &fs, "dropped", NULL, -1, 0);
        goto done;
    }

    /* Step 4: lies about the header and question. */
    if (fs.wrong_id)
        m.id = (uint16_t)(m.id + 1);
    if (fs.wrong_question != NULL && m.has_question) {
        ldns_rdf_deep_free(m.qname);
        m.qname = ldns_rdf_clone(fs.wrong_question);
    }
    if (transport == TRANSPORT_TCP && fs.tcp == TCP_FAULT_TC)
        m.flags |= WIRE_FLAG_TC;

    /* Step 5: encode within the size limit. */
    rc = wire_encode_fit(&m, fs.compress, reply_limit(&q, &fs, transport),
                         fs.overflow, &out->wire, &drop);
    /* The log shows the extended rcode only when an OPT carries it. */
    rcode = m.has_opt ? m.rcode : (m.rcode & 0x0f);
    wire_msg_clear(&m);
    if (rc != 0 || drop) {
        log_query(transport, client, &q, true, &fs,
                  rc != 0 ? "dropped-nomem" : "dropped-size", NULL, -1, 0);
        goto done;
    }
    out->action = REPLY_SEND;
    out->delay_ms = fs.delay_ms;
    if (fs.jitter_ms > 0)
        out->delay_ms +=
            (long)(jitter_next() % (unsigned long)(fs.jitter_ms + 1));
    log_query(transport, client, &q, true, &fs, outcome, &out->wire, rcode,
              out->delay_ms);

done:
    query_clear(&q);
    return rc;
}
