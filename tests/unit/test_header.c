/*
 * Unit tests of the diagnostic header set: one header per domain, the
 * cap and its summary.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "header.h"

/* Collects emitted values; stops after stop_after values when set. */
struct emitted {
    char values[64][HEADER_VALUE_MAX];
    size_t count;
    size_t stop_after;
};

static bool
collect(void *arg, const char *value)
{
    struct emitted *out = arg;

    if (out->count < 64)
        snprintf(out->values[out->count], HEADER_VALUE_MAX, "%s", value);
    out->count++;
    return out->stop_after == 0 || out->count < out->stop_after;
}

static void
header_one_domain_one_value(void **state)
{
    struct header_set set;
    struct emitted out = {0};

    (void)state;
    header_set_init(&set, 20);
    header_set_add(&set, "example.org", ROUTE_MX,
                   "domain=example.org verdict=mx");
    assert_int_equal(header_set_emit(&set, collect, &out), 1);
    assert_int_equal(out.count, 1);
    assert_string_equal(out.values[0], "domain=example.org verdict=mx");
    header_set_free(&set);
}

static void
header_same_domain_counted_once(void **state)
{
    struct header_set set;
    struct emitted out = {0};

    (void)state;
    header_set_init(&set, 20);
    header_set_add(&set, "example.org", ROUTE_MX, "first");
    header_set_add(&set, "example.org", ROUTE_MX, "second");
    header_set_add(&set, "example.net", ROUTE_IMPLICIT_MX, "third");
    assert_int_equal(set.recipients, 3);
    assert_int_equal(set.count, 2);
    assert_int_equal(header_set_emit(&set, collect, &out), 2);
    assert_string_equal(out.values[0], "first");
    assert_string_equal(out.values[1], "third");
    header_set_free(&set);
}

static void
header_cap_adds_summary(void **state)
{
    struct header_set set;
    struct emitted out = {0};
    char domain[64];

    (void)state;
    header_set_init(&set, 3);
    for (int i = 0; i < 250; i++) {
        snprintf(domain, sizeof(domain), "d%d.example", i);
        header_set_add(&set, domain, i % 25 == 0 ? ROUTE_IMPLICIT_MX : ROUTE_MX,
                       domain);
    }
    assert_int_equal(set.count, 3);
    assert_int_equal(header_set_emit(&set, collect, &out), 4);
    assert_string_equal(out.values[0], "d0.example");
    assert_string_equal(out.values[2], "d2.example");
    /* 250 recipients, 3 shown; of the 247 left out, 9 are implicit MX
     * (d25, d50, ..., d225). */
    assert_string_equal(out.values[3],
                        "summary domains_shown=3 domains_not_shown=247"
                        " recipients_accepted=250 recipients_not_shown=247"
                        " mx=238 implicit_mx=9");
    header_set_free(&set);
}

static void
header_capped_domain_repeat_counted(void **state)
{
    struct header_set set;

    (void)state;
    header_set_init(&set, 1);
    header_set_add(&set, "a.example", ROUTE_MX, "a");
    header_set_add(&set, "b.example", ROUTE_MX, "b");
    header_set_add(&set, "a.example", ROUTE_MX, "a again");
    header_set_add(&set, "b.example", ROUTE_MX, "b again");
    header_set_add(&set, "c.example", ROUTE_MX, "c");
    assert_int_equal(set.recipients, 5);
    assert_int_equal(set.omitted, 3);
    assert_int_equal(set.omitted_domains, 2);
    header_set_free(&set);
}

static void
header_emit_stops_on_false(void **state)
{
    struct header_set set;
    struct emitted out = {.stop_after = 2};

    (void)state;
    header_set_init(&set, 10);
    header_set_add(&set, "a.example", ROUTE_MX, "a");
    header_set_add(&set, "b.example", ROUTE_MX, "b");
    header_set_add(&set, "c.example", ROUTE_MX, "c");
    assert_int_equal(header_set_emit(&set, collect, &out), 2);
    assert_int_equal(out.count, 2);
    header_set_free(&set);
}

static void
header_long_value_cut(void **state)
{
    struct header_set set;
    struct emitted out = {0};
    char value[HEADER_VALUE_MAX + 100];

    (void)state;
    memset(value, 'x', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    header_set_init(&set, 10);
    header_set_add(&set, "a.example", ROUTE_MX, value);
    header_set_emit(&set, collect, &out);
    assert_int_equal(strlen(out.values[0]), HEADER_VALUE_MAX - 1);
    header_set_free(&set);
}

static void
header_zero_cap_only_summary(void **state)
{
    struct header_set set;
    struct emitted out = {0};

    (void)state;
    header_set_init(&set, 0);
    header_set_add(&set, "a.example", ROUTE_ADDRESS_LITERAL, "a");
    assert_int_equal(header_set_emit(&set, collect, &out), 1);
    assert_string_equal(out.values[0],
                        "summary domains_shown=0 domains_not_shown=1"
                        " recipients_accepted=1 recipients_not_shown=1"
                        " address_literal=1");
    header_set_free(&set);
}

static void
header_empty_set_emits_nothing(void **state)
{
    struct header_set set;
    struct emitted out = {0};

    (void)state;
    header_set_init(&set, 10);
    assert_int_equal(header_set_emit(&set, collect, &out), 0);
    header_set_free(&set);
    header_set_free(&set);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_one_domain_one_value),
        cmocka_unit_test(header_same_domain_counted_once),
        cmocka_unit_test(header_cap_adds_summary),
        cmocka_unit_test(header_capped_domain_repeat_counted),
        cmocka_unit_test(header_emit_stops_on_false),
        cmocka_unit_test(header_long_value_cut),
        cmocka_unit_test(header_zero_cap_only_summary),
        cmocka_unit_test(header_empty_set_emits_nothing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
