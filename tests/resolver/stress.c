/*
 * stress - hundreds of concurrent route lookups from many threads against
 * the fault-injecting DNS server, for running under AddressSanitizer and
 * ThreadSanitizer.  Prints TAP.
 *
 * usage: stress SERVER THREADS LOOKUPS_PER_THREAD
 *        stress SERVER deadline DOMAIN DEADLINE_MS WAIT_MS
 *
 * Each thread mixes four kinds of lookup.  Blocking lookups of a few
 * shared domains are merged in flight, then hit the cache.  Blocking
 * lookups of distinct names under *.wild.test are an implicit MX each.
 * Lookups with a 1 ms deadline give up while the lookup goes on.  The
 * rest are asynchronous.  The
 * resolver is freed while asynchronous lookups may still be in flight.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "resolver.h"
#include "route.h"

static struct resolver *resolver;
static int lookups_per_thread;
static atomic_int wrong;
static atomic_int done_blocking;
static atomic_int async_calls;
static atomic_int async_started;
static atomic_int deadline_results;

struct shared_case {
    const char *domain;
    enum route_verdict verdict;
};

static const struct shared_case shared[] = {
    {"plain.test", ROUTE_MX},
    {"PLAIN.TEST.", ROUTE_MX},
    {"cname.test", ROUTE_MX},
    {"mixed.test", ROUTE_MX},
    {"hotmail.com", ROUTE_MX},
    {"nullmx.test", ROUTE_NULL_MX},
    {"aonly.test", ROUTE_IMPLICIT_MX},
    {"nosuch.test", ROUTE_NO_DOMAIN},
    {"loopback.test", ROUTE_NO_MAIL_HOSTS},
    {"[192.0.2.1]", ROUTE_ADDRESS_LITERAL},
    {"bad..name", ROUTE_INVALID},
};

static void
check(const char *domain, const struct route_result *r, enum route_verdict want)
{
    if (r->verdict != want) {
        atomic_fetch_add(&wrong, 1);
        fprintf(stderr, "# %s: got %s (%s), expected %s\n", domain,
                route_verdict_name(r->verdict), r->reason ? r->reason : "",
                route_verdict_name(want));
    }
}

static void
async_done(void *arg, struct route_result *result)
{
    (void)arg;
    /* Read the result on whatever thread runs the callback. */
    if (result->domain == NULL || result->step_count > 1000)
        atomic_fetch_add(&wrong, 1);
    atomic_fetch_add(&async_calls, 1);
    route_result_unref(result);
}

static void *
worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    char name[64];

    for (int i = 0; i < lookups_per_thread; i++) {
        unsigned pick = (unsigned)rand_r(&seed) % 10;
        struct route_result *r;

        if (pick < 4) {
            const struct shared_case *c =
                &shared[rand_r(&seed) % (sizeof(shared) / sizeof(*shared))];

            r = resolver_route_lookup(resolver, c->domain, 10000);
            check(c->domain, r, c->verdict);
        } else if (pick < 7) {
            snprintf(name, sizeof(name), "h%u-%d.wild.test",
                     (unsigned)(uintptr_t)arg, i);
            r = resolver_route_lookup(resolver, name, 10000);
            check(name, r, ROUTE_IMPLICIT_MX);
        } else if (pick < 9) {
            /* Give up at once; the lookup goes on without this waiter. */
            snprintf(name, sizeof(name), "g%u-%d.wild.test",
                     (unsigned)(uintptr_t)arg, i);
            r = resolver_route_lookup(resolver, name, 1);
            if (r->verdict == ROUTE_TEMP_ERROR && r->reason &&
                strcmp(r->reason, "deadline") == 0)
                atomic_fetch_add(&deadline_results, 1);
            else
                check(name, r, ROUTE_IMPLICIT_MX);
        } else {
            snprintf(name, sizeof(name), "a%u-%d.wild.test",
                     (unsigned)(uintptr_t)arg, i);
            atomic_fetch_add(&async_started, 1);
            resolver_route_lookup_async(resolver, name, 10000, async_done,
                                        NULL);
            continue;
        }
        route_result_unref(r);
        atomic_fetch_add(&done_blocking, 1);
    }
    return NULL;
}

static double
elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1000.0 +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int
deadline_main(const char *server, const char *domain, unsigned deadline_ms,
              unsigned wait_ms)
{
    struct resolver_options options;
    struct resolver *r;
    struct route_result *result;
    struct timespec t0;
    char err[256];
    double ms;
    int n = 0;

    resolver_options_init(&options);
    options.servers[0] = server;
    options.server_count = 1;
    options.step_timeout_ms = 2000;
    r = resolver_new(&options, err, sizeof(err));
    if (!r) {
        printf("1..0 # SKIP resolver_new failed: %s\n", err);
        return 0;
    }
    printf("1..%d\n", wait_ms > 0 ? 3 : 2);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    result = resolver_route_lookup(r, domain, deadline_ms);
    ms = elapsed_ms(&t0);
    printf("%s %d - %s ends in temp_error deadline (%s %s)\n",
           result->verdict == ROUTE_TEMP_ERROR && result->reason &&
                   strcmp(result->reason, "deadline") == 0
               ? "ok"
               : "not ok",
           ++n, domain, route_verdict_name(result->verdict),
           result->reason ? result->reason : "-");
    printf("%s %d - returned after %.0f ms for a %u ms deadline\n",
           ms >= deadline_ms - 5 && ms < deadline_ms + 300 ? "ok" : "not ok",
           ++n, ms, deadline_ms);
    route_result_unref(result);

    if (wait_ms > 0) {
        struct timespec pause = {wait_ms / 1000,
                                 (long)(wait_ms % 1000) * 1000000L};

        nanosleep(&pause, NULL);
        result = resolver_route_lookup(r, domain, deadline_ms);
        printf("%s %d - the abandoned lookup filled the cache (%s, %s)\n",
               result->verdict == ROUTE_MX && result->cache == ROUTE_CACHE_HIT
                   ? "ok"
                   : "not ok",
               ++n, route_verdict_name(result->verdict),
               route_cache_state_name(result->cache));
        route_result_unref(result);
    }
    resolver_free(r);
    return 0;
}

