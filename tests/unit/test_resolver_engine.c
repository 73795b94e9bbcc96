/*
 * Unit tests of the engine (resolver/engine.c, lookup.c, query.c) with a
 * simulated clock, against a small DNS responder thread on a random
 * loopback UDP port.  They cover caching and TTL expiry, rung memory, the
 * stale window, deadlines, merging, the in-flight limit on every submit
 * path, raw queries, the observer, and the step error of a server port
 * where nothing listens.
 *
 * The responder serves every name X.test: MX 10 mx.X.test, A 192.0.2.1
 * for mx.X.test, and NODATA with an SOA otherwise.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "canary.h"
#include "health.h"
#include "resolver.h"
#include "route.h"
#include "test_resolver_wire.h"

enum responder_mode {
    MODE_NORMAL = 0,
    MODE_FORMERR_EDNS, /* FORMERR to queries with an OPT */
    MODE_SERVFAIL,
    MODE_SLOW,    /* answer 300 ms late */
    MODE_HOLD_MX, /* keep MX replies until release is set */
};

/* MX replies kept in MODE_HOLD_MX, sent when release is set. */
#define HELD_MAX 256
struct held_reply {
    struct wire w;
    struct sockaddr_storage to;
    socklen_t tolen;
};

static struct {
    int fd;
    int port;
    pthread_t thread;
    atomic_int mode;
    atomic_int mx_queries;
    atomic_int queries;
    atomic_bool stop;
    atomic_bool release;              /* send the held replies, then reply */
    atomic_int held_count;            /* MX queries held now */
    struct held_reply held[HELD_MAX]; /* responder thread only */
} responder;

static atomic_ullong fake_now_ms;

static uint64_t
fake_clock(void *arg)
{
    (void)arg;
    return atomic_load(&fake_now_ms);
}

static void
sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Read the question of a query: name text, type, and whether it has an
 * OPT (ARCOUNT > 0).  Returns false for anything else. */
static bool
read_query(const unsigned char *q, size_t len, char *name, size_t namelen,
           uint16_t *type, bool *edns)
{
    size_t pos = 12, out = 0;

    if (len < 17)
        return false;
    while (pos < len && q[pos] != 0) {
        unsigned n = q[pos++];

        if (pos + n > len || out + n + 2 > namelen)
            return false;
        if (out)
            name[out++] = '.';
        memcpy(name + out, q + pos, n);
        out += n;
        pos += n;
    }
    name[out] = '\0';
    if (pos + 5 > len)
        return false;
    *type = (uint16_t)((q[pos + 1] << 8) | q[pos + 2]);
    *edns = ((q[10] << 8) | q[11]) > 0;
    return true;
}

/* Send every held reply (responder thread). */
static void
send_held(void)
{
    int n = atomic_load(&responder.held_count);

    for (int i = 0; i < n; i++)
        sendto(responder.fd, responder.held[i].w.buf, responder.held[i].w.len,
               0, (struct sockaddr *)&responder.held[i].to,
               responder.held[i].tolen);
    atomic_store(&responder.held_count, 0);
}

