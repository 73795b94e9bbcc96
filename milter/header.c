/*
 * header.c - the diagnostic headers of one message.
 */
#include "config.h"

#include "header.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
header_set_init(struct header_set *set, size_t max_entries)
{
    memset(set, 0, sizeof(*set));
    set->max_entries = max_entries;
}

void
header_set_free(struct header_set *set)
{
    free(set->entries);
    set->entries = NULL;
    set->count = 0;
    set->capacity = 0;
    free(set->omitted_hashes);
    set->omitted_hashes = NULL;
    set->omitted_domains = 0;
    set->omitted_capacity = 0;
}

static bool
header_set_has_domain(const struct header_set *set, const char *domain)
{
    for (size_t i = 0; i < set->count; i++) {
        if (strncmp(set->entries[i].domain, domain, HEADER_DOMAIN_MAX - 1) == 0)
            return true;
    }
    return false;
}

/* Return the 64-bit FNV-1a hash of domain, cut where an entry cuts it. */
static uint64_t
header_domain_hash(const char *domain)
{
    uint64_t hash = 14695981039346656037u;

    for (size_t i = 0; i < HEADER_DOMAIN_MAX - 1 && domain[i] != '\0'; i++) {
        hash ^= (unsigned char)domain[i];
        hash *= 1099511628211u;
    }
    return hash;
}

/* Count domain once among the domains not shown; out of memory, it goes
 * uncounted. A linear search is enough for smtpd_recipient_limit (1000). */
static void
header_set_omit_domain(struct header_set *set, const char *domain)
{
    uint64_t hash = header_domain_hash(domain);

    for (size_t i = 0; i < set->omitted_domains; i++) {
        if (set->omitted_hashes[i] == hash)
            return;
    }
    if (set->omitted_domains == set->omitted_capacity) {
        size_t capacity =
            set->omitted_capacity == 0 ? 16 : set->omitted_capacity * 2;
        uint64_t *grown =
            realloc(set->omitted_hashes, capacity * sizeof(*grown));

        if (grown == NULL)
            return;
        set->omitted_hashes = grown;
        set->omitted_capacity = capacity;
    }
    set->omitted_hashes[set->omitted_domains++] = hash;
}

static void
header_set_omit(struct header_set *set, const char *domain,
                enum route_verdict verdict)
{
    set->omitted++;
    if ((unsigned)verdict < ROUTE_VERDICT_COUNT)
        set->omitted_by_verdict[verdict]++;
    header_set_omit_domain(set, domain);
}

/* Make room for one more entry; false when out of memory. */
static bool
header_set_reserve(struct header_set *set)
{
    struct header_entry *grown;
    size_t capacity;

    if (set->count < set->capacity)
        return true;
    /* Double from 2: most messages have one or two domains. */
    capacity = set->capacity == 0 ? 2 : set->capacity * 2;
    if (capacity > set->max_entries)
        capacity = set->max_entries;
    grown = realloc(set->entries, capacity * sizeof(*grown));
    if (grown == NULL)
        return false;
    set->entries = grown;
    set->capacity = capacity;
    return true;
}

void
header_set_add(struct header_set *set, const char *domain,
               enum route_verdict verdict, const char *value)
{
    struct header_entry *entry;

    set->recipients++;
    if (header_set_has_domain(set, domain))
        return;
    if (set->count >= set->max_entries || !header_set_reserve(set)) {
        header_set_omit(set, domain, verdict);
        return;
    }
    entry = &set->entries[set->count++];
    snprintf(entry->domain, sizeof(entry->domain), "%s", domain);
    snprintf(entry->value, sizeof(entry->value), "%s", value);
}

size_t
header_set_emit(const struct header_set *set, header_emit_fn *emit, void *arg)
{
    char summary[HEADER_VALUE_MAX];
    size_t emitted = 0;
    size_t len;

    for (size_t i = 0; i < set->count; i++) {
        emitted++;
        if (!emit(arg, set->entries[i].value))
            return emitted;
    }
    if (set->omitted == 0)
        return emitted;

    len = (size_t)snprintf(summary, sizeof(summary),
                           "summary domains_shown=%zu domains_not_shown=%zu"
                           " recipients_accepted=%lu recipients_not_shown=%lu",
                           set->count, set->omitted_domains, set->recipients,
                           set->omitted);
    for (int v = 0; v < ROUTE_VERDICT_COUNT && len < sizeof(summary); v++) {
        if (set->omitted_by_verdict[v] == 0)
            continue;
        len += (size_t)snprintf(summary + len, sizeof(summary) - len, " %s=%lu",
                                route_verdict_name((enum route_verdict)v),
                                set->omitted_by_verdict[v]);
    }
    emitted++;
    emit(arg, summary);
    return emitted;
}
