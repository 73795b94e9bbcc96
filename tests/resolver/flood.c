/*
 * flood - submissions far past max_inflight against the fault-injecting
 * DNS server, from the asynchronous, blocking and one-server paths.
 * Prints TAP.
 *
 * usage: flood SERVER SLOW_MS
 *
 * The server must delay MX replies for every name under slow.wild.test
 * by SLOW_MS milliseconds, so the first LIMIT lookups stay in flight
 * while the rest are submitted.  Every submission past the limit must
 * complete at once with temp_error "inflight_limit", on the submitting
 * thread, while submissions of a domain in flight merge.  After the flood,
 * the count must be back to zero and normal lookups, a rejected domain's
 * included, must succeed.  Run it under valgrind or a sanitizer to check
 * that nothing leaks.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "resolver.h"
#include "route.h"

#define LIMIT 8
#define ASYNC_DISTINCT 200
#define MERGED 50
#define BLOCKING_THREADS 8
#define BLOCKING_PER_THREAD 20
#define DEADLINE_MS 20000

static struct resolver *resolver;
static unsigned slow_ms;
static int test_number;
static int failures;

/* Set around each submission on the submitting thread. */
static _Thread_local bool submitting;

static atomic_int calls;
static atomic_int implicit_mx;
static atomic_int limited;
static atomic_int limited_at_once;
static atomic_int other;

static void report(bool ok, const char *name, const char *detail_format, ...)
    __attribute__((format(printf, 3, 4)));

static void
report(bool ok, const char *name, const char *detail_format, ...)
{
    va_list ap;

    printf("%s %d - %s\n", ok ? "ok" : "not ok", ++test_number, name);
    if (!ok) {
        failures++;
        printf("# ");
        va_start(ap, detail_format);
        vprintf(detail_format, ap);
        va_end(ap);
        printf("\n");
    }
    fflush(stdout);
}

static bool
is_limited(const struct route_result *r)
{
    return r->verdict == ROUTE_TEMP_ERROR && r->reason != NULL &&
           strcmp(r->reason, "inflight_limit") == 0 && r->step_count == 0 &&
           r->server == NULL;
}

static void
async_done(void *arg, struct route_result *result)
{
    (void)arg;
    if (is_limited(result)) {
        atomic_fetch_add(&limited, 1);
        if (submitting)
            atomic_fetch_add(&limited_at_once, 1);
    } else if (result->verdict == ROUTE_IMPLICIT_MX) {
        atomic_fetch_add(&implicit_mx, 1);
    } else {
        atomic_fetch_add(&other, 1);
        fprintf(stderr, "# %s: %s (%s)\n", result->domain,
                route_verdict_name(result->verdict),
                result->reason ? result->reason : "");
    }
    atomic_fetch_add(&calls, 1);
    route_result_unref(result);
}

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static void
submit(const char *name)
{
    submitting = true;
    resolver_route_lookup_async(resolver, name, DEADLINE_MS, async_done, NULL);
    submitting = false;
}

/* Blocking lookups of distinct slow names while the limit is reached. */
struct blocking_tally {
    int id;
    int limited;
    int slow; /* returned only after slow_ms or later */
};

static void *
blocking_flood(void *arg)
{
    struct blocking_tally *t = arg;
    char name[64];

    for (int i = 0; i < BLOCKING_PER_THREAD; i++) {
        uint64_t start = now_ms();
        struct route_result *r;

        snprintf(name, sizeof(name), "b%d-%d.slow.wild.test", t->id, i);
        r = resolver_route_lookup(resolver, name, DEADLINE_MS);
        if (is_limited(r))
            t->limited++;
        if (now_ms() - start >= slow_ms)
            t->slow++;
        route_result_unref(r);
    }
    return NULL;
}

