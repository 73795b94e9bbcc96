/*
 * Unit tests for resolver health: every state transition, with a
 * simulated clock.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "canary.h"
#include "health.h"

#define SERVER_A "127.0.0.1:53"
#define SERVER_B "[::1]:53"

struct fixture {
    uint64_t now_ms;
    struct health *health;
    unsigned transitions;
    enum health_state last_from;
    enum health_state last_to;
    bool last_trusted;
    char last_reason[160];
};

static uint64_t
fake_clock(void *arg)
{
    return ((struct fixture *)arg)->now_ms;
}

static void
note_transition(void *arg, const char *server, enum health_state from,
                enum health_state to, bool trusted, const char *reason)
{
    struct fixture *f = arg;

    (void)server;
    f->transitions++;
    f->last_from = from;
    f->last_to = to;
    f->last_trusted = trusted;
    snprintf(f->last_reason, sizeof(f->last_reason), "%s", reason);
}

static int
setup(void **state)
{
    static const char *const servers[] = {SERVER_A, SERVER_B};
    struct health_options opts;
    struct fixture *f = test_calloc(1, sizeof(*f));
    char err[128];

    health_options_init(&opts);
    opts.now_ms = fake_clock;
    opts.clock_arg = f;
    opts.on_transition = note_transition;
    opts.transition_arg = f;
    f->now_ms = 1000000;
    f->health = health_new(&opts, servers, 2, err, sizeof(err));
    assert_non_null(f->health);
    *state = f;
    return 0;
}

static const struct health_canary_round clean_round;

/* A fixture whose servers passed their start-up rounds: healthy, trusted,
 * no round due, and no transition counted yet. */
static int
setup_checked(void **state)
{
    struct fixture *f;
    size_t due[4];

    setup(state);
    f = *state;
    for (int round = 0; round < 2; round++) {
        health_canaries_due(f->health, due, 4);
        health_record_canary(f->health, SERVER_A, &clean_round);
        health_record_canary(f->health, SERVER_B, &clean_round);
    }
    f->transitions = 0;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    health_free(f->health);
    test_free(f);
    return 0;
}

static enum health_state
state_of(struct fixture *f, const char *server)
{
    struct health_report report;

    assert_true(health_get(f->health, server, &report));
    return report.state;
}

static bool
trusted(struct fixture *f, const char *server)
{
    struct health_report report;

    assert_true(health_get(f->health, server, &report));
    return report.trusted_for_negatives;
}

static void
record_many(struct fixture *f, const char *server, enum health_outcome o,
            unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        health_record_outcome(f->health, server, o, 5);
        f->now_ms += 10;
    }
}

static const struct health_canary_round clean_round = {
    .mx_total = 4, .nxdomain_checked = true};

static const struct health_canary_round dead_round = {.mx_total = 4,
                                                      .mx_failed = 4,
                                                      .nxdomain_checked = true,
                                                      .nxdomain_failed = true};
static const struct health_canary_round rewriting_round = {
    .mx_total = 4, .nxdomain_checked = true, .nxdomain_rewritten = true};
static const struct health_canary_round denying_round = {
    .mx_total = 4, .mx_failed = 4, .mx_denied = true, .nxdomain_checked = true};

static void
health_starts_suspect_untrusted(void **state)
{
    struct fixture *f = *state;
    struct health_report report;

    assert_true(health_get(f->health, SERVER_A, &report));
    assert_int_equal(report.state, HEALTH_SUSPECT);
    assert_false(report.trusted_for_negatives);
    assert_non_null(strstr(report.reason, "not checked"));
}

static void
health_start_rounds_make_healthy(void **state)
{
    struct fixture *f = *state;
    size_t due[4];

    assert_int_equal(health_canaries_due(f->health, due, 4), 2);
    health_record_canary(f->health, SERVER_A, &clean_round);
    assert_false(trusted(f, SERVER_A));
    /* The second round is requested at once, not after an interval. */
    assert_int_equal(health_canaries_due(f->health, due, 4), 1);
    health_record_canary(f->health, SERVER_A, &clean_round);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_HEALTHY);
    assert_true(trusted(f, SERVER_A));
    assert_int_equal(f->transitions, 1);
}

static void
health_first_round_due_at_start(void **state)
{
    struct fixture *f = *state;
    size_t due[4];

    assert_int_equal(health_canaries_due(f->health, due, 4), 2);
    /* Running rounds are not handed out twice. */
    assert_int_equal(health_canaries_due(f->health, due, 4), 0);
}

