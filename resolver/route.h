/*
 * route.h - the outcome of a route lookup: verdict, TTL and evidence.
 *
 * A route lookup decides whether mail for a domain has somewhere to go
 * (RFC 5321 section 5.1, RFC 7505).  Its result is a heap object that is
 * immutable once published and reference counted with atomic operations,
 * so the cache and any number of waiting threads share one copy.  Every
 * string and array in it lives as long as the result does.
 */
#ifndef MXW_ROUTE_H
#define MXW_ROUTE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The verdict of one route lookup. */
enum route_verdict {
    ROUTE_MX = 0,          /* an MX RRset with at least one usable exchange */
    ROUTE_IMPLICIT_MX,     /* definitive NODATA for MX, usable A/AAAA */
    ROUTE_NULL_MX,         /* the MX RRset is exactly "0 ." (RFC 7505) */
    ROUTE_NO_DOMAIN,       /* definitive NXDOMAIN */
    ROUTE_NO_MAIL_HOSTS,   /* definitive answers show no usable host */
    ROUTE_TEMP_ERROR,      /* no definitive answer */
    ROUTE_ADDRESS_LITERAL, /* [192.0.2.1] or [IPv6:...]: no DNS applies */
    ROUTE_INVALID,         /* not a valid domain after IDNA conversion */
};
#define ROUTE_VERDICT_COUNT 8

/* The origin of a returned result. */
enum route_cache_state {
    ROUTE_CACHE_MISS = 0, /* a lookup ran for this request */
    ROUTE_CACHE_HIT,      /* a cached result within its TTL */
    ROUTE_CACHE_STALE,    /* an expired positive result served because a
                             fresh lookup ended in temp_error */
};

enum route_transport {
    ROUTE_TRANSPORT_UDP = 0,
    ROUTE_TRANSPORT_TCP,
};

/* Value of rcode fields when no reply arrived. */
#define ROUTE_RCODE_NONE (-1)
/* Value of edns_payload when the query carried no OPT record. */
#define ROUTE_EDNS_NONE 0

/* One DNS exchange: a single query sent to one server on one rung. */
struct route_step {
    const char *name;   /* query name, A-label, no trailing dot */
    uint16_t type;      /* query type (15 MX, 1 A, 28 AAAA, ...) */
    const char *server; /* "192.0.2.53:53" or "[2001:db8::53]:53" */
    enum route_transport transport;
    uint16_t edns_payload; /* advertised UDP payload, or EDNS_NONE */
    int rcode;             /* extended rcode, or ROUTE_RCODE_NONE */
    uint32_t size_bytes;   /* reply size, 0 without a reply */
    uint32_t rtt_ms;       /* send to reply, or to the error */
    uint16_t attempts;     /* ordinal of this step within its
                              question (1 = first), counting the
                              steps of a re-ask after a CNAME too */
    uint16_t answer_count; /* ANCOUNT of an accepted reply */
    const char *error;     /* NULL for an accepted reply, otherwise a
                              static word: "timeout", "mismatch" (a
                              reply with our id but another question
                              was dropped, then the step timed out),
                              "truncated", "malformed",
                              "connection_refused" (TCP),
                              "connection_closed" (TCP: the server
                              accepted the connection, then closed or
                              reset it without a whole reply),
                              "port_unreachable" (UDP: an ICMP port
                              unreachable came back), "network",
                              "formerr", "servfail", "notimp",
                              "refused", "badvers", "rcode" (another
                              error rcode), "nomem", "shutdown" */
};

