/*
 * hostcache.c - direct-mapped cache of exchange address answers.
 */
#include "config.h"

#include "hostcache.h"

#include <stdlib.h>
#include <string.h>

struct host_slot {
    char *name; /* NULL when empty */
    uint16_t type;
    uint64_t expires_ms;
    struct answer answer;
};

struct host_cache {
    struct host_slot *slots;
    unsigned mask;
    uint32_t ttl_max_s;
};

static uint32_t
hash_key(const char *name, uint16_t type)
{
    uint32_t h = 2166136261u ^ type;

    for (; *name; name++) {
        h ^= (unsigned char)*name;
        h *= 16777619u;
    }
    return h;
}

struct host_cache *
host_cache_new(unsigned slot_count, uint32_t ttl_max_s)
{
    struct host_cache *cache;
    unsigned n = 1;

    if (slot_count == 0)
        return NULL;
    while (n < slot_count && n < (1u << 24))
        n *= 2;
    cache = calloc(1, sizeof(*cache));
    if (!cache)
        return NULL;
    cache->slots = calloc(n, sizeof(*cache->slots));
    if (!cache->slots) {
        free(cache);
        return NULL;
    }
    cache->mask = n - 1;
    cache->ttl_max_s = ttl_max_s;
    return cache;
}

static void
slot_clear(struct host_slot *slot)
{
    free(slot->name);
    slot->name = NULL;
    answer_clear(&slot->answer);
}

void
host_cache_free(struct host_cache *cache)
{
    if (!cache)
        return;
    for (unsigned i = 0; i <= cache->mask; i++)
        slot_clear(&cache->slots[i]);
    free(cache->slots);
    free(cache);
}

/* Deep copy of an analyzed answer. */
static bool
answer_copy(const struct answer *from, struct answer *to)
{
    memset(to, 0, sizeof(*to));
    to->kind = from->kind;
    to->rcode = from->rcode;
    to->cname_links = from->cname_links;
    to->ttl_s = from->ttl_s;
    to->neg_ttl_known = from->neg_ttl_known;
    to->final_name = strdup(from->final_name ? from->final_name : "");
    if (!to->final_name)
        return false;
    if (from->count > 0) {
        to->items = calloc(from->count, sizeof(*to->items));
        if (!to->items) {
            answer_clear(to);
            return false;
        }
        for (size_t i = 0; i < from->count; i++) {
            to->items[i] = from->items[i];
            to->items[i].name = NULL;
            if (from->items[i].name) {
                to->items[i].name = strdup(from->items[i].name);
                if (!to->items[i].name) {
                    to->count = i;
                    answer_clear(to);
                    return false;
                }
            }
            to->count = i + 1;
        }
    }
    return true;
}

bool
host_cache_get(struct host_cache *cache, const char *name, uint16_t type,
               uint64_t now_ms, struct answer *out)
{
    struct host_slot *slot;

    if (!cache)
        return false;
    slot = &cache->slots[hash_key(name, type) & cache->mask];
    if (!slot->name || slot->type != type || strcmp(slot->name, name) != 0)
        return false;
    if (now_ms >= slot->expires_ms) {
        slot_clear(slot);
        return false;
    }
    if (!answer_copy(&slot->answer, out))
        return false;
    /* The TTL left, so the verdict built on it does not outlive it. */
    if ((slot->expires_ms - now_ms) / 1000 < out->ttl_s)
        out->ttl_s = (uint32_t)((slot->expires_ms - now_ms) / 1000);
    return true;
}

void
host_cache_put(struct host_cache *cache, const char *name, uint16_t type,
               const struct answer *answer, uint64_t now_ms)
{
    struct host_slot *slot;
    uint32_t ttl = answer->ttl_s;

    if (!cache || ttl == 0)
        return;
    if (answer->kind != ANSWER_DATA && answer->kind != ANSWER_NODATA &&
        answer->kind != ANSWER_NXDOMAIN)
        return;
    if (answer->kind != ANSWER_DATA && !answer->neg_ttl_known)
        return;
    if (ttl > cache->ttl_max_s)
        ttl = cache->ttl_max_s;

    slot = &cache->slots[hash_key(name, type) & cache->mask];
    slot_clear(slot);
    slot->name = strdup(name);
    if (!slot->name)
        return;
    if (!answer_copy(answer, &slot->answer)) {
        free(slot->name);
        slot->name = NULL;
        return;
    }
    slot->type = type;
    slot->expires_ms = now_ms + (uint64_t)ttl * 1000;
}
