/*
 * classify.c - verdict rules for route lookups.
 */
#include "config.h"

#include "classify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "name.h"

void
answer_clear(struct answer *answer)
{
    for (size_t i = 0; i < answer->count; i++)
        free(answer->items[i].name);
    free(answer->items);
    free(answer->final_name);
    memset(answer, 0, sizeof(*answer));
}

static uint32_t
min32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* Find the CNAME owned by name in the answer section. */
static const struct dns_rr *
find_cname(const struct dns_reply *reply, const char *name)
{
    for (size_t i = 0; i < reply->rr_count; i++) {
        const struct dns_rr *rr = &reply->rrs[i];

        if (rr->section == DNS_ANSWER && rr->type == DNS_TYPE_CNAME &&
            rr->rclass == DNS_CLASS_IN && strcmp(rr->owner, name) == 0)
            return rr;
    }
    return NULL;
}

int
answer_analyze(const struct dns_reply *reply, const char *qname, uint16_t qtype,
               unsigned cname_budget, struct answer *out)
{
    const char *seen[32];
    size_t seen_count = 0;
    const char *current = qname;
    uint32_t ttl = UINT32_MAX;
    size_t count = 0;

    memset(out, 0, sizeof(*out));
    out->rcode = reply->rcode;

    if (reply->rcode != DNS_RCODE_NOERROR &&
        reply->rcode != DNS_RCODE_NXDOMAIN) {
        out->kind = ANSWER_BAD_RCODE;
        out->final_name = strdup(qname);
        return out->final_name ? 0 : -1;
    }

    /* Follow the chain: each link must start at the previous target, and
     * a name seen twice is a loop. */
    seen[seen_count++] = qname;
    for (;;) {
        const struct dns_rr *cname = find_cname(reply, current);

        if (!cname)
            break;
        for (size_t i = 0; i < seen_count; i++) {
            if (strcmp(seen[i], cname->target) == 0) {
                out->kind = ANSWER_CNAME_LOOP;
                out->final_name = strdup(cname->target);
                return out->final_name ? 0 : -1;
            }
        }
        if (out->cname_links >= cname_budget ||
            seen_count == sizeof(seen) / sizeof(seen[0])) {
            out->kind = ANSWER_CNAME_CHAIN;
            out->final_name = strdup(cname->target);
            return out->final_name ? 0 : -1;
        }
        out->cname_links++;
        ttl = min32(ttl, cname->ttl);
        current = cname->target;
        seen[seen_count++] = current;
    }
    out->final_name = strdup(current);
    if (!out->final_name)
        return -1;

    for (size_t i = 0; i < reply->rr_count; i++) {
        const struct dns_rr *rr = &reply->rrs[i];

        if (rr->section == DNS_ANSWER && rr->type == qtype &&
            rr->rclass == DNS_CLASS_IN && strcmp(rr->owner, current) == 0)
            count++;
    }

    if (count > 0) {
        out->items = calloc(count, sizeof(*out->items));
        if (!out->items)
            goto nomem;
        for (size_t i = 0; i < reply->rr_count; i++) {
            const struct dns_rr *rr = &reply->rrs[i];
            struct answer_item *item = &out->items[out->count];

            if (rr->section != DNS_ANSWER || rr->type != qtype ||
                rr->rclass != DNS_CLASS_IN || strcmp(rr->owner, current))
                continue;
            item->ttl = rr->ttl;
            ttl = min32(ttl, rr->ttl);
            if (qtype == DNS_TYPE_MX) {
                item->preference = rr->preference;
                item->name = strdup(rr->target);
                if (!item->name)
                    goto nomem;
            } else if (qtype == DNS_TYPE_A) {
                item->family = AF_INET;
                memcpy(item->addr, rr->addr, 4);
            } else if (qtype == DNS_TYPE_AAAA) {
                item->family = AF_INET6;
                memcpy(item->addr, rr->addr, 16);
            }
            out->count++;
        }
        out->kind = ANSWER_DATA;
        out->ttl_s = ttl;
        return 0;
    }

    /* Negative answer: RFC 2308 section 5, the TTL is the lesser of the
     * SOA's own TTL and its MINIMUM field. */
    for (size_t i = 0; i < reply->rr_count; i++) {
        const struct dns_rr *rr = &reply->rrs[i];

        if (rr->section == DNS_AUTHORITY && rr->type == DNS_TYPE_SOA &&
            rr->rclass == DNS_CLASS_IN) {
            out->neg_ttl_known = true;
            ttl = min32(ttl, min32(rr->ttl, rr->soa_minimum));
            break;
        }
    }
    out->ttl_s = ttl == UINT32_MAX ? 0 : ttl;

    if (reply->rcode == DNS_RCODE_NXDOMAIN)
        out->kind = ANSWER_NXDOMAIN;
    else if (out->cname_links > 0 && !out->neg_ttl_known)
        out->kind = ANSWER_CNAME_PENDING;
    else
        out->kind = ANSWER_NODATA;
    return 0;

nomem:
    answer_clear(out);
    return -1;
}