static void *
responder_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&responder.stop)) {
        struct pollfd pfd = {responder.fd, POLLIN, 0};
        unsigned char q[512];
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof(from);
        char name[256];
        uint16_t type, id;
        bool edns;
        ssize_t n;
        struct wire w;
        int mode;

        if (atomic_load(&responder.release)) {
            send_held();
            atomic_store(&responder.mode, MODE_NORMAL);
            atomic_store(&responder.release, false);
        }
        if (poll(&pfd, 1, 10) <= 0)
            continue;
        n = recvfrom(responder.fd, q, sizeof(q), 0, (struct sockaddr *)&from,
                     &fromlen);
        if (n <= 0 ||
            !read_query(q, (size_t)n, name, sizeof(name), &type, &edns))
            continue;
        id = (uint16_t)((q[0] << 8) | q[1]);
        mode = atomic_load(&responder.mode);
        atomic_fetch_add(&responder.queries, 1);
        if (type == 15)
            atomic_fetch_add(&responder.mx_queries, 1);

        if (mode == MODE_SLOW)
            sleep_ms(300);
        if (mode == MODE_SERVFAIL) {
            wire_reply(&w, id, 2, name, type);
        } else if (mode == MODE_FORMERR_EDNS && edns) {
            wire_reply(&w, id, 1, name, type);
        } else if (type == 15 && strncmp(name, "mx.", 3) != 0) {
            char exchange[300];

            snprintf(exchange, sizeof(exchange), "mx.%s", name);
            wire_reply(&w, id, 0, name, type);
            wire_mx(&w, name, 300, 10, exchange);
            wire_counts(&w, 1, 0, 0);
        } else if (type == 1 && strncmp(name, "mx.", 3) == 0) {
            wire_reply(&w, id, 0, name, type);
            wire_a(&w, name, 600, "192.0.2.1");
            wire_counts(&w, 1, 0, 0);
        } else {
            wire_reply(&w, id, 0, name, type);
            wire_soa(&w, "test", 300, 60);
            wire_counts(&w, 0, 1, 0);
        }
        if (mode == MODE_HOLD_MX && type == 15 &&
            atomic_load(&responder.held_count) < HELD_MAX) {
            struct held_reply *h =
                &responder.held[atomic_load(&responder.held_count)];

            h->w = w;
            memcpy(&h->to, &from, fromlen);
            h->tolen = fromlen;
            atomic_fetch_add(&responder.held_count, 1);
            continue;
        }
        sendto(responder.fd, w.buf, w.len, 0, (struct sockaddr *)&from,
               fromlen);
    }
    return NULL;
}

static struct resolver *resolver;
static char server[32];

static struct resolver *
make_resolver_at(const char *at, unsigned max_inflight,
                 unsigned step_timeout_ms)
{
    struct resolver_options o;
    char err[256];
    struct resolver *r;

    resolver_options_init(&o);
    o.servers[0] = at;
    o.server_count = 1;
    o.step_timeout_ms = step_timeout_ms;
    o.tcp_fallback = false;
    o.ttl_min_s = 60;
    o.ttl_max_s = 3600;
    o.stale_window_s = 3600;
    o.temp_error_ttl_s = 5;
    o.edns_memory_s = 900;
    o.max_inflight = max_inflight;
    o.clock = fake_clock;
    r = resolver_new(&o, err, sizeof(err));
    if (!r)
        fail_msg("resolver_new: %s", err);
    return r;
}

static struct resolver *
make_resolver(unsigned max_inflight)
{
    return make_resolver_at(server, max_inflight, 1000);
}

static int
setup(void **state)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);

    (void)state;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    responder.fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (responder.fd < 0 ||
        bind(responder.fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
        getsockname(responder.fd, (struct sockaddr *)&sin, &len) < 0)
        return -1;
    responder.port = ntohs(sin.sin_port);
    snprintf(server, sizeof(server), "127.0.0.1:%d", responder.port);
    atomic_store(&responder.stop, false);
    atomic_store(&responder.release, false);
    atomic_store(&responder.held_count, 0);
    atomic_store(&responder.mode, MODE_NORMAL);
    if (pthread_create(&responder.thread, NULL, responder_main, NULL))
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    atomic_store(&responder.stop, true);
    pthread_join(responder.thread, NULL);
    close(responder.fd);
    return 0;
}

/* Every test starts from a fresh resolver and a normal responder. */
static int
each_setup(void **state)
{
    (void)state;
    /* Replies a failed test left held go out to its closed resolver. */
    if (atomic_load(&responder.held_count) > 0)
        atomic_store(&responder.release, true);
    for (int i = 0; i < 100 && atomic_load(&responder.release); i++)
        sleep_ms(10);
    atomic_store(&responder.mode, MODE_NORMAL);
    atomic_store(&fake_now_ms, 1000000);
    resolver = make_resolver(1000);
    return 0;
}

