/*
 * Unit tests for the decision policy: the default table row by row, the
 * invariant over every combination of verdict, health and confirmation,
 * reply parsing, reply texts and monitor mode.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

#define SERVER "127.0.0.1:53"

static struct route_result
make_result(enum route_verdict verdict, const char *domain, const char *reason,
            const char *server)
{
    struct route_result result;

    memset(&result, 0, sizeof(result));
    result.verdict = verdict;
    result.domain = domain;
    result.reason = reason;
    result.server = server;
    result.rcode = server != NULL ? 0 : ROUTE_RCODE_NONE;
    return result;
}

static struct policy_input
healthy_input(const struct route_result *result, bool confirmed)
{
    struct policy_input input = {
        .result = result,
        .health = HEALTH_HEALTHY,
        .trusted_for_negatives = true,
        .lying = false,
        .confirmed = confirmed,
    };

    return input;
}

static void
assert_reply(const struct policy_decision *d, const char *code, const char *dsn)
{
    assert_false(d->reply.accept);
    assert_string_equal(d->reply.code, code);
    assert_string_equal(d->reply.dsn, dsn);
}

/* One row of the default table under a healthy, confirmed resolver. */
struct table_case {
    enum route_verdict verdict;
    const char *reason;
    enum policy_action action;
    const char *code; /* NULL for accept */
    const char *dsn;
};

static void
policy_default_table_healthy(void **state)
{
    static const struct table_case cases[] = {
        {ROUTE_MX, NULL, POLICY_ACCEPT, NULL, NULL},
        {ROUTE_IMPLICIT_MX, NULL, POLICY_ACCEPT, NULL, NULL},
        {ROUTE_ADDRESS_LITERAL, NULL, POLICY_ACCEPT, NULL, NULL},
        {ROUTE_NULL_MX, NULL, POLICY_REJECT, "556", "5.1.10"},
        {ROUTE_NO_DOMAIN, "nxdomain", POLICY_REJECT, "550", "5.1.2"},
        {ROUTE_NO_MAIL_HOSTS, "nodata", POLICY_REJECT, "550", "5.4.4"},
        {ROUTE_TEMP_ERROR, "timeout", POLICY_TEMPFAIL, "451", "4.4.3"},
        {ROUTE_INVALID, "syntax", POLICY_REJECT, "550", "5.1.3"},
    };
    struct policy policy;

    (void)state;
    policy_init(&policy);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct route_result r = make_result(cases[i].verdict, "example.test",
                                            cases[i].reason, SERVER);
        struct policy_input in = healthy_input(&r, true);
        struct policy_decision d;

        policy_decide(&policy, &in, &d);
        assert_int_equal(d.action, cases[i].action);
        assert_int_equal(d.would, cases[i].action);
        if (cases[i].code == NULL) {
            assert_true(d.reply.accept);
            assert_string_equal(d.text, "");
        } else {
            assert_reply(&d, cases[i].code, cases[i].dsn);
            assert_true(d.text[0] != '\0');
        }
    }
}

/* The untrusted column: each reason a negative answer is not trusted. */
static void
policy_negative_untrusted_tempfails(void **state)
{
    static const enum route_verdict negatives[] = {
        ROUTE_NULL_MX, ROUTE_NO_DOMAIN, ROUTE_NO_MAIL_HOSTS};
    struct policy policy;

    (void)state;
    policy_init(&policy);
    for (size_t i = 0; i < 3; i++) {
        struct route_result r =
            make_result(negatives[i], "example.test", "nxdomain", SERVER);
        struct policy_input in;
        struct policy_decision d;

        in = healthy_input(&r, false);
        policy_decide(&policy, &in, &d);
        assert_reply(&d, "451", "4.4.3");
        assert_string_equal(d.rule, "not_confirmed");

        in = healthy_input(&r, true);
        in.health = HEALTH_SUSPECT;
        policy_decide(&policy, &in, &d);
        assert_reply(&d, "451", "4.4.3");
        assert_string_equal(d.rule, "suspect");

        in = healthy_input(&r, true);
        in.health = HEALTH_UNHEALTHY;
        policy_decide(&policy, &in, &d);
        assert_reply(&d, "451", "4.4.3");
        assert_string_equal(d.rule, "unhealthy");

        in = healthy_input(&r, true);
        in.lying = true;
        in.trusted_for_negatives = false;
        policy_decide(&policy, &in, &d);
        assert_reply(&d, "451", "4.4.3");
        assert_string_equal(d.rule, "lying");
    }
}

