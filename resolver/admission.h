/*
 * admission.h - the count of route lookups queued for the event thread
 * or in flight on it, checked against max_inflight when a lookup is
 * submitted.
 *
 * A submitting thread enters the normalized domain before it queues a
 * request.  A domain that is already queued or in flight is admitted at
 * once, because the event thread merges it into that lookup.  A new
 * domain, or a lookup confined to one server (which never merges), is
 * admitted only while the count is below the limit.  The count is the
 * number of distinct domains entered plus the confined lookups, so it
 * bounds both the queue and the lookups in flight.
 *
 * Every successful admission_enter holds one reference, released by
 * exactly one admission_leave with the same domain (NULL for a confined
 * lookup).  Every function is thread-safe: one mutex guards the table.
 */
#ifndef MXW_ADMISSION_H
#define MXW_ADMISSION_H

struct admission;

enum admission_status {
    ADMISSION_NEW,    /* counted as one more lookup */
    ADMISSION_MERGED, /* the domain is already queued or in flight */
    ADMISSION_FULL,   /* the count is at the limit: not admitted */
    ADMISSION_NOMEM,  /* out of memory: not admitted */
};

/* Create an empty table admitting at most limit lookups (0 admits only
 * merges).  Returns NULL when memory runs out. */
struct admission *admission_new(unsigned limit);

/* Free the table and every entry left in it.  NULL is a no-op. */
void admission_free(struct admission *admission);

/* Admit a lookup of domain (normalized text), or a lookup confined to
 * one server when domain is NULL.  Only NEW and MERGED hold a
 * reference. */
enum admission_status admission_enter(struct admission *admission,
                                      const char *domain);

/* Release one reference taken by admission_enter with the same domain
 * (or NULL).  The domain stops counting with its last reference.  A
 * domain that holds no reference is ignored. */
void admission_leave(struct admission *admission, const char *domain);

/* Lookups counted now: distinct domains plus confined lookups. */
unsigned admission_count(struct admission *admission);

#endif
