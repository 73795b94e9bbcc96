/*
 * classify.h - the route verdict rules as pure functions.
 *
 * Answers are analyzed one question at a time: the CNAME chain, the
 * records at its end, and the negative TTL from the SOA.  Exchanges are
 * judged from their A and AAAA outcomes.  The verdict follows RFC 5321
 * section 5.1, RFC 7505 (null MX), RFC 8020 (NXDOMAIN means nothing
 * exists below) and RFC 2308 (negative caching).  Nothing here
 * touches the network, a clock or a lock.
 */
#ifndef MXW_CLASSIFY_H
#define MXW_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnsmsg.h"
#include "route.h"

enum answer_kind {
    ANSWER_DATA = 0,      /* records of the asked type at the chain end */
    ANSWER_NODATA,        /* NOERROR and none (RFC 2308 NODATA) */
    ANSWER_NXDOMAIN,      /* the chain end does not exist */
    ANSWER_CNAME_PENDING, /* chain ends at a name the reply does not
                             answer for; ask again for final_name */
    ANSWER_CNAME_LOOP,    /* a name repeats in the chain */
    ANSWER_CNAME_CHAIN,   /* more links than the budget allows */
    ANSWER_BAD_RCODE,     /* an rcode that is no answer (SERVFAIL, ...) */
};

struct answer_item {
    uint16_t preference; /* MX */
    char *name;          /* MX exchange ("" for the root) */
    int family;          /* AF_INET or AF_INET6 for A and AAAA */
    unsigned char addr[16];
    uint32_t ttl;
};

struct answer {
    enum answer_kind kind;
    int rcode;
    char *final_name;     /* end of the CNAME chain (heap) */
    unsigned cname_links; /* links followed in this reply */
    uint32_t ttl_s;       /* min TTL of the chain and the data, or the
                             negative TTL when neg_ttl_known */
    bool neg_ttl_known;   /* NODATA/NXDOMAIN carried an SOA */
    size_t count;
    struct answer_item *items; /* heap */
};

/*
 * Analyze a validated reply to (qname, qtype): follow CNAMEs in the answer
 * section from qname with at most cname_budget links, collect the records
 * of qtype owned by the chain end, and derive the TTL.  Returns 0, or -1
 * when memory ran out.  Free with answer_clear.
 */
int answer_analyze(const struct dns_reply *reply, const char *qname,
                   uint16_t qtype, unsigned cname_budget, struct answer *out);
void answer_clear(struct answer *answer);

/* Outcome of a question (name, type) after the whole ladder. */
struct question_outcome {
    bool answered;        /* a definitive reply was accepted */
    const char *error;    /* static word when not answered */
    struct answer answer; /* valid when answered */
    unsigned cname_links; /* links over every re-ask of this question */
    int server_index;     /* server of the last step, -1 when none ran */
    bool from_cache;      /* answer copied from the exchange cache */
    int rcode;            /* rcode of the last reply, ROUTE_RCODE_NONE */
};

/* Class of a single address for mail delivery.  IPv4-mapped IPv6
 * addresses (::ffff:a.b.c.d) get the class of the IPv4 address. */
enum address_class {
    ADDRESS_USABLE = 0,
    ADDRESS_LOOPBACK,       /* 127.0.0.0/8 (except below) and ::1 */
    ADDRESS_UNSPECIFIED,    /* 0.0.0.0 and :: */
    ADDRESS_NAME_COLLISION, /* 127.0.53.53 (ICANN name collision) */
    ADDRESS_MULTICAST,      /* 224.0.0.0/4 and ff00::/8: SMTP runs over
                               TCP, which has no multicast */
    ADDRESS_BROADCAST,      /* 255.255.255.255, the limited broadcast */
};
enum address_class classify_address(int family, const unsigned char *addr);

/* Judgement of one exchange (or of the domain itself for implicit MX). */
struct exchange_eval {
    bool usable;
    bool temporary;           /* not usable because a lookup failed */
    const char *why_unusable; /* static word, NULL when usable */
    const char *lookup_error; /* failure word when temporary */
    uint32_t ttl_s;           /* usable: min TTL of the address records;
                                 otherwise min over every answered
                                 question, negative TTLs included */
    bool ttl_known;
    bool negative_ttl; /* ttl_s came from negative answers only */
};

/* Return the step error word for a TCP connection that failed with errno
 * err, or with 0 for an end of stream before the whole reply:
 * "connection_refused" (ECONNREFUSED), "connection_closed" (the server
 * accepted, then closed or reset: 0, ECONNRESET, EPIPE) or "network". */