static void
policy_protected_domain_never_rejected(void **state)
{
    struct policy policy;
    struct route_result r =
        make_result(ROUTE_NO_DOMAIN, "hotmail.com", "nxdomain", SERVER);
    struct policy_input in = healthy_input(&r, true);
    struct policy_decision d;

    (void)state;
    policy_init(&policy);
    policy_decide(&policy, &in, &d);
    assert_int_equal(d.action, POLICY_TEMPFAIL);
    assert_reply(&d, "451", "4.4.3");
    assert_string_equal(d.rule, "protected");
    assert_non_null(strstr(d.text, "hotmail.com"));
}

static void
policy_default_protected_list(void **state)
{
    static const char *const expected[] = {
        "hotmail.com",    "outlook.com", "live.com",   "msn.com", "gmail.com",
        "googlemail.com", "yahoo.com",   "icloud.com", "aol.com", "gmx.de",
        "web.de",         "yandex.ru",   "qq.com"};
    struct policy policy;

    (void)state;
    policy_init(&policy);
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        assert_true(policy_is_protected(&policy, expected[i]));
    assert_true(policy_is_protected(&policy, "HotMail.COM"));
    assert_false(policy_is_protected(&policy, "example.test"));
    assert_false(policy_is_protected(&policy, "nothotmail.com"));
}

static void
policy_lying_resolver_defers_implicit_mx(void **state)
{
    struct policy policy;
    struct route_result r =
        make_result(ROUTE_IMPLICIT_MX, "maybe.test", NULL, SERVER);
    struct policy_input in = healthy_input(&r, false);
    struct policy_decision d;

    (void)state;
    policy_init(&policy);
    in.lying = true;
    in.trusted_for_negatives = false;
    in.health = HEALTH_SUSPECT;
    policy_decide(&policy, &in, &d);
    assert_reply(&d, "451", "4.4.3");
    assert_string_equal(d.rule, "implicit_mx_lying");

    /* Suspect but not lying: the address is believed. */
    in.lying = false;
    policy_decide(&policy, &in, &d);
    assert_int_equal(d.action, POLICY_ACCEPT);
}

static void
policy_monitor_accepts_and_reports(void **state)
{
    struct policy policy;
    struct route_result r =
        make_result(ROUTE_TEMP_ERROR, "example.test", "servfail", SERVER);
    struct policy_input in = healthy_input(&r, false);
    struct policy_decision d;

    (void)state;
    policy_init(&policy);
    policy.monitor = true;
    policy_decide(&policy, &in, &d);
    assert_int_equal(d.action, POLICY_ACCEPT);
    assert_int_equal(d.would, POLICY_TEMPFAIL);
    assert_reply(&d, "451", "4.4.3");
}

static void
policy_temp_error_text_names_cause(void **state)
{
    struct policy policy;
    struct route_result r =
        make_result(ROUTE_TEMP_ERROR, "example.com", "timeout", NULL);
    struct route_step step = {.server = "192.0.2.53:53"};
    struct policy_input in = healthy_input(&r, false);
    struct policy_decision d;

    (void)state;
    policy_init(&policy);
    r.steps = &step;
    r.step_count = 1;
    policy_decide(&policy, &in, &d);
    assert_string_equal(d.text, "DNS lookup for example.com failed: resolver "
                                "192.0.2.53:53 timed out; try again later");

    r.reason = "port_unreachable";
    policy_decide(&policy, &in, &d);
    assert_string_equal(d.text, "DNS lookup for example.com failed: resolver "
                                "192.0.2.53:53 is not listening on its DNS "
                                "port (ICMP port unreachable); try again "
                                "later");

    r.reason = "inflight_limit";
    policy_decide(&policy, &in, &d);
    assert_string_equal(d.text,
                        "DNS lookup for example.com failed: too many DNS "
                        "lookups are in flight; try again later");
}

