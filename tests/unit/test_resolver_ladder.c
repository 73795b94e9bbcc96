/*
 * Unit tests of the EDNS ladder decisions and the per-server rung memory
 * with a simulated clock (resolver/ladder.c).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ladder.h"

/* Rungs: 0 = 1232, 1 = 512, 2 = no EDNS, 3 = TCP. */
static const struct ladder_config config = {
    .payloads = {1232, 512},
    .payload_count = 2,
    .tcp = true,
    .memory_ms = 900000,
};

static void
rungs_described(void **state)
{
    (void)state;
    assert_int_equal(ladder_rung_count(&config), 4);
    assert_int_equal(ladder_rung_payload(&config, 0), 1232);
    assert_int_equal(ladder_rung_payload(&config, 1), 512);
    assert_int_equal(ladder_rung_payload(&config, 2), 0);
    assert_int_equal(ladder_rung_payload(&config, 3), 0);
    assert_false(ladder_rung_is_tcp(&config, 2));
    assert_true(ladder_rung_is_tcp(&config, 3));
}

static void
timeout_steps_down_one_rung(void **state)
{
    unsigned next;

    (void)state;
    assert_int_equal(ladder_next(&config, 0, LADDER_TIMEOUT, &next),
                     LADDER_NEXT_RUNG);
    assert_int_equal(next, 1);
    assert_int_equal(ladder_next(&config, 1, LADDER_TIMEOUT, &next),
                     LADDER_NEXT_RUNG);
    assert_int_equal(next, 2);
    assert_int_equal(ladder_next(&config, 2, LADDER_TIMEOUT, &next),
                     LADDER_NEXT_RUNG);
    assert_int_equal(next, 3);
    assert_int_equal(ladder_next(&config, 3, LADDER_TIMEOUT, &next),
                     LADDER_NEXT_SERVER);
}

static void
edns_rejection_drops_to_plain(void **state)
{
    unsigned next;

    (void)state;
    assert_int_equal(ladder_next(&config, 0, LADDER_EDNS_REJECTED, &next),
                     LADDER_NEXT_RUNG);
    assert_int_equal(next, 2);
    assert_int_equal(ladder_next(&config, 1, LADDER_EDNS_REJECTED, &next),
                     LADDER_NEXT_RUNG);
    assert_int_equal(next, 2);
}

static void
truncation_goes_to_tcp(void **state)
{
    unsigned next;

    (void)state;
    for (unsigned rung = 0; rung < 3; rung++) {
        assert_int_equal(ladder_next(&config, rung, LADDER_TRUNCATED, &next),
                         LADDER_NEXT_RUNG);
        assert_int_equal(next, 3);
        assert_int_equal(ladder_next(&config, rung, LADDER_MALFORMED, &next),
                         LADDER_NEXT_RUNG);
        assert_int_equal(next, 3);
    }
    assert_int_equal(ladder_next(&config, 3, LADDER_TRUNCATED, &next),
                     LADDER_NEXT_SERVER);
}

static void
without_tcp_truncation_moves_on(void **state)
{
    struct ladder_config no_tcp = config;
    unsigned next;

    (void)state;
    no_tcp.tcp = false;
    assert_int_equal(ladder_rung_count(&no_tcp), 3);
    assert_int_equal(ladder_next(&no_tcp, 0, LADDER_TRUNCATED, &next),
                     LADDER_NEXT_SERVER);
    assert_int_equal(ladder_next(&no_tcp, 2, LADDER_TIMEOUT, &next),
                     LADDER_NEXT_SERVER);
}

static void
server_failures_move_on(void **state)
{
    unsigned next;

    (void)state;
    assert_int_equal(ladder_next(&config, 0, LADDER_SERVER_FAILURE, &next),
                     LADDER_NEXT_SERVER);
    assert_int_equal(ladder_next(&config, 0, LADDER_NETWORK, &next),
                     LADDER_NEXT_SERVER);
    assert_int_equal(ladder_next(&config, 2, LADDER_EDNS_REJECTED, &next),
                     LADDER_NEXT_SERVER);
    assert_int_equal(ladder_next(&config, 1, LADDER_ANSWER, &next),
                     LADDER_DONE);
}

static void
memory_expires(void **state)
{
    struct ladder_memory memory = {0};
    uint64_t now = 1000;

    (void)state;
    assert_int_equal(ladder_start_rung(&config, &memory, now), 0);
    ladder_remember(&config, &memory, 2, now);
    assert_int_equal(ladder_start_rung(&config, &memory, now + 1), 2);
    assert_int_equal(ladder_start_rung(&config, &memory, now + 899999), 2);
    /* After the memory time the top rung is probed again. */
    assert_int_equal(ladder_start_rung(&config, &memory, now + 900000), 0);
    assert_false(memory.set);
}

static void
top_rung_clears_memory(void **state)
{
    struct ladder_memory memory = {0};

    (void)state;
    ladder_remember(&config, &memory, 3, 0);
    assert_int_equal(ladder_start_rung(&config, &memory, 10), 3);
    ladder_remember(&config, &memory, 0, 20);
    assert_int_equal(ladder_start_rung(&config, &memory, 30), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rungs_described),
        cmocka_unit_test(timeout_steps_down_one_rung),
        cmocka_unit_test(edns_rejection_drops_to_plain),
        cmocka_unit_test(truncation_goes_to_tcp),
        cmocka_unit_test(without_tcp_truncation_moves_on),
        cmocka_unit_test(server_failures_move_on),
        cmocka_unit_test(memory_expires),
        cmocka_unit_test(top_rung_clears_memory),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