enum address_class
classify_address(int family, const unsigned char *addr)
{
    static const unsigned char zero[16];
    static const unsigned char v6_loopback[16] = {[15] = 1};

    static const unsigned char broadcast[4] = {255, 255, 255, 255};

    /* NOTE: link-local addresses (169.254.0.0/16, fe80::/10) count as
     * usable, although they reach only the sender's own link.  Private
     * and other reserved ranges count as usable too. */
    if (family == AF_INET) {
        if (addr[0] == 127 && addr[1] == 0 && addr[2] == 53 && addr[3] == 53)
            return ADDRESS_NAME_COLLISION;
        if (addr[0] == 127)
            return ADDRESS_LOOPBACK;
        if (memcmp(addr, zero, 4) == 0)
            return ADDRESS_UNSPECIFIED;
        if ((addr[0] & 0xf0) == 0xe0)
            return ADDRESS_MULTICAST;
        if (memcmp(addr, broadcast, 4) == 0)
            return ADDRESS_BROADCAST;
        return ADDRESS_USABLE;
    }
    if (memcmp(addr, zero, 16) == 0)
        return ADDRESS_UNSPECIFIED;
    if (memcmp(addr, v6_loopback, 16) == 0)
        return ADDRESS_LOOPBACK;
    if (addr[0] == 0xff)
        return ADDRESS_MULTICAST;
    /* IPv4-mapped addresses are judged as the IPv4 address they carry. */
    if (memcmp(addr, zero, 10) == 0 && addr[10] == 0xff && addr[11] == 0xff)
        return classify_address(AF_INET, addr + 12);
    return ADDRESS_USABLE;
}

const char *
classify_tcp_errno(int err)
{
    switch (err) {
    case ECONNREFUSED:
        return "connection_refused";
    case 0:
    case ECONNRESET:
    case EPIPE:
        return "connection_closed";
    default:
        return "network";
    }
}

const char *
classify_udp_errno(int err)
{
    return err == ECONNREFUSED ? "port_unreachable" : "network";
}

const char *
classify_exchange_name(const char *name)
{
    if (name_is_ip_literal(name))
        return "ip_literal";
    if (name_is_localhost(name))
        return "localhost";
    return NULL;
}

static bool
outcome_failed(const struct question_outcome *q)
{
    if (!q->answered)
        return true;
    return q->answer.kind == ANSWER_CNAME_LOOP ||
           q->answer.kind == ANSWER_CNAME_CHAIN ||
           q->answer.kind == ANSWER_CNAME_PENDING ||
           q->answer.kind == ANSWER_BAD_RCODE;
}

static const char *
outcome_error(const struct question_outcome *q)
{
    if (!q->answered)
        return q->error ? q->error : "timeout";
    switch (q->answer.kind) {
    case ANSWER_CNAME_LOOP:
        return "cname_loop";
    case ANSWER_CNAME_CHAIN:
    case ANSWER_CNAME_PENDING:
        return "cname_chain";
    default:
        return "malformed";
    }
}

void
classify_exchange(const struct question_outcome *a,
                  const struct question_outcome *aaaa,
                  struct exchange_eval *out)
{
    const struct question_outcome *qs[2] = {a, aaaa};
    unsigned found = 0, loopback = 0, unspecified = 0, collision = 0;
    unsigned multicast = 0, broadcast = 0, kinds;
    unsigned nxdomain = 0, noerror = 0;
    const char *failure = NULL;
    bool any_data_ttl = false;
    uint32_t data_ttl = UINT32_MAX;

    memset(out, 0, sizeof(*out));
    out->ttl_s = UINT32_MAX;