/* A repeat that got no answer is named, not reported as a disagreement. */
static void
policy_unconfirmed_text_names_failure(void **state)
{
    struct policy policy;
    struct route_result r =
        make_result(ROUTE_NO_DOMAIN, "typo.test", "nxdomain", SERVER);
    struct policy_input in = healthy_input(&r, false);
    struct policy_decision d;

    (void)state;
    policy_init(&policy);
    policy_decide(&policy, &in, &d);
    assert_reply(&d, "451", "4.4.3");
    assert_string_equal(d.text, "DNS says typo.test does not exist, but a "
                                "second check did not confirm it; try "
                                "again later");

    in.confirm_failure = "inflight_limit";
    policy_decide(&policy, &in, &d);
    assert_reply(&d, "451", "4.4.3");
    assert_string_equal(d.text, "DNS says typo.test does not exist, but the "
                                "second check got no answer (too many DNS "
                                "lookups are in flight); try again later");
}

static void
policy_trusted_text_states_fact(void **state)
{
    struct policy policy;
    struct route_result r =
        make_result(ROUTE_NULL_MX, "nomail.test", NULL, SERVER);
    struct policy_input in = healthy_input(&r, true);
    struct policy_decision d;

    (void)state;
    policy_init(&policy);
    policy_decide(&policy, &in, &d);
    assert_string_equal(d.text,
                        "Recipient domain nomail.test does not accept mail "
                        "(null MX)");
}

/* A table that asks for 5xx everywhere: the invariant must still hold. */
static void
make_hostile_policy(struct policy *policy)
{
    char err[128];

    policy_init(policy);
    for (int v = 0; v < ROUTE_VERDICT_COUNT; v++) {
        assert_true(policy_reply_parse("554 5.7.1", &policy->rows[v].trusted,
                                       err, sizeof(err)));
        assert_true(policy_reply_parse("554 5.7.1", &policy->rows[v].untrusted,
                                       err, sizeof(err)));
    }
}

/*
 * Every combination of verdict, health state, trust, lying, confirmation,
 * protection, answering server and mode, under the default table and a
 * hostile one: a 5xx appears only where the invariant permits it, and
 * monitor mode never tempfails or rejects.
 */
static void
policy_invariant_all_combinations(void **state)
{
    static const char *const domains[] = {"example.test", "outlook.com"};
    struct policy policies[2];
    unsigned checked = 0, permanent = 0;

    (void)state;
    policy_init(&policies[0]);
    make_hostile_policy(&policies[1]);
    for (int p = 0; p < 2; p++)
        for (int v = 0; v < ROUTE_VERDICT_COUNT; v++)
            for (int h = HEALTH_HEALTHY; h <= HEALTH_UNHEALTHY; h++)
                for (int bits = 0; bits < 64; bits++) {
                    struct policy policy = policies[p];
                    bool trusted = bits & 1, lying = bits & 2;
                    bool confirmed = bits & 4, protect = bits & 8;
                    bool has_server = bits & 16, monitor = bits & 32;
                    struct route_result r =
                        make_result((enum route_verdict)v, domains[protect],
                                    "nxdomain", has_server ? SERVER : NULL);
                    struct policy_input in = {
                        .result = &r,
                        .health = (enum health_state)h,
                        .trusted_for_negatives = trusted,
                        .lying = lying,
                        .confirmed = confirmed,
                    };
                    struct policy_decision d;
                    bool allowed =
                        v == ROUTE_INVALID ||
                        (policy_verdict_is_negative((enum route_verdict)v) &&
                         h == HEALTH_HEALTHY && trusted && !lying &&
                         confirmed && !protect && has_server);

                    policy.monitor = monitor;
                    policy_decide(&policy, &in, &d);
                    checked++;
                    if (!d.reply.accept && d.reply.code[0] == '5') {
                        permanent++;
                        assert_true(allowed);
                        assert_int_equal(d.would, POLICY_REJECT);
                    }
                    if (!d.reply.accept)
                        assert_int_equal(d.reply.dsn[0], d.reply.code[0]);
                    if (monitor)
                        assert_int_equal(d.action, POLICY_ACCEPT);
                    else
                        assert_int_equal(d.action, d.would);
                }
    assert_int_equal(checked, 2 * ROUTE_VERDICT_COUNT * 3 * 64);
    /* The sweep reached the permitted 5xx cases too. */
    assert_true(permanent > 0);
}

static void
policy_hostile_table_defers_routes(void **state)
{
    struct policy policy;
    struct route_result r = make_result(ROUTE_MX, "example.test", NULL, SERVER);
    struct policy_input in = healthy_input(&r, true);
    struct policy_decision d;

    (void)state;
    make_hostile_policy(&policy);
    policy_decide(&policy, &in, &d);
    assert_reply(&d, "451", "4.4.3");
    assert_string_equal(d.rule, "invariant");
}

