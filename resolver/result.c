/*
 * result.c - route result storage, reference counting and names.
 *
 * A packed result is one allocation: the struct, then the exchange
 * array, the address pointer arrays, the step array, then the strings.
 * Static reason and error words are not copied.
 */
#include "config.h"

#include "result.h"

#include <stdlib.h>
#include <string.h>

const char *
route_verdict_name(enum route_verdict verdict)
{
    switch (verdict) {
    case ROUTE_MX:
        return "mx";
    case ROUTE_IMPLICIT_MX:
        return "implicit_mx";
    case ROUTE_NULL_MX:
        return "null_mx";
    case ROUTE_NO_DOMAIN:
        return "no_domain";
    case ROUTE_NO_MAIL_HOSTS:
        return "no_mail_hosts";
    case ROUTE_TEMP_ERROR:
        return "temp_error";
    case ROUTE_ADDRESS_LITERAL:
        return "address_literal";
    case ROUTE_INVALID:
        return "invalid";
    }
    return "unknown";
}

const char *
route_cache_state_name(enum route_cache_state state)
{
    switch (state) {
    case ROUTE_CACHE_MISS:
        return "miss";
    case ROUTE_CACHE_HIT:
        return "hit";
    case ROUTE_CACHE_STALE:
        return "stale";
    }
    return "unknown";
}

const char *
route_rcode_name(int rcode)
{
    static const char *const names[] = {
        "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
        "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE",
    };

    if (rcode == ROUTE_RCODE_NONE)
        return NULL;
    if (rcode >= 0 && (size_t)rcode < sizeof(names) / sizeof(names[0]))
        return names[rcode];
    if (rcode == 16)
        return "BADVERS";
    return "UNKNOWN";
}

const char *
route_type_name(uint16_t type)
{
    switch (type) {
    case 1:
        return "A";
    case 2:
        return "NS";
    case 5:
        return "CNAME";
    case 6:
        return "SOA";
    case 12:
        return "PTR";
    case 15:
        return "MX";
    case 16:
        return "TXT";
    case 28:
        return "AAAA";
    }
    return "TYPE";
}

bool
route_verdict_is_positive(enum route_verdict verdict)
{
    return verdict == ROUTE_MX || verdict == ROUTE_IMPLICIT_MX ||
           verdict == ROUTE_ADDRESS_LITERAL;
}

struct route_result *
route_result_ref(struct route_result *result)
{
    if (result)
        atomic_fetch_add_explicit(&result->refs, 1, memory_order_relaxed);
    return result;
}

void
route_result_unref(struct route_result *result)
{
    if (!result)
        return;
    if (atomic_fetch_sub_explicit(&result->refs, 1, memory_order_acq_rel) == 1)
        free(result);
}

/* Strings written so far, so repeated names are stored once. */
struct packer {
    char *next;
    const char *written[64];
    size_t written_count;
};

static size_t
str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static const char *
pack_string(struct packer *p, const char *s)
{
    size_t n;
    char *out;

    if (!s)
        return NULL;
    for (size_t i = 0; i < p->written_count; i++) {
        if (strcmp(p->written[i], s) == 0)
            return p->written[i];
    }
    n = strlen(s) + 1;
    out = p->next;
    memcpy(out, s, n);
    p->next += n;
    if (p->written_count < sizeof(p->written) / sizeof(p->written[0]))
        p->written[p->written_count++] = out;
    return out;
}

static size_t
align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

struct route_result *
route_result_pack(const struct route_result *src, enum route_cache_state cache,
                  bool with_steps)
{
    size_t steps = with_steps ? src->step_count : 0;
    size_t addresses = 0;
    size_t strings = 0;
    size_t size;
    struct route_result *out;
    struct route_exchange *exchanges;
    const char **address_slots;
    struct route_step *step_array;
    struct packer packer;
    char *base;

    /* Size everything first, counting strings without interning so the
     * allocation is an upper bound. */
    strings += str_size(src->domain) + str_size(src->server);
    for (size_t i = 0; i < src->exchange_count; i++) {
        const struct route_exchange *x = &src->exchanges[i];

        strings += str_size(x->name);
        addresses += x->address_count;
        for (size_t j = 0; j < x->address_count; j++)
            strings += str_size(x->addresses[j]);
    }
    for (size_t i = 0; i < steps; i++)
        strings +=
            str_size(src->steps[i].name) + str_size(src->steps[i].server);

    size = align8(sizeof(*out)) +
           align8(src->exchange_count * sizeof(*exchanges)) +
           align8(addresses * sizeof(char *)) +
           align8(steps * sizeof(*step_array)) + strings;
    base = malloc(size);
    if (!base)
        return NULL;

    out = (struct route_result *)base;
    base += align8(sizeof(*out));
    exchanges = (struct route_exchange *)base;
    base += align8(src->exchange_count * sizeof(*exchanges));
    address_slots = (const char **)base;
    base += align8(addresses * sizeof(char *));
    step_array = (struct route_step *)base;
    base += align8(steps * sizeof(*step_array));
    memset(&packer, 0, sizeof(packer));
    packer.next = base;

    *out = *src;
    atomic_init(&out->refs, 1);
    out->cache = cache;
    out->priv_ = NULL;
    out->domain = pack_string(&packer, src->domain ? src->domain : "");
    out->server = pack_string(&packer, src->server);

    out->exchanges = src->exchange_count ? exchanges : NULL;
    for (size_t i = 0; i < src->exchange_count; i++) {
        const struct route_exchange *x = &src->exchanges[i];

        exchanges[i] = *x;
        exchanges[i].name = pack_string(&packer, x->name);
        exchanges[i].addresses = x->address_count ? address_slots : NULL;
        for (size_t j = 0; j < x->address_count; j++)
            *address_slots++ = pack_string(&packer, x->addresses[j]);
    }

    out->step_count = steps;
    out->steps = steps ? step_array : NULL;
    for (size_t i = 0; i < steps; i++) {
        step_array[i] = src->steps[i];
        step_array[i].name = pack_string(&packer, src->steps[i].name);
        step_array[i].server = pack_string(&packer, src->steps[i].server);
    }
    return out;
}

/* Returned when even a simple result cannot be allocated, so callers that
 * promise a non-NULL result keep the promise.  Its reference count starts
 * far from zero so that no sequence of unrefs frees it. */
static struct route_result out_of_memory = {
    .refs = 1u << 30,
    .verdict = ROUTE_TEMP_ERROR,
    .domain = "",
    .reason = "nomem",
    .rcode = ROUTE_RCODE_NONE,
};

struct route_result *
route_result_simple(enum route_verdict verdict, const char *domain,
                    const char *reason)
{
    struct route_result src;
    struct route_result *out;

    memset(&src, 0, sizeof(src));
    src.verdict = verdict;
    src.domain = domain;
    src.reason = reason;
    src.rcode = ROUTE_RCODE_NONE;
    out = route_result_pack(&src, ROUTE_CACHE_MISS, false);
    return out ? out : route_result_ref(&out_of_memory);
}