static int
each_teardown(void **state)
{
    (void)state;
    resolver_free(resolver);
    resolver = NULL;
    return 0;
}

static void
lookup_then_cache_hit(void **state)
{
    struct route_result *r;
    int before;

    (void)state;
    r = resolver_route_lookup(resolver, "One.Test", 3000);
    assert_int_equal(r->verdict, ROUTE_MX);
    assert_int_equal(r->cache, ROUTE_CACHE_MISS);
    assert_string_equal(r->domain, "one.test");
    assert_int_equal(r->ttl_s, 300);
    assert_int_equal(r->step_count, 3);
    assert_int_equal(r->exchange_count, 1);
    assert_string_equal(r->exchanges[0].name, "mx.one.test");
    assert_string_equal(r->exchanges[0].addresses[0], "192.0.2.1");
    assert_string_equal(r->server, server);
    route_result_unref(r);

    before = atomic_load(&responder.queries);
    r = resolver_route_lookup(resolver, "one.test.", 3000);
    assert_int_equal(r->verdict, ROUTE_MX);
    assert_int_equal(r->cache, ROUTE_CACHE_HIT);
    assert_int_equal(atomic_load(&responder.queries), before);
    route_result_unref(r);
}

static void
ttl_expiry_on_simulated_clock(void **state)
{
    struct route_result *r;
    int before;

    (void)state;
    route_result_unref(resolver_route_lookup(resolver, "two.test", 3000));
    atomic_fetch_add(&fake_now_ms, 299999);
    r = resolver_route_lookup(resolver, "two.test", 3000);
    assert_int_equal(r->cache, ROUTE_CACHE_HIT);
    route_result_unref(r);

    before = atomic_load(&responder.mx_queries);
    atomic_fetch_add(&fake_now_ms, 1);
    r = resolver_route_lookup(resolver, "two.test", 3000);
    assert_int_equal(r->cache, ROUTE_CACHE_MISS);
    assert_int_equal(atomic_load(&responder.mx_queries), before + 1);
    route_result_unref(r);
}

static void
rung_memory_expires(void **state)
{
    struct route_result *r;

    (void)state;
    atomic_store(&responder.mode, MODE_FORMERR_EDNS);
    r = resolver_route_lookup(resolver, "three.test", 3000);
    assert_int_equal(r->verdict, ROUTE_MX);
    assert_int_equal(r->steps[0].edns_payload, 1232);
    assert_int_equal(r->steps[0].rcode, 1);
    assert_int_equal(r->steps[1].edns_payload, ROUTE_EDNS_NONE);
    route_result_unref(r);

    /* The server is remembered as EDNS-less. */
    r = resolver_route_lookup(resolver, "four.test", 3000);
    assert_int_equal(r->steps[0].edns_payload, ROUTE_EDNS_NONE);
    assert_int_equal(r->step_count, 3);
    route_result_unref(r);

    /* After edns_memory_s the top rung is probed again. */
    atomic_fetch_add(&fake_now_ms, 900 * 1000);
    atomic_store(&responder.mode, MODE_NORMAL);
    r = resolver_route_lookup(resolver, "five.test", 3000);
    assert_int_equal(r->steps[0].edns_payload, 1232);
    assert_int_equal(r->steps[0].rcode, 0);
    route_result_unref(r);
}