struct parse_case {
    const char *text;
    bool ok;
    const char *error_part;
};

static void
policy_reply_parse_cases(void **state)
{
    static const struct parse_case cases[] = {
        {"accept", true, NULL},
        {"451 4.4.3", true, NULL},
        {"556 5.1.10", true, NULL},
        {"550 5.1.2", true, NULL},
        {"550 4.1.2", false, "mixes classes"},
        {"451 5.4.4", false, "mixes classes"},
        {"250 2.0.0", false, "expected 4xx or 5xx"},
        {"45 4.4.3", false, "expected 4xx or 5xx"},
        {"4x1 4.4.3", false, "expected 4xx or 5xx"},
        {"451 4.4", false, "enhanced status code"},
        {"451 4.04.3", false, "enhanced status code"},
        {"451 4.4.3.1", false, "enhanced status code"},
        {"451 4.4.1000", false, "enhanced status code"},
        {"451", false, "expected \"accept\""},
        {"451 4.4.3 extra", false, "expected \"accept\""},
        {"", false, "expected \"accept\""},
        {"reject", false, "expected \"accept\""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct policy_reply reply;
        char err[256] = "";
        bool ok = policy_reply_parse(cases[i].text, &reply, err, sizeof(err));

        if (ok != cases[i].ok)
            fail_msg("\"%s\": expected %s, got %s (%s)", cases[i].text,
                     cases[i].ok ? "success" : "failure",
                     ok ? "success" : "failure", err);
        if (!ok)
            assert_non_null(strstr(err, cases[i].error_part));
    }
}

static void
policy_reply_format_round_trip(void **state)
{
    struct policy_reply reply;
    char err[128], buf[32];

    (void)state;
    assert_true(policy_reply_parse("556 5.1.10", &reply, err, sizeof(err)));
    policy_reply_format(&reply, buf, sizeof(buf));
    assert_string_equal(buf, "556 5.1.10");
    assert_true(policy_reply_parse("accept", &reply, err, sizeof(err)));
    policy_reply_format(&reply, buf, sizeof(buf));
    assert_string_equal(buf, "accept");
}

static void
policy_protected_list_validation(void **state)
{
    static const char *const good[] = {"Example.COM.", "mail.example.org"};
    static const char *const bad[] = {"exa mple.com"};
    static const char *const empty[] = {"."};
    struct policy policy;
    char err[256];

    (void)state;
    policy_init(&policy);
    assert_true(policy_set_protected(&policy, good, 2, err, sizeof(err)));
    assert_true(policy_is_protected(&policy, "example.com"));
    assert_false(policy_is_protected(&policy, "hotmail.com"));
    assert_false(policy_set_protected(&policy, bad, 1, err, sizeof(err)));
    assert_non_null(strstr(err, "exa mple.com"));
    assert_false(policy_set_protected(&policy, empty, 1, err, sizeof(err)));
}

static void
policy_escape_percent_doubles(void **state)
{
    char buf[16];

    (void)state;
    assert_true(policy_escape_percent("100% sure", buf, sizeof(buf)));
    assert_string_equal(buf, "100%% sure");
    assert_false(policy_escape_percent("%%%%%%%%%%", buf, 8));
    assert_true(strlen(buf) < 8);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(policy_default_table_healthy),
        cmocka_unit_test(policy_negative_untrusted_tempfails),
        cmocka_unit_test(policy_protected_domain_never_rejected),
        cmocka_unit_test(policy_default_protected_list),
        cmocka_unit_test(policy_lying_resolver_defers_implicit_mx),
        cmocka_unit_test(policy_monitor_accepts_and_reports),
        cmocka_unit_test(policy_temp_error_text_names_cause),
        cmocka_unit_test(policy_unconfirmed_text_names_failure),
        cmocka_unit_test(policy_trusted_text_states_fact),
        cmocka_unit_test(policy_invariant_all_combinations),
        cmocka_unit_test(policy_hostile_table_defers_routes),
        cmocka_unit_test(policy_reply_parse_cases),
        cmocka_unit_test(policy_reply_format_round_trip),
        cmocka_unit_test(policy_protected_list_validation),
        cmocka_unit_test(policy_escape_percent_doubles),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
