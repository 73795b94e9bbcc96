/*
 * resolver.h - the DNS engine: asynchronous route lookups over c-ares.
 *
 * One event thread owns every c-ares channel.  Any thread may submit a
 * route lookup and wait on its own deadline.  Identical domains in flight
 * are merged into one lookup.  A lookup whose waiters gave up still
 * finishes and fills the cache.  Each configured server gets its own EDNS
 * ladder (payloads, then no EDNS, then TCP) with the working rung
 * remembered for a configured time.  The engine never logs: results carry
 * the evidence and callers decide what to record.
 */
#ifndef MXW_RESOLVER_H
#define MXW_RESOLVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "route.h"

#define RESOLVER_MAX_SERVERS 8
#define RESOLVER_MAX_LADDER 4

/* Monotonic clock in milliseconds, used for cache TTLs, the stale window
 * and rung memory (never for network timeouts, which use the real
 * monotonic clock).  Called from any thread; must be thread-safe. */
typedef uint64_t (*resolver_clock_fn)(void *arg);

/*
 * Observer of every step outcome (one per DNS query sent), for health
 * tracking.  Called on the event thread (during resolver_free, on its
 * caller's thread), never concurrently with itself, before the lookup
 * that owns the step completes.  The step and its
 * strings are valid only during the call.  server_index is the position
 * of the server in resolver_options.servers.  Must not block and must not
 * call back into the resolver except through the submission functions.
 */
typedef void (*resolver_observer_fn)(void *arg, unsigned server_index,
                                     const struct route_step *step);

struct resolver_options {
    /* Servers as "ADDRESS[:PORT]" text, IPv6 in brackets when a port is
     * given ("[::1]:5300"); port 53 by default.  At least one.  Tried in
     * order: a timeout, SERVFAIL, REFUSED or FORMERR moves to the next. */
    const char *servers[RESOLVER_MAX_SERVERS];
    unsigned server_count;

    unsigned step_timeout_ms; /* one query on one rung; default 1000 */
    uint16_t edns_ladder[RESOLVER_MAX_LADDER]; /* payload bytes, largest
                                                  first; default 1232, 512 */
    unsigned edns_ladder_count;                /* 0 = never send EDNS */
    bool tcp_fallback;      /* TCP as the last rung; default true */
    unsigned edns_memory_s; /* remember a lower rung; default 900 */

    unsigned cache_size;         /* cached domains; 0 disables the cache;
                                    default 10000 */
    unsigned ttl_min_s;          /* positive TTL clamp; default 60 */
    unsigned ttl_max_s;          /* default 86400 */
    unsigned negative_ttl_min_s; /* RFC 2308 negative TTL clamp; 30 */
    unsigned negative_ttl_max_s; /* default 3600 */
    unsigned temp_error_ttl_s;   /* default 5; 0 = do not cache */
    unsigned stale_window_s;     /* serve expired positives; default 3600 */

    unsigned host_cache_slots; /* cached exchange address answers
                                  (A/AAAA), shared by route lookups;
                                  default 4096; 0 disables */
    /* Route lookups queued for the event thread or in flight on it,
     * lookups on one server (resolver_route_lookup_on) included; default
     * 1000.  A submission past it completes at once with temp_error
     * "inflight_limit", unless its domain is already queued or in flight
     * and merges into that lookup.  Cache hits, address literals and
     * invalid names are not counted, nor are raw queries.  DNS queries
     * have no cap of their own: a route lookup has at most
     * 2 * max_exchanges of them outstanding at once. */
    unsigned max_inflight;
    unsigned max_exchanges; /* exchanges resolved per domain; 10 */
    unsigned cname_max;     /* CNAME links followed; default 8 */

    resolver_clock_fn clock; /* NULL = CLOCK_MONOTONIC */
    void *clock_arg;
    resolver_observer_fn observer; /* NULL = none */
    void *observer_arg;
};

struct resolver;

/* Fill options with the defaults listed above and no servers. */
void resolver_options_init(struct resolver_options *options);

/*
 * Create a resolver and start its event thread.  The options are copied
 * (server strings too).  Returns NULL on failure with a message in err.
 * c-ares is initialized here with ares_library_init, reference counted by
 * c-ares itself.  The resolver never reads /etc/resolv.conf and uses no
 * search list.
 */
struct resolver *resolver_new(const struct resolver_options *options, char *err,
                              size_t errlen);

/*
 * Stop the event thread and free the resolver.  Lookups still in flight
 * complete with temp_error "shutdown" (asynchronous callbacks run on the
 * calling thread during this call).  No lookup may be submitted
 * concurrently with or after this call.  NULL is a no-op.
 */
void resolver_free(struct resolver *resolver);

/*
 * Look up the mail route of domain, blocking the calling thread at most
 * deadline_ms.  Any thread may call, concurrently.  domain is an envelope
 * domain as text: UTF-8 or A-label, any case, optional trailing dot, or an
 * address literal "[192.0.2.1]" / "[IPv6:2001:db8::1]".  Returns a result
 * the caller owns (route_result_unref when done); never NULL.  When the
 * deadline passes first, returns the stale cached route when there is one,
 * otherwise temp_error "deadline"; the lookup goes on and fills the cache.
 * Past max_inflight, returns temp_error "inflight_limit" without waiting.
 */
