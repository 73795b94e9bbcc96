/*
 * Unit tests of the route cache (resolver/cache.c) with a simulated
 * clock: TTL expiry, LRU eviction, the stale window and failed refreshes.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cache.h"
#include "hostcache.h"
#include "result.h"
#include "route.h"

static struct route_result *
make(const char *domain, enum route_verdict v, uint32_t ttl_s)
{
    struct route_result src;
    struct route_step step;
    struct route_result *r;

    memset(&src, 0, sizeof(src));
    memset(&step, 0, sizeof(step));
    step.name = domain;
    step.server = "127.0.0.1:53";
    step.type = 15;
    step.rcode = 0;
    src.verdict = v;
    src.domain = domain;
    src.ttl_s = ttl_s;
    src.rcode = 0;
    src.server = "127.0.0.1:53";
    src.reason = v == ROUTE_TEMP_ERROR ? "timeout" : NULL;
    src.steps = &step;
    src.step_count = 1;
    r = route_result_pack(&src, ROUTE_CACHE_MISS, true);
    assert_non_null(r);
    return r;
}

static void
put(struct route_cache *c, const char *domain, enum route_verdict v,
    uint32_t ttl_s, uint64_t now)
{
    struct route_result *r = make(domain, v, ttl_s);

    assert_null(route_cache_put(c, r, now));
    route_result_unref(r);
}

static void
hit_until_ttl(void **state)
{
    struct route_cache *c = route_cache_new(10, 60000, 5000);
    struct route_result *out;

    (void)state;
    put(c, "a.test", ROUTE_MX, 300, 1000);
    assert_int_equal(route_cache_get(c, "a.test", 1000, &out), CACHE_FRESH);
    assert_int_equal(out->cache, ROUTE_CACHE_HIT);
    assert_string_equal(out->domain, "a.test");
    assert_int_equal(out->step_count, 0); /* steps are not kept */
    route_result_unref(out);
    assert_int_equal(route_cache_get(c, "a.test", 300999, &out), CACHE_FRESH);
    route_result_unref(out);
    assert_int_equal(route_cache_get(c, "a.test", 301000, &out), CACHE_MISS);
    assert_null(out);
    assert_int_equal(route_cache_get(c, "b.test", 1000, &out), CACHE_MISS);
    route_cache_free(c);
}

static void
lru_evicts_oldest(void **state)
{
    struct route_cache *c = route_cache_new(3, 0, 5000);
    struct route_result *out;

    (void)state;
    put(c, "a.test", ROUTE_MX, 300, 0);
    put(c, "b.test", ROUTE_MX, 300, 0);
    put(c, "c.test", ROUTE_MX, 300, 0);
    /* Touch a so that b is the least recently used. */
    assert_int_equal(route_cache_get(c, "a.test", 1, &out), CACHE_FRESH);
    route_result_unref(out);
    put(c, "d.test", ROUTE_MX, 300, 2);
    assert_int_equal(route_cache_count(c), 3);
    assert_int_equal(route_cache_get(c, "b.test", 3, &out), CACHE_MISS);
    assert_int_equal(route_cache_get(c, "a.test", 3, &out), CACHE_FRESH);
    route_result_unref(out);
    assert_int_equal(route_cache_get(c, "c.test", 3, &out), CACHE_FRESH);
    route_result_unref(out);
    assert_int_equal(route_cache_get(c, "d.test", 3, &out), CACHE_FRESH);
    route_result_unref(out);
    route_cache_free(c);
}

static void
replace_keeps_count(void **state)
{
    struct route_cache *c = route_cache_new(3, 0, 5000);
    struct route_result *out;

    (void)state;
    put(c, "a.test", ROUTE_MX, 300, 0);
    put(c, "a.test", ROUTE_NO_DOMAIN, 60, 10);
    assert_int_equal(route_cache_count(c), 1);
    assert_int_equal(route_cache_get(c, "a.test", 11, &out), CACHE_FRESH);
    assert_int_equal(out->verdict, ROUTE_NO_DOMAIN);
    route_result_unref(out);
    route_cache_free(c);
}

static void
stale_served_after_failed_refresh(void **state)
{
    struct route_cache *c = route_cache_new(10, 60000, 5000);
    struct route_result *out, *temp, *stale;

    (void)state;
    put(c, "a.test", ROUTE_MX, 100, 0);
    /* Expired, inside the stale window: a lookup runs. */
    assert_int_equal(route_cache_get(c, "a.test", 100000, &out), CACHE_MISS);

    temp = make("a.test", ROUTE_TEMP_ERROR, 5);
    stale = route_cache_put(c, temp, 100000);
    assert_non_null(stale);
    assert_int_equal(stale->verdict, ROUTE_MX);
    assert_int_equal(stale->cache, ROUTE_CACHE_STALE);
    assert_string_equal(stale->reason, "timeout");
    assert_int_equal(stale->step_count, 1); /* the failed refresh's steps */
    route_result_unref(stale);
    route_result_unref(temp);

    /* For the temp_error TTL, lookups get the stale route directly. */
    assert_int_equal(route_cache_get(c, "a.test", 104999, &out), CACHE_STALE);
    assert_int_equal(out->cache, ROUTE_CACHE_STALE);
    route_result_unref(out);
    assert_int_equal(route_cache_get(c, "a.test", 105000, &out), CACHE_MISS);

    stale = route_cache_get_stale(c, "a.test", 120000, "deadline");
    assert_non_null(stale);
    assert_string_equal(stale->reason, "deadline");
    route_result_unref(stale);

    /* Past the stale window the entry is gone. */
    assert_null(route_cache_get_stale(c, "a.test", 160000, "deadline"));
    assert_int_equal(route_cache_get(c, "a.test", 160000, &out), CACHE_MISS);
    assert_int_equal(route_cache_count(c), 0);
    route_cache_free(c);
}