static void
stale_route_on_servfail(void **state)
{
    struct route_result *r;
    int before;

    (void)state;
    route_result_unref(resolver_route_lookup(resolver, "six.test", 3000));
    atomic_store(&responder.mode, MODE_SERVFAIL);
    atomic_fetch_add(&fake_now_ms, 301 * 1000);

    r = resolver_route_lookup(resolver, "six.test", 3000);
    assert_int_equal(r->verdict, ROUTE_MX);
    assert_int_equal(r->cache, ROUTE_CACHE_STALE);
    assert_string_equal(r->reason, "servfail");
    assert_true(r->step_count >= 1);
    assert_int_equal(r->steps[0].rcode, 2);
    route_result_unref(r);

    /* Within the temp_error TTL the stale route comes without DNS. */
    before = atomic_load(&responder.queries);
    atomic_fetch_add(&fake_now_ms, 4000);
    r = resolver_route_lookup(resolver, "six.test", 3000);
    assert_int_equal(r->cache, ROUTE_CACHE_STALE);
    assert_int_equal(atomic_load(&responder.queries), before);
    route_result_unref(r);

    /* Past the stale window the failure shows. */
    atomic_fetch_add(&fake_now_ms, 3600 * 1000);
    r = resolver_route_lookup(resolver, "six.test", 3000);
    assert_int_equal(r->verdict, ROUTE_TEMP_ERROR);
    assert_string_equal(r->reason, "servfail");
    route_result_unref(r);
}

static void
deadline_then_background_fill(void **state)
{
    struct route_result *r;
    struct timespec t0, t1;
    long elapsed_ms;

    (void)state;
    atomic_store(&responder.mode, MODE_SLOW);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = resolver_route_lookup(resolver, "seven.test", 50);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    elapsed_ms =
        (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_int_equal(r->verdict, ROUTE_TEMP_ERROR);
    assert_string_equal(r->reason, "deadline");
    assert_true(elapsed_ms >= 45);
    /* The whole lookup takes about 900 ms (three queries answered one at
     * a time, 300 ms each), so a waiter that missed its deadline returns
     * after that; the bound leaves room for a loaded machine. */
    assert_true(elapsed_ms < 800);
    route_result_unref(r);

    /* The lookup goes on in the background.  Poll until it has filled the
     * cache; a poll while it runs merges into it. */
    for (int i = 0; i < 100; i++) {
        bool done;

        sleep_ms(100);
        r = resolver_route_lookup(resolver, "seven.test", 50);
        done = r->verdict == ROUTE_MX;
        route_result_unref(r);
        if (done)
            break;
    }
    r = resolver_route_lookup(resolver, "seven.test", 50);
    assert_int_equal(r->verdict, ROUTE_MX);
    assert_int_equal(r->cache, ROUTE_CACHE_HIT);
    route_result_unref(r);
}

struct async_count {
    atomic_int calls;
    atomic_int mx;
    atomic_int limited;
    atomic_int shutdown;
};

static void
count_done(void *arg, struct route_result *result)
{
    struct async_count *c = arg;

    atomic_fetch_add(&c->calls, 1);
    if (result->verdict == ROUTE_MX)
        atomic_fetch_add(&c->mx, 1);
    if (result->reason && strcmp(result->reason, "inflight_limit") == 0)
        atomic_fetch_add(&c->limited, 1);
    if (result->reason && strcmp(result->reason, "shutdown") == 0)
        atomic_fetch_add(&c->shutdown, 1);
    route_result_unref(result);
}

static bool
wait_calls(struct async_count *c, int want)
{
    for (int i = 0; i < 300 && atomic_load(&c->calls) < want; i++)
        sleep_ms(10);
    return atomic_load(&c->calls) == want;
}

static void
same_domain_merged(void **state)
{
    struct async_count c = {0};
    int before = atomic_load(&responder.mx_queries);

    (void)state;
    atomic_store(&responder.mode, MODE_SLOW);
    for (int i = 0; i < 50; i++)
        resolver_route_lookup_async(resolver, "eight.test", 3000, count_done,
                                    &c);
    assert_true(wait_calls(&c, 50));
    assert_int_equal(atomic_load(&c.mx), 50);
    assert_int_equal(atomic_load(&responder.mx_queries), before + 1);
}

static void
inflight_limit_enforced(void **state)
{
    struct async_count c = {0};
    char name[32];

    (void)state;
    resolver_free(resolver);
    resolver = make_resolver(2);
    atomic_store(&responder.mode, MODE_SLOW);
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "limit%d.test", i);
        resolver_route_lookup_async(resolver, name, 3000, count_done, &c);
    }
    assert_true(wait_calls(&c, 3));
    assert_int_equal(atomic_load(&c.limited), 1);
    assert_int_equal(atomic_load(&c.mx), 2);
}