    for (size_t q = 0; q < 2; q++) {
        const struct question_outcome *o = qs[q];

        if (!o)
            continue;
        if (outcome_failed(o)) {
            if (!failure)
                failure = outcome_error(o);
            continue;
        }
        if (o->answer.kind == ANSWER_NXDOMAIN)
            nxdomain++;
        else
            noerror++;
        if (o->answer.kind == ANSWER_DATA || o->answer.neg_ttl_known) {
            out->ttl_s = min32(out->ttl_s, o->answer.ttl_s);
            out->ttl_known = true;
            if (o->answer.kind == ANSWER_DATA) {
                any_data_ttl = true;
                data_ttl = min32(data_ttl, o->answer.ttl_s);
            }
        }
        for (size_t i = 0; i < o->answer.count; i++) {
            const struct answer_item *item = &o->answer.items[i];

            found++;
            switch (classify_address(item->family, item->addr)) {
            case ADDRESS_USABLE:
                out->usable = true;
                break;
            case ADDRESS_LOOPBACK:
                loopback++;
                break;
            case ADDRESS_UNSPECIFIED:
                unspecified++;
                break;
            case ADDRESS_NAME_COLLISION:
                collision++;
                break;
            case ADDRESS_MULTICAST:
                multicast++;
                break;
            case ADDRESS_BROADCAST:
                broadcast++;
                break;
            }
        }
    }
    out->negative_ttl = out->ttl_known && !any_data_ttl;
    if (!out->ttl_known)
        out->ttl_s = 0;

    /* One usable address is enough, even when the other family failed
     * or got NXDOMAIN, because some servers return NXDOMAIN for AAAA of
     * a name with A records (RFC 4074).  The route lasts as long as the
     * address records: the other family's negative answer does not
     * bound it. */
    if (out->usable) {
        out->ttl_s = data_ttl;
        return;
    }

    /* RFC 8020: NXDOMAIN means the name does not exist, so a NOERROR for
     * the same name makes the negative answer untrustworthy. */
    if (!failure && nxdomain > 0 && noerror > 0)
        failure = "nxdomain_contradicted";
    if (failure) {
        out->temporary = true;
        out->why_unusable = "lookup_failed";
        out->lookup_error = failure;
        return;
    }

    /* The ICANN name collision address wins over every other kind.
     * Otherwise the word names the one kind of unusable address found,
     * or is "no_usable_address" for several kinds. */
    kinds =
        (loopback > 0) + (unspecified > 0) + (multicast > 0) + (broadcast > 0);
    if (found == 0)
        out->why_unusable = nxdomain > 0 ? "nxdomain" : "nodata";
    else if (collision > 0)
        out->why_unusable = "name_collision";
    else if (kinds > 1)
        out->why_unusable = "no_usable_address";
    else if (loopback > 0)
        out->why_unusable = "loopback_only";
    else if (unspecified > 0)
        out->why_unusable = "unspecified_only";
    else if (multicast > 0)
        out->why_unusable = "multicast_only";
    else
        out->why_unusable = "broadcast_only";
}

void
classify_implicit_host(const struct question_outcome *a,
                       const struct question_outcome *aaaa,
                       struct exchange_eval *out)
{
    classify_exchange(a, aaaa, out);

    /* The MX question already got NOERROR for this name, so NXDOMAIN for
     * both address families contradicts it (RFC 8020). */
    if (!out->usable && !out->temporary && out->why_unusable &&
        strcmp(out->why_unusable, "nxdomain") == 0) {
        out->temporary = true;
        out->why_unusable = "lookup_failed";
        out->lookup_error = "nxdomain_contradicted";
    }
}

