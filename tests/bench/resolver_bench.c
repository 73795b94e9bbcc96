/*
 * resolver_bench - throughput and memory figures of the resolver engine.
 *
 * usage: resolver_bench SERVER [SECONDS]
 *
 * Prints one "key=value" line per figure:
 *   raw_qps         plain c-ares queries per second (A of distinct names
 *                   under *.wild.test, 128 in flight, one channel)
 *   route_lps       route lookups per second through the engine (distinct
 *                   names, 128 in flight, cache off), against the same
 *                   server in the same run
 *   route_ratio     route_lps / raw_qps
 *   shared_lps      the same with distinct names that share one exchange
 *                   (*.shared.rt.test), the common case of hosted mail
 *   shared_ratio    shared_lps / raw_qps
 *   queries_per_route
 *   hit_lps         cache-hit lookups per second from 8 threads
 *   bytes_per_entry heap bytes per cached domain beyond its names
 *
 * Names are warmed first so that a caching server answers both phases
 * from its cache.
 */
#include "config.h"

#include <ares.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "cache.h"
#include "dnsmsg.h"
#include "resolver.h"
#include "result.h"
#include "route.h"

#define IN_FLIGHT 128
#define NAMES 2000
#define HIT_THREADS 8
#define HIT_DOMAINS 1000

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- raw c-ares ---- */

static struct {
    ares_channel channel;
    long sent, done, errors;
    double until;
    int round;
} raw;

static void raw_send(void);

static void
raw_callback(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    (void)arg;
    (void)timeouts;
    (void)abuf;
    (void)alen;
    raw.done++;
    if (status != ARES_SUCCESS)
        raw.errors++;
    if (now_s() < raw.until)
        raw_send();
}

static void
raw_send(void)
{
    unsigned char q[DNS_QUERY_MAX];
    char name[64];
    size_t n;

    snprintf(name, sizeof(name), "r%ld.wild.test", raw.sent % NAMES);
    n = dnsmsg_build_query(q, sizeof(q), (uint16_t)(arc4random() & 0xffff),
                           name, DNS_TYPE_A, 1232);
    raw.sent++;
    ares_send(raw.channel, q, (int)n, raw_callback, NULL);
}

static double
raw_run(const char *server, double seconds)
{
    struct ares_options o;
    double start;

    memset(&o, 0, sizeof(o));
    o.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS;
    o.tries = 1;
    o.timeout = 2000;
    o.ednspsz = 1232;
    o.resolvconf_path = (char *)"/dev/null";
    if (ares_init_options(&raw.channel, &o,
                          ARES_OPT_FLAGS | ARES_OPT_TRIES | ARES_OPT_TIMEOUTMS |
                              ARES_OPT_EDNSPSZ | ARES_OPT_RESOLVCONF) !=
            ARES_SUCCESS ||
        ares_set_servers_ports_csv(raw.channel, server) != ARES_SUCCESS) {
        fprintf(stderr,
                "resolver_bench: c-ares setup failed for server "
                "%s\n",
                server);
        exit(1);
    }
    start = now_s();
    raw.until = start + seconds;
    for (int i = 0; i < IN_FLIGHT; i++)
        raw_send();
    for (;;) {
        fd_set r, w;
        struct timeval tv, *tvp;
        int nfds;

        FD_ZERO(&r);
        FD_ZERO(&w);
        nfds = ares_fds(raw.channel, &r, &w);
        if (nfds == 0)
            break;
        tvp = ares_timeout(raw.channel, NULL, &tv);
        select(nfds, &r, &w, NULL, tvp);
        ares_process(raw.channel, &r, &w);
    }
    ares_destroy(raw.channel);
    return (double)raw.done / (now_s() - start);
}

/* ---- route lookups ---- */

static atomic_long step_errors;
static atomic_long step_slow;

/* Count steps that did not get a plain answer, to explain a low rate. */
static void
count_steps(void *arg, unsigned server_index, const struct route_step *step)
{
    (void)arg;
    (void)server_index;
    if (step->error) {
        atomic_fetch_add(&step_errors, 1);
        if (getenv("BENCH_DEBUG"))
            fprintf(stderr, "# %s %s %s edns=%u %s\n", step->name,
                    route_type_name(step->type),
                    step->transport ? "tcp" : "udp", step->edns_payload,
                    step->error);
    }
    if (step->rtt_ms >= 100)
        atomic_fetch_add(&step_slow, 1);
}

static atomic_long routes_done;
static atomic_long routes_bad;
static atomic_long routes_submitted;
static atomic_long routes_outstanding;
static atomic_bool routes_stop;

