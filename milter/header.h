/*
 * header.h - the diagnostic headers of one message: one per recipient
 * domain accepted, capped, with a summary of what the cap left out.
 *
 * The values come from decision_header_value (decide.h), which writes
 * only validated names, numbers and fixed words; this module stores
 * them per domain and emits them at end of message. A message with
 * hundreds of recipients gets at most max_entries domain headers and
 * then one summary header:
 *
 *   summary domains_shown=20 domains_not_shown=90
 *   recipients_accepted=250 recipients_not_shown=180 mx=170
 *   implicit_mx=10
 *
 * (one line). Thread safety: none needed; a header_set belongs to one
 * message, whose callbacks libmilter runs one at a time.
 */
#ifndef MXW_HEADER_H
#define MXW_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "route.h"

/* Longest header value kept, with its NUL; longer values are cut. */
#define HEADER_VALUE_MAX 1000
/* Longest domain key kept, with its NUL (RFC 1035 names plus slack for
 * address literals). */
#define HEADER_DOMAIN_MAX 256

/* One recipient domain's header. */
struct header_entry {
    char domain[HEADER_DOMAIN_MAX]; /* key for one header per domain */
    char value[HEADER_VALUE_MAX];
};

struct header_set {
    size_t max_entries;
    size_t count;
    size_t capacity;
    struct header_entry *entries; /* owned, grown on demand */
    unsigned long recipients;     /* every recipient added */
    unsigned long omitted;        /* recipients of domains not shown */
    unsigned long omitted_by_verdict[ROUTE_VERDICT_COUNT];
    uint64_t *omitted_hashes;     /* owned: one hash per domain not shown */
    size_t omitted_domains;
    size_t omitted_capacity;
};

/* Start an empty set that shows at most max_entries domains. */
void header_set_init(struct header_set *set, size_t max_entries);

/* Free the entries; header_set_init makes the set usable again. */
void header_set_free(struct header_set *set);

/*
 * Record one accepted recipient of domain (the normalized domain from
 * the route result) with its header value. A domain already in the set
 * only counts the recipient, so the first recipient's value stands.
 * Past max_entries, or when memory runs out, the recipient is counted
 * as not shown under verdict, and its domain counted once among the
 * domains not shown. A domain or value too long for an entry is cut.
 */
void header_set_add(struct header_set *set, const char *domain,
                    enum route_verdict verdict, const char *value);

/* Called once per header value, in order; returns false to stop. */
typedef bool header_emit_fn(void *arg, const char *value);

/*
 * Emit the header values of set: one per domain in the order the
 * domains were first seen, then the summary when recipients were left
 * out. Returns the number of values emitted.
 */
size_t header_set_emit(const struct header_set *set, header_emit_fn *emit,
                       void *arg);

#endif /* MXW_HEADER_H */