static void
health_failures_below_min_samples_ignored(void **state)
{
    struct fixture *f = *state;

    record_many(f, SERVER_A, HEALTH_OUTCOME_TIMEOUT, 9);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_HEALTHY);
}

static void
health_ratio_over_threshold_makes_suspect(void **state)
{
    struct fixture *f = *state;
    size_t due[4];

    /* Drain the start-up rounds so only the new request is due. */
    health_canaries_due(f->health, due, 4);
    health_record_canary(f->health, SERVER_A, &clean_round);
    health_record_canary(f->health, SERVER_B, &clean_round);

    record_many(f, SERVER_A, HEALTH_OUTCOME_OK, 5);
    record_many(f, SERVER_A, HEALTH_OUTCOME_SERVFAIL, 5);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_SUSPECT);
    assert_false(trusted(f, SERVER_A));
    assert_int_equal(f->transitions, 1);
    assert_int_equal(f->last_from, HEALTH_HEALTHY);
    assert_int_equal(f->last_to, HEALTH_SUSPECT);
    assert_non_null(strstr(f->last_reason, "5 of 10 queries failed"));

    /* The suspect signal requests an immediate round for that server. */
    assert_int_equal(health_canaries_due(f->health, due, 4), 1);
    assert_int_equal(due[0], 0);
    assert_int_equal(state_of(f, SERVER_B), HEALTH_HEALTHY);
}

static void
health_ratio_below_threshold_stays_healthy(void **state)
{
    struct fixture *f = *state;

    record_many(f, SERVER_A, HEALTH_OUTCOME_OK, 6);
    record_many(f, SERVER_A, HEALTH_OUTCOME_TIMEOUT, 4);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_HEALTHY);
}

static void
health_edns_fallbacks_are_not_failures(void **state)
{
    struct fixture *f = *state;

    record_many(f, SERVER_A, HEALTH_OUTCOME_EDNS_FALLBACK, 20);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_HEALTHY);
}

static void
health_old_failures_leave_window(void **state)
{
    struct fixture *f = *state;

    record_many(f, SERVER_A, HEALTH_OUTCOME_TIMEOUT, 4);
    f->now_ms += 61 * 1000;
    record_many(f, SERVER_A, HEALTH_OUTCOME_OK, 5);
    record_many(f, SERVER_A, HEALTH_OUTCOME_TIMEOUT, 4);
    /* Only the last 9 outcomes are in the window: fewer than min_samples. */
    assert_int_equal(state_of(f, SERVER_A), HEALTH_HEALTHY);
}

static void
health_failed_round_while_suspect_makes_unhealthy(void **state)
{
    struct fixture *f = *state;

    health_record_canary(f->health, SERVER_A, &dead_round);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_SUSPECT);
    health_record_canary(f->health, SERVER_A, &dead_round);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_UNHEALTHY);
    assert_int_equal(f->transitions, 2);
    assert_non_null(strstr(f->last_reason, "all 4 MX lookups failed"));
}

static void
health_unhealthy_logged_once_while_failing(void **state)
{
    struct fixture *f = *state;

    health_record_canary(f->health, SERVER_A, &dead_round);
    health_record_canary(f->health, SERVER_A, &dead_round);
    for (int i = 0; i < 10; i++)
        health_record_canary(f->health, SERVER_A, &dead_round);
    record_many(f, SERVER_A, HEALTH_OUTCOME_SERVFAIL, 50);
    assert_int_equal(f->transitions, 2);
}

static void
health_recovery_needs_consecutive_clean_rounds(void **state)
{
    struct fixture *f = *state;

    health_record_canary(f->health, SERVER_A, &dead_round);
    health_record_canary(f->health, SERVER_A, &dead_round);

    health_record_canary(f->health, SERVER_A, &clean_round);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_UNHEALTHY);
    /* A failure in between restarts the count. */
    health_record_canary(f->health, SERVER_A, &dead_round);
    health_record_canary(f->health, SERVER_A, &clean_round);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_UNHEALTHY);
    health_record_canary(f->health, SERVER_A, &clean_round);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_HEALTHY);
    assert_true(trusted(f, SERVER_A));
    assert_int_equal(f->last_to, HEALTH_HEALTHY);
}