struct route_result *resolver_route_lookup(struct resolver *resolver,
                                           const char *domain,
                                           unsigned deadline_ms);

/*
 * Look up the mail route of domain on the server at server_index only,
 * bypassing the cache and the merging of identical lookups, for
 * confirming a negative answer before it becomes a permanent reply.  With
 * tcp_only every query goes over TCP (no EDNS), which rules out a forged
 * or damaged UDP reply.  The result is not cached.  Blocks at most
 * deadline_ms like resolver_route_lookup; never returns NULL.  An invalid
 * server_index returns temp_error "no_server".  The lookup counts against
 * max_inflight and never merges, so past the limit it returns temp_error
 * "inflight_limit" at once.
 */
struct route_result *resolver_route_lookup_on(struct resolver *resolver,
                                              const char *domain,
                                              unsigned server_index,
                                              bool tcp_only,
                                              unsigned deadline_ms);

/*
 * Completion of an asynchronous route lookup.  Called exactly once per
 * submission with a result the callback owns (it must call
 * route_result_unref, possibly later, from any thread).  It runs either on
 * the submitting thread before resolver_route_lookup_async returns (cache
 * hit, literal, invalid name, in-flight limit, out of memory) or on the
 * event thread (lookup done or deadline passed), or during resolver_free.
 * On the event thread it must not block.
 */
typedef void (*resolver_done_fn)(void *arg, struct route_result *result);

/* Start a route lookup; see resolver_route_lookup for domain and the
 * deadline, and resolver_done_fn for the callback contract. */
void resolver_route_lookup_async(struct resolver *resolver, const char *domain,
                                 unsigned deadline_ms, resolver_done_fn done,
                                 void *arg);

/* Outcome of one raw query against one server (for canaries). */
struct resolver_raw_result {
    int status;          /* 0 when a reply was accepted, otherwise -1
                            and step.error says why */
    int rcode;           /* extended rcode or ROUTE_RCODE_NONE */
    bool authoritative;  /* AA bit */
    size_t answer_count; /* records in answers[] */
    char **answers;      /* "owner TTL TYPE RDATA" text of each answer
                            record of a known type (A, AAAA, MX,
                            CNAME, NS, PTR, TXT, SOA), others as
                            "owner TTL TYPEn"; NULL-terminated */
    size_t step_count;
    struct route_step *steps; /* every rung tried on that server */
};

/* Free a raw result and everything in it; NULL is a no-op. */
void resolver_raw_result_free(struct resolver_raw_result *raw);

/*
 * Completion of a raw query: called exactly once on the event thread (or on
 * the submitting thread for invalid input or during resolver_free) with a
 * result the callback owns (resolver_raw_result_free).  The result is NULL
 * only when memory ran out or the resolver was stopping.
 */
typedef void (*resolver_raw_done_fn)(void *arg,
                                     struct resolver_raw_result *raw);

/*
 * Send one question (name, type) to the server at server_index only,
 * running that server's EDNS ladder (TCP on TC=1), and bypassing the
 * cache.  Any thread may call.  Step outcomes also reach the observer.
 * Returns 0 when submitted, -1 for an invalid name or server_index (the
 * callback then ran already with status -1) or when memory ran out or the
 * resolver is stopping (the callback then ran already with NULL).
 */
int resolver_raw_query_async(struct resolver *resolver, unsigned server_index,
                             const char *name, uint16_t type,
                             resolver_raw_done_fn done, void *arg);

/* Blocking form of resolver_raw_query_async; waits at most deadline_ms
 * and returns NULL when it passed.  Caller frees the result. */
struct resolver_raw_result *resolver_raw_query(struct resolver *resolver,
                                               unsigned server_index,
                                               const char *name, uint16_t type,
                                               unsigned deadline_ms);

/* Return the 32-bit FNV-1a hash of a normalized domain, the one the
 * engine's own tables use. Thread-safe. */
uint32_t resolver_domain_hash(const char *domain);

/* Server text of server_index as normalized ("127.0.0.1:53"), or NULL. */
const char *resolver_server_name(const struct resolver *resolver,
                                 unsigned server_index);
unsigned resolver_server_count(const struct resolver *resolver);

/* Counters for metrics; any thread, relaxed reads. */
struct resolver_stats {
    uint64_t lookups; /* route lookups submitted */
    uint64_t cache_hits;
    uint64_t cache_stale;
    uint64_t merged;           /* joined a lookup already in flight */
    uint64_t inflight_limited; /* completed at once past max_inflight */
    uint64_t queries_sent;     /* DNS steps started */
    unsigned inflight;         /* shared route lookups in flight now */
    unsigned admitted;         /* route lookups queued or in flight now,
                                  as counted against max_inflight */
    unsigned cache_entries;
};
void resolver_get_stats(struct resolver *resolver,
                        struct resolver_stats *stats);

#endif