/* Blocking lookups of fresh fast names after the flood. */
static void *
blocking_after(void *arg)
{
    struct blocking_tally *t = arg;
    char name[64];

    for (int i = 0; i < 5; i++) {
        struct route_result *r;

        snprintf(name, sizeof(name), "n%d-%d.wild.test", t->id, i);
        r = resolver_route_lookup(resolver, name, DEADLINE_MS);
        if (r->verdict != ROUTE_IMPLICIT_MX) {
            t->limited++;
            fprintf(stderr, "# %s: %s (%s)\n", name,
                    route_verdict_name(r->verdict), r->reason ? r->reason : "");
        }
        route_result_unref(r);
    }
    return NULL;
}

static bool
wait_calls(int want, unsigned wait_ms)
{
    uint64_t until = now_ms() + wait_ms;

    while (atomic_load(&calls) < want && now_ms() < until)
        sleep_ms(20);
    return atomic_load(&calls) == want;
}

static void
flood(void)
{
    struct blocking_tally tallies[BLOCKING_THREADS];
    pthread_t tids[BLOCKING_THREADS];
    struct resolver_stats stats;
    struct route_result *r;
    uint64_t start, elapsed;
    int blocking_limited = 0, blocking_slow = 0;
    char name[64];

    /* Distinct names: the first LIMIT are admitted, the rest rejected. */
    start = now_ms();
    for (int i = 0; i < ASYNC_DISTINCT; i++) {
        snprintf(name, sizeof(name), "f%d.slow.wild.test", i);
        submit(name);
    }
    report(atomic_load(&limited_at_once) == ASYNC_DISTINCT - LIMIT &&
               atomic_load(&limited) == ASYNC_DISTINCT - LIMIT,
           "async_excess_rejected_at_once",
           "%d rejected at once, %d in all, expected %d",
           atomic_load(&limited_at_once), atomic_load(&limited),
           ASYNC_DISTINCT - LIMIT);

    /* Domains in flight merge, however full the count is. */
    for (int i = 0; i < MERGED; i++) {
        snprintf(name, sizeof(name), "f%d.slow.wild.test", i % LIMIT);
        submit(name);
    }
    report(atomic_load(&limited) == ASYNC_DISTINCT - LIMIT,
           "in_flight_domains_still_merge", "%d rejected, expected %d",
           atomic_load(&limited), ASYNC_DISTINCT - LIMIT);

    /* A confirmation on one server never merges and counts too. */
    r = resolver_route_lookup_on(resolver, "f0.slow.wild.test", 0, false,
                                 DEADLINE_MS);
    report(is_limited(r), "confined_lookup_rejected_at_once", "got %s (%s)",
           route_verdict_name(r->verdict), r->reason ? r->reason : "");
    route_result_unref(r);

    /* Blocking lookups from several threads. */
    for (int i = 0; i < BLOCKING_THREADS; i++) {
        tallies[i] = (struct blocking_tally){i, 0, 0};
        pthread_create(&tids[i], NULL, blocking_flood, &tallies[i]);
    }
    for (int i = 0; i < BLOCKING_THREADS; i++) {
        pthread_join(tids[i], NULL);
        blocking_limited += tallies[i].limited;
        blocking_slow += tallies[i].slow;
    }
    report(blocking_limited == BLOCKING_THREADS * BLOCKING_PER_THREAD &&
               blocking_slow == 0,
           "blocking_excess_rejected_at_once",
           "%d of %d rejected, %d waited %u ms or more", blocking_limited,
           BLOCKING_THREADS * BLOCKING_PER_THREAD, blocking_slow, slow_ms);

    /* Some admitted requests may still wait in the queue, so only the
     * sum is exact. */
    resolver_get_stats(resolver, &stats);
    report(stats.admitted == LIMIT && stats.inflight <= LIMIT,
           "count_stays_at_limit",
           "admitted %u, in flight %u, expected %d admitted", stats.admitted,
           stats.inflight, LIMIT);
    report(stats.inflight_limited ==
               (uint64_t)(ASYNC_DISTINCT - LIMIT + 1 +
                          BLOCKING_THREADS * BLOCKING_PER_THREAD),
           "rejections_counted", "inflight_limited %llu",
           (unsigned long long)stats.inflight_limited);

    /* Every check above relies on the slow lookups still being in
     * flight.  On a machine too slow for that they mean nothing. */
    elapsed = now_ms() - start;
    report(elapsed < slow_ms, "flood_faster_than_server_delay",
           "the flood took %llu ms, the server delay is %u ms",
           (unsigned long long)elapsed, slow_ms);

    report(wait_calls(ASYNC_DISTINCT + MERGED, DEADLINE_MS) &&
               atomic_load(&implicit_mx) == LIMIT + MERGED &&
               atomic_load(&other) == 0,
           "admitted_lookups_complete",
           "%d callbacks, %d implicit_mx, %d other", atomic_load(&calls),
           atomic_load(&implicit_mx), atomic_load(&other));

    resolver_get_stats(resolver, &stats);
    report(stats.admitted == 0 && stats.inflight == 0, "count_back_to_zero",
           "admitted %u, in flight %u", stats.admitted, stats.inflight);
}