int
main(int argc, char **argv)
{
    struct resolver_options options;
    struct resolver_stats stats;
    char err[256];
    int threads;
    pthread_t *tids;
    int n = 0;
    struct route_result *r;

    if (argc == 6 && strcmp(argv[2], "deadline") == 0)
        return deadline_main(argv[1], argv[3], (unsigned)atoi(argv[4]),
                             (unsigned)atoi(argv[5]));
    if (argc != 4) {
        fprintf(stderr, "usage: stress SERVER THREADS LOOKUPS_PER_THREAD\n"
                        "       stress SERVER deadline DOMAIN DEADLINE_MS "
                        "WAIT_MS\n");
        return 64;
    }
    threads = atoi(argv[2]);
    lookups_per_thread = atoi(argv[3]);
    if (threads <= 0 || lookups_per_thread <= 0) {
        fprintf(stderr, "stress: invalid THREADS or LOOKUPS_PER_THREAD: "
                        "both must be positive integers\n");
        return 64;
    }

    resolver_options_init(&options);
    options.servers[0] = argv[1];
    options.server_count = 1;
    options.step_timeout_ms = 2000;
    options.cache_size = 100000;
    options.max_inflight = 100000;
    resolver = resolver_new(&options, err, sizeof(err));
    if (!resolver) {
        printf("1..0 # SKIP resolver_new failed: %s\n", err);
        return 0;
    }
    printf("1..6\n");

    tids = calloc((size_t)threads, sizeof(*tids));
    for (int i = 0; i < threads; i++)
        pthread_create(&tids[i], NULL, worker, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < threads; i++)
        pthread_join(tids[i], NULL);
    free(tids);

    printf("%s %d - every verdict as expected\n",
           atomic_load(&wrong) == 0 ? "ok" : "not ok", ++n);
    resolver_get_stats(resolver, &stats);
    printf("%s %d - identical lookups merged or cached (merged %llu, hits "
           "%llu)\n",
           stats.merged + stats.cache_hits > 0 ? "ok" : "not ok", ++n,
           (unsigned long long)stats.merged,
           (unsigned long long)stats.cache_hits);
    printf("# lookups %llu queries %llu deadline results %d\n",
           (unsigned long long)stats.lookups,
           (unsigned long long)stats.queries_sent,
           atomic_load(&deadline_results));

    /* A confirmation on the only server, over TCP only. */
    r = resolver_route_lookup_on(resolver, "plain.test", 0, true, 10000);
    {
        bool all_tcp = r->step_count > 0;

        for (size_t i = 0; i < r->step_count; i++)
            all_tcp = all_tcp && r->steps[i].transport == ROUTE_TRANSPORT_TCP &&
                      r->steps[i].edns_payload == ROUTE_EDNS_NONE;
        printf("%s %d - lookup_on over TCP only (%s, %zu steps)\n",
               r->verdict == ROUTE_MX && all_tcp && r->cache == ROUTE_CACHE_MISS
                   ? "ok"
                   : "not ok",
               ++n, route_verdict_name(r->verdict), r->step_count);
    }
    route_result_unref(r);
    r = resolver_route_lookup_on(resolver, "plain.test", 3, false, 1000);
    printf("%s %d - lookup_on an unknown server is temp_error\n",
           r->verdict == ROUTE_TEMP_ERROR && r->reason &&
                   strcmp(r->reason, "no_server") == 0
               ? "ok"
               : "not ok",
           ++n);
    route_result_unref(r);

    /* Free with asynchronous lookups possibly in flight: every callback
     * runs exactly once. */
    for (int i = 0; i < 50; i++) {
        char name[64];

        snprintf(name, sizeof(name), "late%d.wild.test", i);
        atomic_fetch_add(&async_started, 1);
        resolver_route_lookup_async(resolver, name, 10000, async_done, NULL);
    }
    resolver_free(resolver);
    printf("%s %d - every asynchronous callback ran once (%d of %d)\n",
           atomic_load(&async_calls) == atomic_load(&async_started) ? "ok"
                                                                    : "not ok",
           ++n, atomic_load(&async_calls), atomic_load(&async_started));
    printf("%s %d - every blocking lookup returned (%d)\n",
           atomic_load(&done_blocking) > 0 ? "ok" : "not ok", ++n,
           atomic_load(&done_blocking));
    return 0;
}
