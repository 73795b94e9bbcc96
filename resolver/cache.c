/*
 * cache.c - sharded LRU cache of route results.
 */
#include "config.h"

#include "cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "result.h"

struct cache_entry {
    struct cache_entry *hash_next;
    struct cache_entry *lru_prev, *lru_next;
    uint32_t hash;
    uint64_t expires_ms;              /* end of the TTL */
    uint64_t stale_until_ms;          /* end of the stale window (positives) */
    uint64_t refresh_failed_until_ms; /* serve stale without DNS until */
    struct route_result *result;      /* cache state "hit", no steps */
};

struct cache_shard {
    pthread_mutex_t lock; /* guards every field of the shard */
    struct cache_entry **buckets;
    size_t bucket_count;    /* power of two */
    struct cache_entry lru; /* sentinel: lru.lru_next is most recent */
    unsigned count;
    unsigned capacity;
};

struct route_cache {
    struct cache_shard *shards;
    unsigned shard_count; /* power of two */
    uint64_t stale_window_ms;
    uint64_t temp_error_ttl_ms;
    atomic_uint total;
};

/* FNV-1a: domains are short and already lowercase. */
static uint32_t
hash_domain(const char *s)
{
    uint32_t h = 2166136261u;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

struct route_cache *
route_cache_new(unsigned capacity, uint64_t stale_window_ms,
                uint64_t temp_error_ttl_ms)
{
    struct route_cache *cache = calloc(1, sizeof(*cache));
    unsigned shards = 1;

    if (!cache)
        return NULL;
    /* Small caches keep one shard so the LRU bound stays exact; large ones
     * spread the lock over up to 64 shards. */
    while (shards < 64 && capacity / (shards * 2) >= 256)
        shards *= 2;
    cache->shard_count = shards;
    cache->stale_window_ms = stale_window_ms;
    cache->temp_error_ttl_ms = temp_error_ttl_ms;
    atomic_init(&cache->total, 0);
    cache->shards = calloc(shards, sizeof(*cache->shards));
    if (!cache->shards) {
        free(cache);
        return NULL;
    }
    for (unsigned i = 0; i < shards; i++) {
        struct cache_shard *s = &cache->shards[i];
        size_t buckets = 16;

        s->capacity = (capacity + shards - 1) / shards;
        while (buckets < s->capacity)
            buckets *= 2;
        s->bucket_count = buckets;
        s->buckets = calloc(buckets, sizeof(*s->buckets));
        pthread_mutex_init(&s->lock, NULL);
        s->lru.lru_next = s->lru.lru_prev = &s->lru;
        if (!s->buckets) {
            cache->shard_count = i + 1;
            route_cache_free(cache);
            return NULL;
        }
    }
    return cache;
}

static void
entry_free(struct cache_entry *e)
{
    route_result_unref(e->result);
    free(e);
}

void
route_cache_free(struct route_cache *cache)
{
    if (!cache)
        return;
    for (unsigned i = 0; i < cache->shard_count; i++) {
        struct cache_shard *s = &cache->shards[i];
        struct cache_entry *e = s->lru.lru_next;

        while (e && e != &s->lru) {
            struct cache_entry *next = e->lru_next;

            entry_free(e);
            e = next;
        }
        free(s->buckets);
        pthread_mutex_destroy(&s->lock);
    }
    free(cache->shards);
    free(cache);
}

static struct cache_shard *
shard_of(struct route_cache *cache, uint32_t hash)
{
    return &cache->shards[(hash >> 24) & (cache->shard_count - 1)];
}

static struct cache_entry **
find_slot_locked(struct cache_shard *s, const char *domain, uint32_t hash)
{
    struct cache_entry **slot = &s->buckets[hash & (s->bucket_count - 1)];

    for (; *slot; slot = &(*slot)->hash_next) {
        if ((*slot)->hash == hash &&
            strcmp((*slot)->result->domain, domain) == 0)
            return slot;
    }
    return slot;
}

static void
lru_unlink(struct cache_entry *e)
{
    e->lru_prev->lru_next = e->lru_next;
    e->lru_next->lru_prev = e->lru_prev;
}

static void
lru_push_front_locked(struct cache_shard *s, struct cache_entry *e)
{
    e->lru_next = s->lru.lru_next;
    e->lru_prev = &s->lru;
    s->lru.lru_next->lru_prev = e;
    s->lru.lru_next = e;
}

static void
remove_locked(struct route_cache *cache, struct cache_shard *s,
              struct cache_entry **slot)
{
    struct cache_entry *e = *slot;

    *slot = e->hash_next;
    lru_unlink(e);
    s->count--;
    atomic_fetch_sub_explicit(&cache->total, 1, memory_order_relaxed);
    entry_free(e);
}

/* Copy a cached positive result as stale, optionally with the failed
 * refresh's steps and reason. */
static struct route_result *
stale_copy(const struct route_result *cached, const struct route_result *failed,
           const char *reason)
{
    struct route_result src = *cached;

    if (failed) {
        src.steps = failed->steps;
        src.step_count = failed->step_count;
    }
    src.reason = reason;
    return route_result_pack(&src, ROUTE_CACHE_STALE, failed != NULL);
}

enum cache_lookup
route_cache_get(struct route_cache *cache, const char *domain, uint64_t now_ms,
                struct route_result **out)
{
    uint32_t hash = hash_domain(domain);
    struct cache_shard *s = shard_of(cache, hash);
    struct cache_entry **slot;
    struct cache_entry *e;
    enum cache_lookup status = CACHE_MISS;

    *out = NULL;
    pthread_mutex_lock(&s->lock);
    slot = find_slot_locked(s, domain, hash);
    e = *slot;
    if (!e)
        goto done;
    if (now_ms < e->expires_ms) {
        *out = route_result_ref(e->result);
        status = CACHE_FRESH;
    } else if (now_ms < e->stale_until_ms) {
        if (now_ms < e->refresh_failed_until_ms) {
            *out = stale_copy(e->result, NULL, "refresh_failed");
            status = *out ? CACHE_STALE : CACHE_MISS;
        }
    } else {
        remove_locked(cache, s, slot);
        goto done;
    }
    lru_unlink(e);
    lru_push_front_locked(s, e);
done:
    pthread_mutex_unlock(&s->lock);
    return status;
}

struct route_result *
route_cache_get_stale(struct route_cache *cache, const char *domain,
                      uint64_t now_ms, const char *reason)
{
    uint32_t hash = hash_domain(domain);
    struct cache_shard *s = shard_of(cache, hash);
    struct cache_entry *e;
    struct route_result *out = NULL;

    pthread_mutex_lock(&s->lock);
    e = *find_slot_locked(s, domain, hash);
    if (e && now_ms >= e->expires_ms && now_ms < e->stale_until_ms)
        out = stale_copy(e->result, NULL, reason);
    pthread_mutex_unlock(&s->lock);
    return out;
}

struct route_result *
route_cache_put(struct route_cache *cache, const struct route_result *result,
                uint64_t now_ms)
{
    uint32_t hash;
    struct cache_shard *s;
    struct cache_entry **slot;
    struct cache_entry *e;
    struct route_result *copy;
    struct route_result *stale = NULL;
    bool temp = result->verdict == ROUTE_TEMP_ERROR;

    if (result->verdict == ROUTE_ADDRESS_LITERAL ||
        result->verdict == ROUTE_INVALID || !result->domain ||
        result->domain[0] == '\0')
        return NULL;
    hash = hash_domain(result->domain);
    s = shard_of(cache, hash);

    /* Pack outside the lock; most puts store the copy. */
    copy = route_result_pack(result, ROUTE_CACHE_HIT, false);
    if (!copy)
        return NULL;

    pthread_mutex_lock(&s->lock);
    slot = find_slot_locked(s, result->domain, hash);
    e = *slot;

    /* A failed refresh keeps a positive entry inside its stale window. */
    if (temp && e && route_verdict_is_positive(e->result->verdict) &&
        now_ms < e->stale_until_ms) {
        e->refresh_failed_until_ms = now_ms + cache->temp_error_ttl_ms;
        stale = stale_copy(e->result, result, result->reason);
        pthread_mutex_unlock(&s->lock);
        route_result_unref(copy);
        return stale;
    }
    if (s->capacity == 0 || (temp && cache->temp_error_ttl_ms == 0)) {
        if (e)
            remove_locked(cache, s, slot);
        pthread_mutex_unlock(&s->lock);
        route_result_unref(copy);
        return NULL;
    }

    if (e) {
        route_result_unref(e->result);
        lru_unlink(e);
    } else {
        e = calloc(1, sizeof(*e));
        if (!e) {
            pthread_mutex_unlock(&s->lock);
            route_result_unref(copy);
            return NULL;
        }
        /* Evict the least recently used entry when the shard is full. */
        if (s->count >= s->capacity) {
            struct cache_entry *victim = s->lru.lru_prev;
            struct cache_entry **vslot =
                find_slot_locked(s, victim->result->domain, victim->hash);

            remove_locked(cache, s, vslot);
            slot = find_slot_locked(s, result->domain, hash);
        }
        e->hash = hash;
        e->hash_next = NULL;
        *slot = e;
        s->count++;
        atomic_fetch_add_explicit(&cache->total, 1, memory_order_relaxed);
    }
    e->result = copy;
    e->expires_ms = now_ms + (uint64_t)result->ttl_s * 1000;
    e->stale_until_ms = e->expires_ms;
    if (route_verdict_is_positive(result->verdict))
        e->stale_until_ms += cache->stale_window_ms;
    e->refresh_failed_until_ms = 0;
    lru_push_front_locked(s, e);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

unsigned
route_cache_count(struct route_cache *cache)
{
    return atomic_load_explicit(&cache->total, memory_order_relaxed);
}