/* Set by the test thread around each submission, so a callback can
 * tell that it ran before the submission returned. */
static _Thread_local bool submitting;

struct flood_tally {
    atomic_int calls;
    atomic_int mx;
    atomic_int limited;
    atomic_int limited_at_once; /* limited, delivered inside the submit */
    atomic_int evidence_wrong;  /* limited result with steps or a server */
};

static void
flood_done(void *arg, struct route_result *result)
{
    struct flood_tally *t = arg;
    bool limited = result->verdict == ROUTE_TEMP_ERROR && result->reason &&
                   strcmp(result->reason, "inflight_limit") == 0;

    if (limited) {
        atomic_fetch_add(&t->limited, 1);
        if (submitting)
            atomic_fetch_add(&t->limited_at_once, 1);
        if (result->step_count != 0 || result->server != NULL ||
            result->ttl_s != 0 || result->cache != ROUTE_CACHE_MISS)
            atomic_fetch_add(&t->evidence_wrong, 1);
    }
    if (result->verdict == ROUTE_MX)
        atomic_fetch_add(&t->mx, 1);
    atomic_fetch_add(&t->calls, 1);
    route_result_unref(result);
}

/* Static, so callbacks that run after a failed assertion (at teardown)
 * still find it. */
static struct flood_tally tally;

static bool
wait_flood(struct flood_tally *t, int want)
{
    for (int i = 0; i < 500 && atomic_load(&t->calls) < want; i++)
        sleep_ms(10);
    return atomic_load(&t->calls) == want;
}

/* Wait until want MX queries are held. */
static bool
wait_held(int want)
{
    for (int i = 0; i < 300 && atomic_load(&responder.held_count) < want; i++)
        sleep_ms(10);
    return atomic_load(&responder.held_count) == want;
}

static unsigned
stats_admitted(void)
{
    struct resolver_stats st;

    resolver_get_stats(resolver, &st);
    return st.admitted;
}

/* Submissions in domain order, each domain repeats times in a row, while
 * the responder keeps every MX reply, so the admitted lookups stay in
 * flight for the whole flood. */
static const struct flood_case {
    const char *name;
    unsigned max_inflight;
    unsigned domains;
    unsigned repeats;
    unsigned want_limited;
} flood_cases[] = {
    {"distinct_past_limit", 4, 20, 1, 16},
    {"repeats_merge_at_limit", 2, 2, 25, 0},
    {"repeats_of_rejected_domains", 3, 6, 4, 12},
    {"limit_of_one", 1, 5, 2, 8},
};

