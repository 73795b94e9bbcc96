/*
 * admission.c - the count of route lookups queued or in flight, a
 * chained hash table of domains with reference counts.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "engine_internal.h"

#define ADMISSION_BUCKETS 4096

struct admission_entry {
    struct admission_entry *next;
    uint32_t hash;
    unsigned refs; /* queued requests plus the lookup in flight */
    char domain[];
};

struct admission {
    pthread_mutex_t lock; /* guards everything below */
    unsigned limit;
    unsigned domains;  /* entries in buckets */
    unsigned confined; /* references of lookups confined to one server */
    struct admission_entry *buckets[ADMISSION_BUCKETS];
};

struct admission *
admission_new(unsigned limit)
{
    struct admission *a = calloc(1, sizeof(*a));

    if (!a)
        return NULL;
    pthread_mutex_init(&a->lock, NULL);
    a->limit = limit;
    return a;
}

void
admission_free(struct admission *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < ADMISSION_BUCKETS; i++) {
        while (a->buckets[i]) {
            struct admission_entry *e = a->buckets[i];

            a->buckets[i] = e->next;
            free(e);
        }
    }
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static struct admission_entry **
admission_slot_locked(struct admission *a, const char *domain, uint32_t hash)
{
    struct admission_entry **slot = &a->buckets[hash % ADMISSION_BUCKETS];

    while (*slot && ((*slot)->hash != hash || strcmp((*slot)->domain, domain)))
        slot = &(*slot)->next;
    return slot;
}

enum admission_status
admission_enter(struct admission *a, const char *domain)
{
    enum admission_status status = ADMISSION_FULL;
    uint32_t hash = domain ? engine_hash(domain) : 0;
    struct admission_entry **slot = NULL;
    struct admission_entry *e;
    size_t len;

    pthread_mutex_lock(&a->lock);

    /* A domain already counted merges, whatever the count. */
    if (domain) {
        slot = admission_slot_locked(a, domain, hash);
        if (*slot) {
            (*slot)->refs++;
            status = ADMISSION_MERGED;
            goto done;
        }
    }
    if (a->domains + a->confined >= a->limit)
        goto done;

    if (!domain) {
        a->confined++;
        status = ADMISSION_NEW;
        goto done;
    }
    len = strlen(domain);
    e = malloc(sizeof(*e) + len + 1);
    if (!e) {
        status = ADMISSION_NOMEM;
        goto done;
    }
    memcpy(e->domain, domain, len + 1);
    e->hash = hash;
    e->refs = 1;
    e->next = NULL;
    *slot = e;
    a->domains++;
    status = ADMISSION_NEW;

done:
    pthread_mutex_unlock(&a->lock);
    return status;
}

void
admission_leave(struct admission *a, const char *domain)
{
    struct admission_entry **slot;
    struct admission_entry *e;

    pthread_mutex_lock(&a->lock);
    if (!domain) {
        if (a->confined > 0)
            a->confined--;
        pthread_mutex_unlock(&a->lock);
        return;
    }
    slot = admission_slot_locked(a, domain, engine_hash(domain));
    e = *slot;
    if (e && --e->refs == 0) {
        *slot = e->next;
        a->domains--;
        free(e);
    }
    pthread_mutex_unlock(&a->lock);
}

unsigned
admission_count(struct admission *a)
{
    unsigned count;

    pthread_mutex_lock(&a->lock);
    count = a->domains + a->confined;
    pthread_mutex_unlock(&a->lock);
    return count;
}