static void
after_flood(void)
{
    struct blocking_tally tallies[BLOCKING_THREADS];
    pthread_t tids[BLOCKING_THREADS];
    struct route_result *r;
    int failed = 0;

    /* A rejection is not cached, so the rejected domain resolves now. */
    r = resolver_route_lookup(resolver, "f100.slow.wild.test", DEADLINE_MS);
    report(r->verdict == ROUTE_IMPLICIT_MX && r->cache == ROUTE_CACHE_MISS,
           "rejected_domain_resolves_after", "got %s (%s), cache %s",
           route_verdict_name(r->verdict), r->reason ? r->reason : "",
           route_cache_state_name(r->cache));
    route_result_unref(r);

    r = resolver_route_lookup(resolver, "plain.test", DEADLINE_MS);
    report(r->verdict == ROUTE_MX, "plain_mx_after_flood", "got %s (%s)",
           route_verdict_name(r->verdict), r->reason ? r->reason : "");
    route_result_unref(r);

    r = resolver_route_lookup_on(resolver, "nosuch.test", 0, true, DEADLINE_MS);
    report(r->verdict == ROUTE_NO_DOMAIN, "confined_lookup_after_flood",
           "got %s (%s)", route_verdict_name(r->verdict),
           r->reason ? r->reason : "");
    route_result_unref(r);

    for (int i = 0; i < BLOCKING_THREADS; i++) {
        tallies[i] = (struct blocking_tally){i, 0, 0};
        pthread_create(&tids[i], NULL, blocking_after, &tallies[i]);
    }
    for (int i = 0; i < BLOCKING_THREADS; i++) {
        pthread_join(tids[i], NULL);
        failed += tallies[i].limited;
    }
    report(failed == 0, "parallel_lookups_after_flood",
           "%d of %d lookups failed", failed, BLOCKING_THREADS * 5);
}

int
main(int argc, char **argv)
{
    struct resolver_options options;
    char err[256];
    char *end;
    unsigned long value;

    if (argc != 3) {
        fprintf(stderr, "usage: flood SERVER SLOW_MS\n");
        return 64;
    }
    value = strtoul(argv[2], &end, 10);
    if (*end != '\0' || value == 0 || value > 60000) {
        fprintf(stderr,
                "flood: invalid SLOW_MS \"%s\": expected 1 to 60000 "
                "milliseconds\n",
                argv[2]);
        return 64;
    }
    slow_ms = (unsigned)value;

    resolver_options_init(&options);
    options.servers[0] = argv[1];
    options.server_count = 1;
    options.max_inflight = LIMIT;
    /* Longer than the server delay, so a slow step is not a timeout. */
    options.step_timeout_ms = slow_ms + 5000;
    resolver = resolver_new(&options, err, sizeof(err));
    if (!resolver) {
        fprintf(stderr, "flood: resolver_new failed: %s\n", err);
        return 1;
    }
    printf("1..13\n");
    flood();
    after_flood();
    resolver_free(resolver);
    return failures > 0 ? 1 : 0;
}