static void
async_flood_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(flood_cases) / sizeof(flood_cases[0]); i++) {
        const struct flood_case *c = &flood_cases[i];
        struct flood_tally *t = &tally;
        struct resolver_stats st;
        unsigned total = c->domains * c->repeats;
        unsigned admitted =
            c->domains < c->max_inflight ? c->domains : c->max_inflight;
        int mx_before = atomic_load(&responder.mx_queries);
        struct route_result *r;
        char name[32];

        resolver_free(resolver);
        memset(&tally, 0, sizeof(tally));
        resolver = make_resolver_at(server, c->max_inflight, 5000);
        atomic_store(&responder.mode, MODE_HOLD_MX);

        for (unsigned d = 0; d < c->domains; d++) {
            snprintf(name, sizeof(name), "f%zu-%u.test", i, d);
            for (unsigned k = 0; k < c->repeats; k++) {
                submitting = true;
                resolver_route_lookup_async(resolver, name, 5000, flood_done,
                                            t);
                submitting = false;
            }
        }
        if (!wait_held((int)admitted))
            fail_msg("%s: %d MX queries held, expected %u", c->name,
                     atomic_load(&responder.held_count), admitted);
        if (atomic_load(&t->limited_at_once) != (int)c->want_limited)
            fail_msg("%s: %d limited at once, expected %u", c->name,
                     atomic_load(&t->limited_at_once), c->want_limited);
        if (stats_admitted() != admitted)
            fail_msg("%s: %u admitted, expected %u", c->name, stats_admitted(),
                     admitted);

        atomic_store(&responder.release, true);
        if (!wait_flood(t, (int)total))
            fail_msg("%s: %d of %u callbacks ran", c->name,
                     atomic_load(&t->calls), total);
        assert_int_equal(atomic_load(&t->limited), c->want_limited);
        assert_int_equal(atomic_load(&t->evidence_wrong), 0);
        assert_int_equal(atomic_load(&t->mx), total - c->want_limited);
        assert_int_equal(atomic_load(&responder.mx_queries),
                         mx_before + (int)admitted);
        resolver_get_stats(resolver, &st);
        assert_int_equal(st.inflight_limited, c->want_limited);
        assert_int_equal(st.admitted, 0);
        assert_int_equal(st.inflight, 0);

        /* The last domain was rejected unless every domain got in.  A
         * rejected domain was not cached, so it resolves afresh now. */
        snprintf(name, sizeof(name), "f%zu-%u.test", i, c->domains - 1);
        r = resolver_route_lookup(resolver, name, 3000);
        assert_int_equal(r->verdict, ROUTE_MX);
        assert_int_equal(r->cache, c->want_limited > 0 ? ROUTE_CACHE_MISS
                                                       : ROUTE_CACHE_HIT);
        route_result_unref(r);
    }
}