static void
health_suspect_recovers_with_clean_rounds(void **state)
{
    struct fixture *f = *state;

    record_many(f, SERVER_A, HEALTH_OUTCOME_TIMEOUT, 10);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_SUSPECT);
    health_record_canary(f->health, SERVER_A, &clean_round);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_SUSPECT);
    health_record_canary(f->health, SERVER_A, &clean_round);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_HEALTHY);

    /* The window was cleared: one more failure does not flip it back. */
    record_many(f, SERVER_A, HEALTH_OUTCOME_TIMEOUT, 1);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_HEALTHY);
}

static void
health_rewriting_canary_marks_liar(void **state)
{
    struct fixture *f = *state;

    health_record_canary(f->health, SERVER_A, &rewriting_round);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_SUSPECT);
    assert_false(trusted(f, SERVER_A));
    assert_non_null(strstr(f->last_reason, "NXDOMAIN rewriting"));

    health_record_canary(f->health, SERVER_A, &rewriting_round);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_UNHEALTHY);

    health_record_canary(f->health, SERVER_A, &clean_round);
    health_record_canary(f->health, SERVER_A, &clean_round);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_HEALTHY);
    assert_true(trusted(f, SERVER_A));
}

static void
health_denying_canary_marks_liar(void **state)
{
    struct fixture *f = *state;

    health_record_canary(f->health, SERVER_A, &denying_round);
    assert_false(trusted(f, SERVER_A));
    assert_non_null(strstr(f->last_reason, "must exist"));
}

static void
health_protected_negative_distrusts(void **state)
{
    struct fixture *f = *state;
    size_t due[4];

    health_canaries_due(f->health, due, 4);
    health_record_canary(f->health, SERVER_A, &clean_round);
    health_record_canary(f->health, SERVER_A, &clean_round);

    health_record_protected_negative(f->health, SERVER_A, "hotmail.com");
    assert_int_equal(state_of(f, SERVER_A), HEALTH_SUSPECT);
    assert_false(trusted(f, SERVER_A));
    assert_non_null(strstr(f->last_reason, "hotmail.com"));
    assert_int_equal(health_canaries_due(f->health, due, 4), 1);

    /* A liar stays untrusted until it passes recover_rounds rounds. */
    health_record_canary(f->health, SERVER_A, &clean_round);
    assert_false(trusted(f, SERVER_A));
    health_record_canary(f->health, SERVER_A, &clean_round);
    assert_true(trusted(f, SERVER_A));
}

static void
health_scheduled_round_after_interval(void **state)
{
    struct fixture *f = *state;
    size_t due[4];

    health_canaries_due(f->health, due, 4);
    health_record_canary(f->health, SERVER_A, &clean_round);
    health_record_canary(f->health, SERVER_B, &clean_round);
    f->now_ms += 59 * 1000;
    assert_int_equal(health_canaries_due(f->health, due, 4), 0);
    f->now_ms += 1000;
    assert_int_equal(health_canaries_due(f->health, due, 4), 2);
}

static void
health_unhealthy_retries_sooner(void **state)
{
    struct fixture *f = *state;
    size_t due[4];

    health_canaries_due(f->health, due, 4);
    health_record_canary(f->health, SERVER_A, &dead_round);
    health_canaries_due(f->health, due, 4);
    health_record_canary(f->health, SERVER_A, &dead_round);
    health_record_canary(f->health, SERVER_B, &clean_round);
    assert_int_equal(state_of(f, SERVER_A), HEALTH_UNHEALTHY);

    /* The unhealthy server is retried after 10 s, the healthy one only
     * after the 60 s interval. */
    f->now_ms += 10 * 1000;
    assert_int_equal(health_canaries_due(f->health, due, 4), 1);
    assert_int_equal(due[0], 0);
}

static void
health_on_demand_round(void **state)
{
    struct fixture *f = *state;
    size_t due[4];

    health_canaries_due(f->health, due, 4);
    health_record_canary(f->health, SERVER_A, &clean_round);
    health_record_canary(f->health, SERVER_B, &clean_round);
    health_request_canaries(f->health);
    assert_int_equal(health_canaries_due(f->health, due, 4), 2);
}

static void
health_unknown_server_ignored(void **state)
{
    struct fixture *f = *state;
    struct health_report report;

    record_many(f, "192.0.2.1:53", HEALTH_OUTCOME_TIMEOUT, 20);
    assert_false(health_get(f->health, "192.0.2.1:53", &report));
    assert_int_equal(f->transitions, 0);
}