/* Route workload: distinct names under *.wild.test (implicit MX, each
 * its own A and AAAA: three queries a route) or under
 * *.shared.rt.test (one provider's exchange for all: after the first
 * lookup, the MX query alone). */
static const char *route_suffix = "wild.test";
static enum route_verdict route_expected = ROUTE_IMPLICIT_MX;

static void route_submit(struct resolver *r);

/* Each completion submits the next lookup from the event thread, the way
 * an asynchronous front end would, so the number in flight stays fixed
 * without a thread switch per lookup. */
static void
route_done(void *arg, struct route_result *result)
{
    struct resolver *r = arg;

    if (result->verdict != route_expected)
        atomic_fetch_add(&routes_bad, 1);
    route_result_unref(result);
    atomic_fetch_add(&routes_done, 1);
    if (!atomic_load(&routes_stop))
        route_submit(r);
    else
        atomic_fetch_sub(&routes_outstanding, 1);
}

static void
route_submit(struct resolver *r)
{
    char name[64];
    long n = atomic_fetch_add(&routes_submitted, 1);

    snprintf(name, sizeof(name), "r%ld.%s", n % NAMES, route_suffix);
    resolver_route_lookup_async(r, name, 10000, route_done, r);
}

static double
route_run(struct resolver *r, double seconds, long *count)
{
    double start = now_s();
    struct timespec tick = {0, 10000000};

    atomic_store(&routes_stop, false);
    atomic_store(&routes_done, 0);
    atomic_store(&routes_outstanding, IN_FLIGHT);
    for (int i = 0; i < IN_FLIGHT; i++)
        route_submit(r);
    while (now_s() < start + seconds)
        nanosleep(&tick, NULL);
    atomic_store(&routes_stop, true);
    *count = atomic_load(&routes_done);
    seconds = now_s() - start;
    while (atomic_load(&routes_outstanding) > 0)
        nanosleep(&tick, NULL);
    return (double)*count / seconds;
}

/* ---- cache hits ---- */

static struct resolver *hit_resolver;
static atomic_bool hit_stop;
static atomic_long hit_count;

static void *
hit_worker(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    char name[HIT_DOMAINS][32];
    long n = 0;

    for (int i = 0; i < HIT_DOMAINS; i++)
        snprintf(name[i], sizeof(name[i]), "h%d.wild.test", i);
    while (!atomic_load_explicit(&hit_stop, memory_order_relaxed)) {
        struct route_result *r = resolver_route_lookup(
            hit_resolver, name[rand_r(&seed) % HIT_DOMAINS], 1000);

        if (r->cache != ROUTE_CACHE_HIT)
            atomic_fetch_add(&routes_bad, 1);
        route_result_unref(r);
        n++;
    }
    atomic_fetch_add(&hit_count, n);
    return NULL;
}

static double
hit_run(double seconds)
{
    pthread_t t[HIT_THREADS];
    double start;

    atomic_store(&hit_stop, false);
    start = now_s();
    for (int i = 0; i < HIT_THREADS; i++)
        pthread_create(&t[i], NULL, hit_worker, (void *)(uintptr_t)(i + 1));
    while (now_s() < start + seconds) {
        struct timespec ts = {0, 10000000};

        nanosleep(&ts, NULL);
    }
    atomic_store(&hit_stop, true);
    for (int i = 0; i < HIT_THREADS; i++)
        pthread_join(t[i], NULL);
    return (double)atomic_load(&hit_count) / (now_s() - start);
}

/* ---- memory per cached domain ---- */

static double
memory_per_entry(long entries, double *names_per_entry)
{
    struct route_cache *cache = route_cache_new((unsigned)entries, 0, 0);
    struct mallinfo2 before, after;
    double names = 0;

    before = mallinfo2();
    for (long i = 0; i < entries; i++) {
        char domain[64], exchange[64];
        const char *addresses[2] = {"192.0.2.25", "2001:db8::25"};
        struct route_exchange x = {0};
        struct route_result src;
        struct route_result *r;

        snprintf(domain, sizeof(domain), "d%ld.example.test", i);
        snprintf(exchange, sizeof(exchange), "mx.d%ld.example.test", i);
        memset(&src, 0, sizeof(src));
        x.name = exchange;
        x.preference = 10;
        x.addresses = addresses;
        x.address_count = 2;
        x.usable = true;
        src.verdict = ROUTE_MX;
        src.domain = domain;
        src.ttl_s = 300;
        src.server = "127.0.0.1:53";
        src.exchanges = &x;
        src.exchange_count = 1;
        r = route_result_pack(&src, ROUTE_CACHE_MISS, false);
        route_result_unref(route_cache_put(cache, r, 0));
        route_result_unref(r);
        names += (double)(strlen(domain) + 1 + strlen(exchange) + 1 +
                          strlen(addresses[0]) + 1 + strlen(addresses[1]) + 1 +
                          strlen(src.server) + 1);
    }
    after = mallinfo2();
    *names_per_entry = names / (double)entries;
    route_cache_free(cache);
    return (double)(after.uordblks - before.uordblks) / (double)entries -
           *names_per_entry;
}