enum mx_plan
classify_mx(const struct question_outcome *mx, const char **reason)
{
    const struct answer *an = &mx->answer;
    size_t real = 0;

    *reason = NULL;
    if (!mx->answered) {
        *reason = mx->error ? mx->error : "timeout";
        return MX_PLAN_TEMP_ERROR;
    }
    switch (an->kind) {
    case ANSWER_NXDOMAIN:
        return MX_PLAN_CHECK_NXDOMAIN;
    case ANSWER_NODATA:
        /* RFC 5321 section 5.1: only a definitive "no MX RRset" allows
         * the implicit MX. */
        return MX_PLAN_IMPLICIT;
    case ANSWER_CNAME_LOOP:
        *reason = "cname_loop";
        return MX_PLAN_TEMP_ERROR;
    case ANSWER_CNAME_CHAIN:
    case ANSWER_CNAME_PENDING:
        *reason = "cname_chain";
        return MX_PLAN_TEMP_ERROR;
    case ANSWER_BAD_RCODE:
        *reason = "malformed";
        return MX_PLAN_TEMP_ERROR;
    case ANSWER_DATA:
        break;
    }

    /* RFC 7505 section 3: a null MX is the only record of its RRset. */
    if (an->count == 1 && an->items[0].preference == 0 &&
        an->items[0].name[0] == '\0')
        return MX_PLAN_NULL_MX;
    for (size_t i = 0; i < an->count; i++) {
        if (an->items[i].name[0] != '\0')
            real++;
    }
    if (real == 0) {
        *reason = "no_usable_exchange";
        return MX_PLAN_NO_MAIL_HOSTS;
    }
    return MX_PLAN_EXCHANGES;
}

uint32_t
classify_clamp_ttl(const struct ttl_limits *limits, enum route_verdict verdict,
                   uint32_t raw_ttl_s, bool ttl_known)
{
    uint32_t lo, hi;

    switch (verdict) {
    case ROUTE_MX:
    case ROUTE_IMPLICIT_MX:
    case ROUTE_NULL_MX:
        lo = limits->ttl_min_s;
        hi = limits->ttl_max_s;
        break;
    case ROUTE_NO_DOMAIN:
    case ROUTE_NO_MAIL_HOSTS:
        lo = limits->negative_ttl_min_s;
        hi = limits->negative_ttl_max_s;
        if (!ttl_known)
            return lo;
        break;
    case ROUTE_TEMP_ERROR:
        return limits->temp_error_ttl_s;
    default:
        return 0;
    }
    if (hi < lo)
        hi = lo;
    if (raw_ttl_s < lo)
        return lo;
    if (raw_ttl_s > hi)
        return hi;
    return raw_ttl_s;
}

/* True when the answer came through at least one CNAME link, in this
 * reply or in an earlier one of the same question. */
static bool
outcome_followed_cname(const struct question_outcome *q)
{
    return q->cname_links > 0 || q->answer.cname_links > 0;
}

enum route_verdict
classify_nxdomain_check(const struct question_outcome *mx,
                        const struct question_outcome *a, const char **reason)
{
    if (outcome_failed(a)) {
        *reason = outcome_error(a);
        return ROUTE_TEMP_ERROR;
    }
    if (a->answer.kind == ANSWER_NXDOMAIN) {
        bool mx_chain = outcome_followed_cname(mx);
        bool a_chain = outcome_followed_cname(a);

        if (!mx_chain && !a_chain) {
            *reason = "nxdomain";
            return ROUTE_NO_DOMAIN;
        }
        if (mx_chain && a_chain) {
            /* A dangling CNAME: the domain exists, its target does not. */
            *reason = "cname_target_nxdomain";
            return ROUTE_NO_MAIL_HOSTS;
        }
        /* The domain is a CNAME in one answer and missing in the other. */
        *reason = "nxdomain_contradicted";
        return ROUTE_TEMP_ERROR;
    }
    /* RFC 8020: a name with records of any type cannot be NXDOMAIN. */
    *reason = "nxdomain_contradicted";
    return ROUTE_TEMP_ERROR;
}

enum route_verdict
classify_exchanges(const struct exchange_eval *evals, size_t count,
                   const char **reason)
{
    bool temporary = false;

    for (size_t i = 0; i < count; i++) {
        if (evals[i].usable) {
            *reason = NULL;
            return ROUTE_MX;
        }
        if (evals[i].temporary)
            temporary = true;
    }
    if (temporary) {
        *reason = "exchange_lookup_failed";
        return ROUTE_TEMP_ERROR;
    }
    *reason = "no_usable_exchange";
    return ROUTE_NO_MAIL_HOSTS;
}

enum route_verdict
classify_implicit(const struct exchange_eval *eval, const char **reason)
{
    if (eval->usable) {
        *reason = NULL;
        return ROUTE_IMPLICIT_MX;
    }
    if (eval->temporary) {
        *reason = eval->lookup_error;
        return ROUTE_TEMP_ERROR;
    }
    *reason = eval->why_unusable;
    return ROUTE_NO_MAIL_HOSTS;
}