static void
health_report_counts_window(void **state)
{
    struct fixture *f = *state;
    struct health_report report;

    record_many(f, SERVER_B, HEALTH_OUTCOME_OK, 3);
    record_many(f, SERVER_B, HEALTH_OUTCOME_REFUSED, 2);
    assert_true(health_get(f->health, SERVER_B, &report));
    assert_int_equal(report.samples, 5);
    assert_int_equal(report.failures, 2);
    assert_int_equal(report.rtt_avg_ms, 5);
}

static void
health_rejects_invalid_options(void **state)
{
    static const char *const servers[] = {SERVER_A};
    struct health_options opts;
    char err[128] = "";

    (void)state;
    health_options_init(&opts);
    opts.suspect_pct = 101;
    assert_null(health_new(&opts, servers, 1, err, sizeof(err)));
    assert_non_null(strstr(err, "suspect_pct"));
}

/* How each step outcome the engine reports counts for health. */
static void
health_step_outcome_mapping(void **state)
{
    static const struct {
        int rcode;
        uint16_t edns;
        const char *error;
        enum health_outcome expected;
    } cases[] = {
        {0, 1232, NULL, HEALTH_OUTCOME_OK},
        {3, 1232, NULL, HEALTH_OUTCOME_OK},
        {2, 1232, "servfail", HEALTH_OUTCOME_SERVFAIL},
        {5, 0, "refused", HEALTH_OUTCOME_REFUSED},
        {1, 1232, "formerr", HEALTH_OUTCOME_EDNS_FALLBACK},
        {16, 1232, "badvers", HEALTH_OUTCOME_EDNS_FALLBACK},
        {4, 1232, "notimp", HEALTH_OUTCOME_EDNS_FALLBACK},
        {1, ROUTE_EDNS_NONE, "formerr", HEALTH_OUTCOME_MALFORMED},
        {ROUTE_RCODE_NONE, 1232, "timeout", HEALTH_OUTCOME_TIMEOUT},
        {0, 1232, "truncated", HEALTH_OUTCOME_EDNS_FALLBACK},
        {ROUTE_RCODE_NONE, 0, "connection_refused", HEALTH_OUTCOME_NETWORK},
        {ROUTE_RCODE_NONE, 1232, "port_unreachable", HEALTH_OUTCOME_NETWORK},
        {ROUTE_RCODE_NONE, 0, "connection_closed", HEALTH_OUTCOME_NETWORK},
        {ROUTE_RCODE_NONE, 1232, "network", HEALTH_OUTCOME_NETWORK},
        {ROUTE_RCODE_NONE, 1232, "malformed", HEALTH_OUTCOME_MALFORMED},
        {ROUTE_RCODE_NONE, 1232, "mismatch", HEALTH_OUTCOME_MALFORMED},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct route_step step = {.rcode = cases[i].rcode,
                                  .edns_payload = cases[i].edns,
                                  .error = cases[i].error};

        if (canary_step_outcome(&step) != cases[i].expected)
            fail_msg("case %zu (rcode %d, error %s): got %s, expected %s", i,
                     cases[i].rcode, cases[i].error ? cases[i].error : "none",
                     health_outcome_name(canary_step_outcome(&step)),
                     health_outcome_name(cases[i].expected));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup_checked, teardown)
#define T0(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T0(health_starts_suspect_untrusted),
        T0(health_start_rounds_make_healthy),
        T0(health_first_round_due_at_start),
        T(health_failures_below_min_samples_ignored),
        T(health_ratio_over_threshold_makes_suspect),
        T(health_ratio_below_threshold_stays_healthy),
        T(health_edns_fallbacks_are_not_failures),
        T(health_old_failures_leave_window),
        T(health_failed_round_while_suspect_makes_unhealthy),
        T(health_unhealthy_logged_once_while_failing),
        T(health_recovery_needs_consecutive_clean_rounds),
        T(health_suspect_recovers_with_clean_rounds),
        T(health_rewriting_canary_marks_liar),
        T(health_denying_canary_marks_liar),
        T(health_protected_negative_distrusts),
        T(health_scheduled_round_after_interval),
        T(health_unhealthy_retries_sooner),
        T(health_on_demand_round),
        T(health_unknown_server_ignored),
        T(health_report_counts_window),
        cmocka_unit_test(health_rejects_invalid_options),
        cmocka_unit_test(health_step_outcome_mapping),
#undef T
#undef T0
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