int
main(int argc, char **argv)
{
    struct resolver_options o;
    struct resolver *r;
    struct resolver_stats stats;
    char err[256];
    double seconds = argc > 2 ? atof(argv[2]) : 5.0;
    double raw_qps, route_lps, shared_lps, hit_lps, bytes, names;
    long routes;

    if (argc < 2 || seconds <= 0) {
        fprintf(stderr, "usage: resolver_bench SERVER [SECONDS]\n");
        return 64;
    }
    ares_library_init(ARES_LIB_INIT_ALL);

    /* Warm the server's cache with every name both phases ask. */
    raw_run(argv[1], 2.0);
    raw.sent = raw.done = raw.errors = 0;
    raw_qps = raw_run(argv[1], seconds);
    if (raw.errors > 0)
        fprintf(stderr, "# raw c-ares errors: %ld\n", raw.errors);

    resolver_options_init(&o);
    o.servers[0] = argv[1];
    o.server_count = 1;
    o.cache_size = 0;
    o.host_cache_slots = 0;
    o.max_inflight = 100000;
    o.step_timeout_ms = 2000;
    o.observer = count_steps;
    r = resolver_new(&o, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "resolver_bench: %s\n", err);
        return 1;
    }
    route_run(r, 2.0, &routes); /* warm MX and AAAA too */
    resolver_get_stats(r, &stats);
    {
        uint64_t q0 = stats.queries_sent;

        route_lps = route_run(r, seconds, &routes);
        resolver_get_stats(r, &stats);
        printf("queries_per_route=%.2f\n",
               (double)(stats.queries_sent - q0) / (double)routes);
    }

    /* The shared workload runs with the exchange cache, the distinct one
     * above without it, so that every route there costs MX, A and AAAA. */
    resolver_free(r);
    o.host_cache_slots = 4096;
    r = resolver_new(&o, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "resolver_bench: %s\n", err);
        return 1;
    }
    route_suffix = "shared.rt.test";
    route_expected = ROUTE_MX;
    route_run(r, 2.0, &routes);
    resolver_get_stats(r, &stats);
    {
        uint64_t q0 = stats.queries_sent;

        shared_lps = route_run(r, seconds, &routes);
        resolver_get_stats(r, &stats);
        printf("shared_queries_per_route=%.2f\n",
               (double)(stats.queries_sent - q0) / (double)routes);
    }
    printf("step_errors=%ld\nsteps_over_100ms=%ld\n", atomic_load(&step_errors),
           atomic_load(&step_slow));
    resolver_free(r);

    if (getenv("BENCH_ROUTES_ONLY")) {
        printf("route_lps=%.0f\nshared_lps=%.0f\n", route_lps, shared_lps);
        return 0;
    }
    o.cache_size = 100000;
    hit_resolver = resolver_new(&o, err, sizeof(err));
    for (int i = 0; i < HIT_DOMAINS; i++) {
        char name[32];

        snprintf(name, sizeof(name), "h%d.wild.test", i);
        route_result_unref(resolver_route_lookup(hit_resolver, name, 10000));
    }
    hit_lps = hit_run(seconds);
    resolver_free(hit_resolver);

    bytes = memory_per_entry(100000, &names);

    printf("raw_qps=%.0f\n", raw_qps);
    printf("route_lps=%.0f\n", route_lps);
    printf("route_ratio=%.2f\n", route_lps / raw_qps);
    printf("shared_lps=%.0f\n", shared_lps);
    printf("shared_ratio=%.2f\n", shared_lps / raw_qps);
    printf("hit_lps=%.0f\n", hit_lps);
    printf("bytes_per_entry=%.0f\n", bytes);
    printf("name_bytes_per_entry=%.0f\n", names);
    printf("unexpected_results=%ld\n", atomic_load(&routes_bad));
    ares_library_cleanup();
    return 0;
}