static long
elapsed_ms_since(const struct timespec *t0)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000 +
           (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
assert_limited(struct route_result *r, const char *domain)
{
    assert_int_equal(r->verdict, ROUTE_TEMP_ERROR);
    assert_string_equal(r->reason, "inflight_limit");
    assert_string_equal(r->domain, domain);
    assert_int_equal(r->step_count, 0);
    assert_null(r->server);
    route_result_unref(r);
}

/* Blocking submissions past the limit return at once, not at their
 * deadline.  A confined lookup never merges, even into its own domain. */
static void
blocking_past_limit_at_once(void **state)
{
    struct flood_tally *t = &tally;
    struct timespec t0;
    struct route_result *r;

    (void)state;
    resolver_free(resolver);
    memset(t, 0, sizeof(*t));
    resolver = make_resolver_at(server, 1, 5000);
    atomic_store(&responder.mode, MODE_HOLD_MX);
    resolver_route_lookup_async(resolver, "held.test", 5000, flood_done, t);
    assert_true(wait_held(1));

    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_limited(resolver_route_lookup(resolver, "Other.Test", 3000),
                   "other.test");
    assert_limited(
        resolver_route_lookup_on(resolver, "held.test", 0, false, 3000),
        "held.test");
    assert_limited(
        resolver_route_lookup_on(resolver, "other.test", 0, true, 3000),
        "other.test");
    assert_true(elapsed_ms_since(&t0) < 1000);

    atomic_store(&responder.release, true);
    assert_true(wait_flood(t, 1));
    assert_int_equal(atomic_load(&t->mx), 1);
    assert_int_equal(stats_admitted(), 0);

    r = resolver_route_lookup(resolver, "other.test", 3000);
    assert_int_equal(r->verdict, ROUTE_MX);
    route_result_unref(r);
}

struct confined_call {
    const char *domain;
    struct route_result *result;
};

static void *
confined_thread(void *arg)
{
    struct confined_call *call = arg;

    call->result =
        resolver_route_lookup_on(resolver, call->domain, 0, false, 5000);
    return NULL;
}

/* A lookup on one server in flight takes a place under max_inflight. */
static void
confined_lookup_counts(void **state)
{
    /* Static, so the thread still finds it after a failed assertion. */
    static struct confined_call call;
    struct flood_tally *t = &tally;
    pthread_t tid;

    (void)state;
    resolver_free(resolver);
    memset(t, 0, sizeof(*t));
    call.domain = "confirm.test";
    call.result = NULL;
    resolver = make_resolver_at(server, 1, 5000);
    atomic_store(&responder.mode, MODE_HOLD_MX);
    assert_int_equal(pthread_create(&tid, NULL, confined_thread, &call), 0);
    assert_true(wait_held(1));
    assert_int_equal(stats_admitted(), 1);

    /* Neither another domain nor the confined one's domain gets in. */
    submitting = true;
    resolver_route_lookup_async(resolver, "shared.test", 5000, flood_done, t);
    resolver_route_lookup_async(resolver, "confirm.test", 5000, flood_done, t);
    submitting = false;
    assert_int_equal(atomic_load(&t->limited_at_once), 2);

    atomic_store(&responder.release, true);
    pthread_join(tid, NULL);
    assert_int_equal(call.result->verdict, ROUTE_MX);
    route_result_unref(call.result);
    assert_int_equal(stats_admitted(), 0);

    /* The place is free again. */
    call.result = NULL;
    confined_thread(&call);
    assert_int_equal(call.result->verdict, ROUTE_MX);
    route_result_unref(call.result);
}

/* A loopback port where nothing listens, bound and closed at once. */
static int
closed_port(void)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int port = -1;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
        port = ntohs(sin.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* ICMP port unreachable on UDP and a refused TCP connection get their
 * own words, and both count as network errors for health. */
static void
unreachable_port_words(void **state)
{
    static const struct {
        bool tcp_only;
        const char *word;
        enum route_transport transport;
    } cases[] = {
        {false, "port_unreachable", ROUTE_TRANSPORT_UDP},
        {true, "connection_refused", ROUTE_TRANSPORT_TCP},
    };
    char dead[32];
    int port = closed_port();
    struct resolver *r;

    (void)state;
    assert_true(port > 0);
    snprintf(dead, sizeof(dead), "127.0.0.1:%d", port);
    r = make_resolver_at(dead, 10, 1000);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct route_result *result = resolver_route_lookup_on(
            r, "dead.test", 0, cases[i].tcp_only, 3000);

        assert_int_equal(result->verdict, ROUTE_TEMP_ERROR);
        assert_string_equal(result->reason, cases[i].word);
        assert_true(result->step_count >= 1);
        assert_string_equal(result->steps[0].error, cases[i].word);
        assert_int_equal(result->steps[0].transport, cases[i].transport);
        assert_int_equal(canary_step_outcome(&result->steps[0]),
                         HEALTH_OUTCOME_NETWORK);
        route_result_unref(result);
    }

    /* A shared lookup reports the same word. */
    {
        struct route_result *result =
            resolver_route_lookup(r, "dead.test", 3000);

        assert_string_equal(result->reason, "port_unreachable");
        route_result_unref(result);
    }
    resolver_free(r);
}

static void
shutdown_completes_every_callback(void **state)
{
    struct async_count c = {0};
    char name[32];

    (void)state;
    atomic_store(&responder.mode, MODE_SLOW);
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "down%d.test", i);
        resolver_route_lookup_async(resolver, name, 3000, count_done, &c);
    }
    sleep_ms(50);
    resolver_free(resolver);
    resolver = NULL;
    assert_int_equal(atomic_load(&c.calls), 20);
    assert_int_equal(atomic_load(&c.shutdown), 20);
    resolver = make_resolver(1000);
}