static void
negative_never_stale(void **state)
{
    struct route_cache *c = route_cache_new(10, 60000, 5000);
    struct route_result *temp, *out;

    (void)state;
    put(c, "n.test", ROUTE_NO_DOMAIN, 100, 0);
    assert_null(route_cache_get_stale(c, "n.test", 100000, "deadline"));
    temp = make("n.test", ROUTE_TEMP_ERROR, 5);
    assert_null(route_cache_put(c, temp, 100000));
    route_result_unref(temp);
    /* The temp_error replaced it, cached for its own TTL. */
    assert_int_equal(route_cache_get(c, "n.test", 100001, &out), CACHE_FRESH);
    assert_int_equal(out->verdict, ROUTE_TEMP_ERROR);
    route_result_unref(out);
    route_cache_free(c);
}

static void
temp_error_ttl_zero_not_stored(void **state)
{
    struct route_cache *c = route_cache_new(10, 60000, 0);
    struct route_result *out;

    (void)state;
    put(c, "t.test", ROUTE_TEMP_ERROR, 0, 0);
    assert_int_equal(route_cache_get(c, "t.test", 0, &out), CACHE_MISS);
    route_cache_free(c);
}

static void
literals_never_cached(void **state)
{
    struct route_cache *c = route_cache_new(10, 0, 0);
    struct route_result *r =
        route_result_simple(ROUTE_ADDRESS_LITERAL, "[192.0.2.1]", NULL);

    (void)state;
    assert_null(route_cache_put(c, r, 0));
    assert_int_equal(route_cache_count(c), 0);
    route_result_unref(r);
    route_cache_free(c);
}

static void
zero_capacity_stores_nothing(void **state)
{
    struct route_cache *c = route_cache_new(0, 0, 5000);
    struct route_result *out;

    (void)state;
    put(c, "a.test", ROUTE_MX, 300, 0);
    assert_int_equal(route_cache_get(c, "a.test", 0, &out), CACHE_MISS);
    assert_int_equal(route_cache_count(c), 0);
    route_cache_free(c);
}

static void
large_cache_stays_bounded(void **state)
{
    struct route_cache *c = route_cache_new(5000, 0, 5000);
    char name[32];

    (void)state;
    for (int i = 0; i < 20000; i++) {
        snprintf(name, sizeof(name), "d%d.test", i);
        put(c, name, ROUTE_MX, 300, (uint64_t)i);
    }
    /* Sharding rounds the per-shard bound up, never past one extra entry
     * per shard. */
    assert_true(route_cache_count(c) <= 5000 + 64);
    assert_true(route_cache_count(c) >= 4900);
    route_cache_free(c);
}

static void
host_cache_keeps_addresses(void **state)
{
    struct host_cache *hc = host_cache_new(16, 3600);
    struct answer an, out;
    struct answer_item item;

    (void)state;
    memset(&an, 0, sizeof(an));
    memset(&item, 0, sizeof(item));
    item.family = 2; /* AF_INET */
    memcpy(item.addr, "\xc0\x00\x02\x01", 4);
    item.ttl = 300;
    an.kind = ANSWER_DATA;
    an.ttl_s = 300;
    an.count = 1;
    an.items = &item;
    an.final_name = (char *)"mx.test";

    host_cache_put(hc, "mx.test", 1, &an, 0);
    assert_true(host_cache_get(hc, "mx.test", 1, 100000, &out));
    assert_int_equal(out.kind, ANSWER_DATA);
    assert_int_equal(out.count, 1);
    assert_memory_equal(out.items[0].addr, item.addr, 4);
    assert_int_equal(out.ttl_s, 200); /* the TTL left */
    answer_clear(&out);

    assert_false(host_cache_get(hc, "mx.test", 28, 100000, &out));
    assert_false(host_cache_get(hc, "other.test", 1, 100000, &out));
    assert_false(host_cache_get(hc, "mx.test", 1, 300000, &out));

    /* Failures and answers without a TTL are not kept. */
    an.kind = ANSWER_CNAME_LOOP;
    host_cache_put(hc, "loop.test", 1, &an, 0);
    assert_false(host_cache_get(hc, "loop.test", 1, 1, &out));
    an.kind = ANSWER_NODATA;
    an.count = 0;
    an.neg_ttl_known = false;
    host_cache_put(hc, "nosoa.test", 1, &an, 0);
    assert_false(host_cache_get(hc, "nosoa.test", 1, 1, &out));
    host_cache_free(hc);

    assert_null(host_cache_new(0, 3600));
    assert_false(host_cache_get(NULL, "mx.test", 1, 0, &out));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hit_until_ttl),
        cmocka_unit_test(lru_evicts_oldest),
        cmocka_unit_test(replace_keeps_count),
        cmocka_unit_test(stale_served_after_failed_refresh),
        cmocka_unit_test(negative_never_stale),
        cmocka_unit_test(temp_error_ttl_zero_not_stored),
        cmocka_unit_test(literals_never_cached),
        cmocka_unit_test(zero_capacity_stores_nothing),
        cmocka_unit_test(large_cache_stays_bounded),
        cmocka_unit_test(host_cache_keeps_addresses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