/* One MX exchange and what its address lookups found. */
struct route_exchange {
    const char *name; /* exchange host, A-label, no trailing dot */
    uint16_t preference;
    size_t address_count;
    const char *const *addresses; /* text form of every A/AAAA found */
    /* An address outside the kinds listed below; link-local addresses
     * count as usable. */
    bool usable;
    const char *why_unusable; /* NULL when usable, otherwise a static word:
                                 "ip_literal", "localhost", "nxdomain",
                                 "nodata", "loopback_only",
                                 "unspecified_only", "multicast_only"
                                 (224.0.0.0/4, ff00::/8),
                                 "broadcast_only" (255.255.255.255),
                                 "no_usable_address" (unusable addresses
                                 of more than one of those kinds),
                                 "name_collision", "cname_loop",
                                 "lookup_failed" (then lookup_error names
                                 the failure), "not_checked" (over the
                                 exchange limit) */
    const char *lookup_error; /* the failure word when lookup_failed: a
                                 step error word, "cname_loop",
                                 "cname_chain", or "nxdomain_contradicted"
                                 (NXDOMAIN for one address type and
                                 NOERROR for the other, or for the MX) */
};

struct route_result {
    atomic_uint refs; /* private: use route_result_ref/unref */
    enum route_verdict verdict;
    enum route_cache_state cache;
    uint32_t ttl_s;     /* TTL bounding the verdict, clamped;
                           0 for results that are not cached */
    const char *domain; /* normalized: lowercase A-label, no
                           trailing dot; canonical text for
                           address literals ("[192.0.2.1]",
                           "[IPv6:2001:db8::1]"); "" when
                           invalid */
    const char *reason; /* static word for non-positive
                           verdicts: temp_error ("timeout",
                           "servfail", "refused", "formerr",
                           "notimp", "badvers", "malformed",
                           "truncated", "mismatch",
                           "connection_refused",
                           "connection_closed",
                           "port_unreachable", "network",
                           "deadline", "inflight_limit",
                           "nomem", "shutdown", "no_server",
                           "nxdomain_contradicted",
                           "cname_loop", "cname_chain",
                           "exchange_lookup_failed"),
                           invalid ("empty", "syntax", "idna",
                           "too_long", "literal"), no_domain
                           ("nxdomain"), no_mail_hosts
                           ("no_usable_exchange", "nodata",
                           "nxdomain", "loopback_only",
                           "unspecified_only", "multicast_only",
                           "broadcast_only", "no_usable_address",
                           "name_collision",
                           "cname_target_nxdomain": the domain
                           is a CNAME to a name that does not
                           exist).  For a stale
                           result, why the fresh lookup failed
                           ("refresh_failed" when it was not
                           retried).  NULL otherwise. */
    const char *server; /* server whose reply decided the
                           verdict, NULL when none did */
    int rcode;          /* that reply's rcode, or RCODE_NONE */
    size_t exchange_count;
    const struct route_exchange *exchanges; /* sorted by preference */
    size_t step_count;
    const struct route_step *steps; /* in the order they ended */
    uint64_t lookup_id; /* identity of the DNS lookup that produced the
                           verdict, unique within one resolver and kept
                           by the cache entry it fills, so a cache hit
                           names the lookup it came from; 0 for results
                           made without a lookup */
    void *priv_;        /* reserved, NULL */
};

/* Return the verdict's name as used in logs and JSON ("mx", "implicit_mx",
 * "null_mx", "no_domain", "no_mail_hosts", "temp_error", "address_literal",
 * "invalid"), or "unknown" for a value outside the enum. */
const char *route_verdict_name(enum route_verdict verdict);

/* Return "miss", "hit" or "stale". */
const char *route_cache_state_name(enum route_cache_state state);

/* Return a DNS rcode's mnemonic ("NOERROR", "SERVFAIL", "BADVERS", ...),
 * NULL for ROUTE_RCODE_NONE, or "UNKNOWN" for a code without a name.
 * Thread-safe. */
const char *route_rcode_name(int rcode);

/* Return a query type's mnemonic ("MX", "A", "AAAA", ...) or "TYPE".
 * Thread-safe. */
const char *route_type_name(uint16_t type);

/* True for mx, implicit_mx and address_literal: there is a mail route. */
bool route_verdict_is_positive(enum route_verdict verdict);

/* Take one more reference.  Any thread may call; NULL is ignored.
 * Returns its argument. */
struct route_result *route_result_ref(struct route_result *result);

/* Drop one reference; the last one frees the result.  Any thread may call;
 * NULL is a no-op. */
void route_result_unref(struct route_result *result);

#endif
