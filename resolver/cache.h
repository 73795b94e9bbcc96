/*
 * cache.h - bounded LRU cache of route results keyed by normalized domain.
 *
 * Entries expire at their TTL.  A positive entry (mx, implicit_mx) stays
 * for a stale window past its TTL.  When a fresh lookup ends in
 * temp_error, the old route is served marked stale (RFC 8767).  The
 * failed refresh is then remembered for the temp_error TTL, and until it
 * passes lookups get the stale route without querying DNS again.  Times are
 * milliseconds from the caller's clock.  Every function is thread-safe: the
 * cache is split into shards, each guarded by its own mutex.
 */
#ifndef MXW_CACHE_H
#define MXW_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "route.h"

struct route_cache;

/* Create a cache for at most capacity entries (0 gives a cache that
 * stores nothing).  stale_window_ms and temp_error_ttl_ms apply to every
 * entry.  Returns NULL when memory runs out. */
struct route_cache *route_cache_new(unsigned capacity, uint64_t stale_window_ms,
                                    uint64_t temp_error_ttl_ms);
void route_cache_free(struct route_cache *cache);

enum cache_lookup {
    CACHE_MISS = 0, /* no usable entry: run a lookup */
    CACHE_FRESH,    /* *out is a hit (cache state "hit") */
    CACHE_STALE,    /* *out is a stale route served during a failed
                       refresh (cache state "stale") */
};

/* Look up domain at now_ms; on FRESH or STALE, *out holds a reference the
 * caller owns.  Moves the entry to the front of its shard's LRU list. */
enum cache_lookup route_cache_get(struct route_cache *cache, const char *domain,
                                  uint64_t now_ms, struct route_result **out);

/*
 * Store the outcome of a lookup that finished at now_ms.  result is the
 * lookup's result (steps are not kept).  A temp_error does not replace a
 * positive entry still inside its stale window.  Instead the failed
 * refresh is remembered, and a stale copy carrying result's steps and
 * reason is returned, owned by the caller.  Otherwise returns NULL.
 * Address literals and invalid names are never stored.  Returns NULL too
 * when memory runs out (nothing is stored then).
 */
struct route_result *route_cache_put(struct route_cache *cache,
                                     const struct route_result *result,
                                     uint64_t now_ms);

/* Return a stale copy of domain's positive entry, with reason set to
 * reason, when the entry is inside its stale window; NULL otherwise. */
struct route_result *route_cache_get_stale(struct route_cache *cache,
                                           const char *domain, uint64_t now_ms,
                                           const char *reason);

/* Entries stored now. */
unsigned route_cache_count(struct route_cache *cache);

#endif
