/*
 * hostcache.h - a small cache of exchange address answers (A and AAAA).
 *
 * Most mail domains share a few providers' exchanges, so once one route
 * lookup resolved an exchange's addresses, the next domain that names the
 * same exchange needs only its MX query.  Entries keep the analyzed
 * answer until its TTL (clamped to ttl_max_s) runs out; failures are not
 * kept.  The table is direct-mapped with a fixed number of slots, so a
 * new entry may replace another: memory stays bounded without an LRU.
 * Event thread only: not locked.
 */
#ifndef MXW_HOSTCACHE_H
#define MXW_HOSTCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"

struct host_cache;

/* Create a cache of slot_count slots (rounded up to a power of two; 0
 * gives NULL, a cache that stores nothing). */
struct host_cache *host_cache_new(unsigned slot_count, uint32_t ttl_max_s);
void host_cache_free(struct host_cache *cache);

/* Copy the answer cached for (name, type) at now_ms into out (free with
 * answer_clear).  Returns false on a miss or when memory ran out. */
bool host_cache_get(struct host_cache *cache, const char *name, uint16_t type,
                    uint64_t now_ms, struct answer *out);

/* Store an answered question's analysis when it is data, NODATA or
 * NXDOMAIN with a TTL above zero. */
void host_cache_put(struct host_cache *cache, const char *name, uint16_t type,
                    const struct answer *answer, uint64_t now_ms);

#endif