static void
literal_and_invalid_immediate(void **state)
{
    struct route_result *r;
    int before = atomic_load(&responder.queries);

    (void)state;
    r = resolver_route_lookup(resolver, "[192.0.2.7]", 10);
    assert_int_equal(r->verdict, ROUTE_ADDRESS_LITERAL);
    route_result_unref(r);
    r = resolver_route_lookup(resolver, "bad..name", 10);
    assert_int_equal(r->verdict, ROUTE_INVALID);
    assert_string_equal(r->reason, "syntax");
    route_result_unref(r);
    assert_int_equal(atomic_load(&responder.queries), before);
}

static void
raw_query_answers(void **state)
{
    struct resolver_raw_result *raw;

    (void)state;
    raw = resolver_raw_query(resolver, 0, "nine.test", 15, 3000);
    assert_non_null(raw);
    assert_int_equal(raw->status, 0);
    assert_int_equal(raw->rcode, 0);
    assert_int_equal(raw->answer_count, 1);
    assert_string_equal(raw->answers[0], "nine.test 300 MX 10 mx.nine.test.");
    assert_int_equal(raw->step_count, 1);
    resolver_raw_result_free(raw);

    raw = resolver_raw_query(resolver, 5, "nine.test", 15, 3000);
    assert_non_null(raw);
    assert_int_equal(raw->status, -1);
    resolver_raw_result_free(raw);
}

static atomic_int observed;

static void
observe(void *arg, unsigned server_index, const struct route_step *step)
{
    (void)arg;
    if (server_index == 0 && step->server && step->name)
        atomic_fetch_add(&observed, 1);
}

static void
observer_sees_every_step(void **state)
{
    struct resolver_options o;
    char err[256];
    struct resolver *r;
    struct route_result *result;

    (void)state;
    resolver_options_init(&o);
    o.servers[0] = server;
    o.server_count = 1;
    o.observer = observe;
    atomic_store(&observed, 0);
    r = resolver_new(&o, err, sizeof(err));
    assert_non_null(r);
    result = resolver_route_lookup(r, "ten.test", 3000);
    assert_int_equal(atomic_load(&observed), (int)result->step_count);
    route_result_unref(result);
    resolver_free(r);
}

static void
bad_options_rejected(void **state)
{
    struct resolver_options o;
    char err[256];

    (void)state;
    resolver_options_init(&o);
    assert_null(resolver_new(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "servers"));
    o.servers[0] = "not-an-address";
    o.server_count = 1;
    assert_null(resolver_new(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "not-an-address"));
    o.servers[0] = "127.0.0.1:99999";
    assert_null(resolver_new(&o, err, sizeof(err)));
    o.servers[0] = "127.0.0.1";
    o.edns_ladder[0] = 100;
    assert_null(resolver_new(&o, err, sizeof(err)));
    assert_non_null(strstr(err, "512"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(lookup_then_cache_hit, each_setup,
                                        each_teardown),
        cmocka_unit_test_setup_teardown(ttl_expiry_on_simulated_clock,
                                        each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(rung_memory_expires, each_setup,
                                        each_teardown),
        cmocka_unit_test_setup_teardown(stale_route_on_servfail, each_setup,
                                        each_teardown),
        cmocka_unit_test_setup_teardown(deadline_then_background_fill,
                                        each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(same_domain_merged, each_setup,
                                        each_teardown),
        cmocka_unit_test_setup_teardown(inflight_limit_enforced, each_setup,
                                        each_teardown),
        cmocka_unit_test_setup_teardown(async_flood_table, each_setup,
                                        each_teardown),
        cmocka_unit_test_setup_teardown(blocking_past_limit_at_once, each_setup,
                                        each_teardown),
        cmocka_unit_test_setup_teardown(confined_lookup_counts, each_setup,
                                        each_teardown),
        cmocka_unit_test(unreachable_port_words),
        cmocka_unit_test_setup_teardown(shutdown_completes_every_callback,
                                        each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(literal_and_invalid_immediate,
                                        each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(raw_query_answers, each_setup,
                                        each_teardown),
        cmocka_unit_test(observer_sees_every_step),
        cmocka_unit_test(bad_options_rejected),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