const char *classify_tcp_errno(int err);

/* Return the step error word for a UDP socket that failed with errno
 * err: "port_unreachable" (ECONNREFUSED, which Linux reports on a
 * connected UDP socket after an ICMP port unreachable, so nothing
 * listens on that port) or "network". */
const char *classify_udp_errno(int err);

/* Judge a host name before any lookup: returns "ip_literal" or
 * "localhost" when it can never be usable, NULL otherwise. */
const char *classify_exchange_name(const char *name);

/*
 * Judge a host from its A and AAAA outcomes.  An NXDOMAIN for one family
 * and a NOERROR for the other contradict each other (RFC 8020), so unless
 * a usable address was found the host is temporary, "lookup_failed" with
 * lookup_error "nxdomain_contradicted".
 */
void classify_exchange(const struct question_outcome *a,
                       const struct question_outcome *aaaa,
                       struct exchange_eval *out);

/*
 * Judge the domain itself after a NOERROR/NODATA answer for its MX, from
 * its A and AAAA outcomes: as classify_exchange, except that an NXDOMAIN
 * for both families contradicts the NOERROR for MX, which makes the host
 * temporary with lookup_error "nxdomain_contradicted".
 */
void classify_implicit_host(const struct question_outcome *a,
                            const struct question_outcome *aaaa,
                            struct exchange_eval *out);

/* Next step of a route lookup after the MX answer. */
enum mx_plan {
    MX_PLAN_EXCHANGES = 0,  /* resolve the exchanges in the answer */
    MX_PLAN_NULL_MX,        /* verdict null_mx */
    MX_PLAN_IMPLICIT,       /* NODATA: resolve the domain's A/AAAA */
    MX_PLAN_CHECK_NXDOMAIN, /* NXDOMAIN: ask A to rule out a contradiction */
    MX_PLAN_TEMP_ERROR,     /* reason names why */
    MX_PLAN_NO_MAIL_HOSTS,  /* only root targets that are not a null MX */
};

/* Decide the next step from the MX question's outcome.  Sets *reason for
 * TEMP_ERROR and NO_MAIL_HOSTS.  For EXCHANGES, the usable MX items are
 * those with a non-empty name (null MX records mixed with real ones are
 * ignored, RFC 7505 section 3). */
enum mx_plan classify_mx(const struct question_outcome *mx,
                         const char **reason);

/* TTL bounds from the configuration. */
struct ttl_limits {
    uint32_t ttl_min_s, ttl_max_s;
    uint32_t negative_ttl_min_s, negative_ttl_max_s;
    uint32_t temp_error_ttl_s;
};

/* Clamp a TTL for a verdict: positive bounds for mx, implicit_mx and
 * null_mx, negative bounds for no_domain and no_mail_hosts (the minimum
 * when no SOA gave one), the temp_error TTL for temp_error, 0 otherwise. */
uint32_t classify_clamp_ttl(const struct ttl_limits *limits,
                            enum route_verdict verdict, uint32_t raw_ttl_s,
                            bool ttl_known);

/*
 * Decide the verdict of an NXDOMAIN for MX from the A question for the
 * same name.  Another NXDOMAIN confirms it: no_domain, unless both
 * answers followed a CNAME chain.  Then the NXDOMAIN is for the chain's
 * last name (RFC 6604 section 3), the domain itself exists, and the
 * verdict is no_mail_hosts "cname_target_nxdomain".  One answer with a
 * chain and one without, or any NOERROR for A (RFC 8020), is a
 * contradiction, a resolver fault, so the verdict is temp_error
 * "nxdomain_contradicted".  A failure leaves it unconfirmed: temp_error
 * with the failure word.
 */
enum route_verdict classify_nxdomain_check(const struct question_outcome *mx,
                                           const struct question_outcome *a,
                                           const char **reason);

/*
 * Decide the verdict from the exchanges' evaluations: any usable one gives
 * mx; otherwise any temporary failure gives temp_error
 * "exchange_lookup_failed"; otherwise no_mail_hosts "no_usable_exchange".
 */
enum route_verdict classify_exchanges(const struct exchange_eval *evals,
                                      size_t count, const char **reason);

/* Decide implicit MX from the domain's own A/AAAA evaluation, made by
 * classify_implicit_host. */
enum route_verdict classify_implicit(const struct exchange_eval *eval,
                                     const char **reason);

#endif
