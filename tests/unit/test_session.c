/*
 * Unit tests of the milter's runtime, connection and message contexts,
 * and of the recipient rules: domain parsing, skip rules, non-SMTP
 * detection.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "decide.h"
#include "rcpt.h"
#include "session.h"

/* The last runtime reference frees its decider through decider_free;
 * this test links no resolver, so it counts the calls instead. */
static int deciders_freed;
static struct decider *last_freed;

void decider_free(struct decider *decider);

void
decider_free(struct decider *decider)
{
    if (decider == NULL)
        return;
    deciders_freed++;
    last_freed = decider;
}

/* Stand-in decider objects: only their addresses matter. */
static char decider_a;
static char decider_b;
#define DECIDER_A ((struct decider *)(void *)&decider_a)
#define DECIDER_B ((struct decider *)(void *)&decider_b)

static struct session_runtime *
runtime_with(struct decider *decider, int header_max_domains)
{
    struct mxw_config cfg;
    char err[MXW_CONFIG_ERR_MAX];
    struct session_runtime *runtime;

    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(config_defaults(&cfg, err, sizeof(err)), 0);
    cfg.header_max_domains = header_max_domains;
    runtime = session_runtime_new(&cfg, decider);
    assert_non_null(runtime);
    /* The runtime took the configuration over. */
    assert_null(cfg.socket);
    return runtime;
}

static int
reset_counters(void **state)
{
    (void)state;
    deciders_freed = 0;
    last_freed = NULL;
    return 0;
}

static void
runtime_publish_then_acquire(void **state)
{
    struct session_runtime *runtime = runtime_with(DECIDER_A, 20);
    struct session_runtime *got;

    (void)state;
    assert_null(session_runtime_acquire());
    session_runtime_publish(runtime);
    got = session_runtime_acquire();
    assert_ptr_equal(got, runtime);
    assert_true(got->generation > 0);
    assert_int_equal(atomic_load(&got->refs), 2);
    session_runtime_release(got);
    assert_int_equal(deciders_freed, 0);
    session_runtime_publish(NULL);
    assert_int_equal(deciders_freed, 1);
    assert_ptr_equal(last_freed, DECIDER_A);
    assert_null(session_runtime_acquire());
}

static void
runtime_reload_keeps_old_for_message(void **state)
{
    struct session_runtime *old_runtime = runtime_with(DECIDER_A, 20);
    struct session_conn *conn = session_conn_new();
    struct session_runtime *current;
    struct session_msg *msg;
    unsigned long old_generation;

    (void)state;
    assert_non_null(conn);
    session_runtime_publish(old_runtime);
    old_generation = old_runtime->generation;

    /* A message starts, then a reload swaps configuration and decider. */
    current = session_runtime_acquire();
    msg = session_msg_begin(conn, current);
    session_runtime_release(current);
    assert_non_null(msg);
    assert_int_equal(session_msg_active(), 1);
    session_runtime_publish(runtime_with(DECIDER_B, 7));
    assert_int_equal(deciders_freed, 0);

    /* The message still sees what it started with. */
    assert_ptr_equal(msg->runtime, old_runtime);
    assert_ptr_equal(msg->runtime->decider, DECIDER_A);
    assert_int_equal(msg->headers.max_entries, 20);

    /* The next message gets the new runtime; the old one goes. */
    current = session_runtime_acquire();
    assert_int_equal(current->generation, old_generation + 1);
    msg = session_msg_begin(conn, current);
    session_runtime_release(current);
    assert_non_null(msg);
    assert_int_equal(deciders_freed, 1);
    assert_ptr_equal(last_freed, DECIDER_A);
    assert_ptr_equal(msg->runtime->decider, DECIDER_B);
    assert_int_equal(msg->headers.max_entries, 7);

    session_conn_free(conn);
    assert_int_equal(session_msg_active(), 0);
    assert_int_equal(deciders_freed, 1);
    session_runtime_publish(NULL);
    assert_int_equal(deciders_freed, 2);
    assert_ptr_equal(last_freed, DECIDER_B);
}

static void
decider_source_holds_runtime(void **state)
{
    struct decider_source source;
    struct decider *decider;
    void *token = NULL;

    (void)state;
    session_decider_source(&source);
    session_runtime_publish(runtime_with(DECIDER_A, 20));

    /* A request takes the decider, then a reload happens. */
    decider = source.acquire(source.arg, &token);
    assert_ptr_equal(decider, DECIDER_A);
    assert_non_null(token);
    session_runtime_publish(runtime_with(DECIDER_B, 20));
    assert_int_equal(deciders_freed, 0);

    /* Its release frees the old decider; new requests get the new one. */
    source.release(source.arg, token);
    assert_int_equal(deciders_freed, 1);
    assert_ptr_equal(last_freed, DECIDER_A);
    decider = source.acquire(source.arg, &token);
    assert_ptr_equal(decider, DECIDER_B);
    source.release(source.arg, token);
    session_runtime_publish(NULL);
    assert_int_equal(deciders_freed, 2);
}

static void
msg_begin_replaces_leftover(void **state)
{
    struct session_runtime *runtime = runtime_with(DECIDER_A, 5);
    struct session_conn *conn = session_conn_new();
    struct session_msg *first;
    struct session_msg *second;

    (void)state;
    first = session_msg_begin(conn, runtime);
    assert_non_null(first);
    second = session_msg_begin(conn, runtime);
    assert_non_null(second);
    assert_ptr_equal(conn->msg, second);
    assert_int_equal(conn->messages, 2);
    assert_int_equal(second->headers.max_entries, 5);
    assert_int_equal(atomic_load(&runtime->refs), 2);
    assert_int_equal(session_msg_active(), 1);

    /* Closing the connection ends the message and its reference. */
    session_conn_free(conn);
    assert_int_equal(atomic_load(&runtime->refs), 1);
    assert_int_equal(session_msg_active(), 0);
    session_runtime_release(runtime);
    assert_int_equal(deciders_freed, 1);
}

static void
msg_end_without_message_is_noop(void **state)
{
    struct session_conn *conn = session_conn_new();

    (void)state;
    session_msg_end(conn);
    assert_null(conn->msg);
    session_conn_free(conn);
    session_conn_free(NULL);
    session_runtime_release(NULL);
}

static void
msg_defer_first_recipient_wins(void **state)
{
    struct session_conn *conn = session_conn_new();
    struct session_msg *msg = session_msg_begin(conn, NULL);

    (void)state;
    session_msg_defer(msg, "a@one.example", "451", "4.4.3", "first cause");
    session_msg_defer(msg, "b@two.example", "556", "5.1.10", "second");
    session_msg_defer(msg, "c@two.example", "556", "5.1.10", "third");
    assert_true(msg->deferral.pending);
    assert_string_equal(msg->deferral.rcpt, "a@one.example");
    assert_string_equal(msg->deferral.code, "451");
    assert_string_equal(msg->deferral.dsn, "4.4.3");
    assert_string_equal(msg->deferral.text, "first cause");
    assert_int_equal(msg->deferral.more, 2);
    session_conn_free(conn);
}

static void
msg_defer_keeps_printable_only(void **state)
{
    struct session_conn *conn = session_conn_new();
    struct session_msg *msg = session_msg_begin(conn, NULL);

    (void)state;
    session_msg_defer(msg, "a\r\nb\x01\xc3\xa9@x.example", "451", "4.4.3",
                      "line\none");
    assert_string_equal(msg->deferral.rcpt, "a??b???@x.example");
    assert_string_equal(msg->deferral.text, "line?one");
    session_conn_free(conn);
}

static void
copy_printable_cuts(void **state)
{
    char buf[4];

    (void)state;
    session_copy_printable(buf, sizeof(buf), "abcdef");
    assert_string_equal(buf, "abc");
    session_copy_printable(buf, sizeof(buf), NULL);
    assert_string_equal(buf, "");
}

struct domain_case {
    const char *arg;
    bool found;
    const char *domain;
    bool bracketed;
};

static void
rcpt_domain_table(void **state)
{
    static const struct domain_case cases[] = {
        {"<user@example.org>", true, "example.org", true},
        {"user@example.org", true, "example.org", false},
        {"<User@Example.ORG>", true, "Example.ORG", true},
        {"<@relay.example,@r2.example:user@example.org>", true, "example.org",
         true},
        {"<\"a@b\"@example.org>", true, "example.org", true},
        {"<\"a\\\"@b\"@example.org>", true, "example.org", true},
        {"<user@[192.0.2.1]>", true, "[192.0.2.1]", true},
        {"<user@[IPv6:2001:db8::1]>", true, "[IPv6:2001:db8::1]", true},
        {"<postmaster>", false, "", true},
        {"postmaster", false, "", false},
        {"<>", false, "", false},
        {"<user@>", false, "", true},
        {"<@example.org>", false, "", false},
        {"<user@example.org", false, "", false},
        {"<\"unterminated@example.org>", false, "", true},
        {"", false, "", false},
        {"<@relay.example>", false, "", true},
    };
    char domain[RCPT_DOMAIN_MAX];
    bool bracketed;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool found = rcpt_domain_from_arg(cases[i].arg, domain, sizeof(domain),
                                          &bracketed);

        if (found != cases[i].found || strcmp(domain, cases[i].domain) != 0)
            fail_msg("%s: expected %d \"%s\", got %d \"%s\"", cases[i].arg,
                     cases[i].found, cases[i].domain, found, domain);
        if (found && bracketed != cases[i].bracketed)
            fail_msg("%s: bracketed %d, expected %d", cases[i].arg, bracketed,
                     cases[i].bracketed);
    }
    assert_false(
        rcpt_domain_from_arg(NULL, domain, sizeof(domain), &bracketed));
}

static void
rcpt_domain_long_is_cut(void **state)
{
    char arg[1200];
    char domain[RCPT_DOMAIN_MAX];
    bool bracketed;

    (void)state;
    memcpy(arg, "<u@", 3);
    memset(arg + 3, 'a', 1000);
    memcpy(arg + 1003, ">", 2);
    assert_true(rcpt_domain_from_arg(arg, domain, sizeof(domain), &bracketed));
    assert_int_equal(strlen(domain), RCPT_DOMAIN_MAX - 1);
}

static char *default_mailers[] = {"local", "virtual", "lmtp", "error",
                                  "discard"};
static char *relays[] = {"[10.0.0.1]", "relay.example", "2001:db8::25"};

static void
rcpt_skip_reason_table(void **state)
{
    struct rcpt_rules rules = {
        .skip_mailers = default_mailers,
        .skip_mailer_count = 5,
        .relay_hosts = relays,
        .relay_host_count = 3,
    };

    (void)state;
    assert_null(rcpt_skip_reason(&rules, "smtp", "example.org"));
    assert_null(rcpt_skip_reason(&rules, NULL, NULL));
    assert_string_equal(rcpt_skip_reason(&rules, "local", "x"), "mailer");
    assert_string_equal(rcpt_skip_reason(&rules, "LMTP", NULL), "mailer");
    assert_string_equal(rcpt_skip_reason(&rules, "discard", NULL), "mailer");
    assert_null(rcpt_skip_reason(&rules, "relay", "[10.0.0.2]:25"));
    assert_string_equal(rcpt_skip_reason(&rules, "relay", "[10.0.0.1]:25"),
                        "relay_host");
    assert_string_equal(rcpt_skip_reason(&rules, "smtp", "10.0.0.1"),
                        "relay_host");
    assert_string_equal(rcpt_skip_reason(&rules, "smtp", "Relay.Example:2525"),
                        "relay_host");
    assert_string_equal(rcpt_skip_reason(&rules, "smtp", "2001:db8::25"),
                        "relay_host");
    assert_null(rcpt_skip_reason(&rules, "smtp", "relay.example.net"));
    assert_null(rcpt_skip_reason(&rules, "smtp", ""));
    assert_null(rcpt_skip_reason(&rules, "smtp", "[10.0.0.1"));

    /* With no relay hosts configured, a relayhost next hop is decided. */
    rules.relay_host_count = 0;
    assert_null(rcpt_skip_reason(&rules, "smtp", "[10.0.0.1]:25"));
}

static void
rcpt_non_smtpd_modes(void **state)
{
    struct rcpt_rules rules = {.non_smtpd = RCPT_NON_SMTPD_AUTO};

    (void)state;
    /* Postfix cleanup: no {rcpt_mailer}, no angle brackets. */
    assert_true(rcpt_is_non_smtpd(&rules, NULL, false));
    assert_false(rcpt_is_non_smtpd(&rules, "smtp", true));
    assert_false(rcpt_is_non_smtpd(&rules, NULL, true));
    assert_false(rcpt_is_non_smtpd(&rules, "smtp", false));
    rules.non_smtpd = RCPT_NON_SMTPD_ALWAYS;
    assert_true(rcpt_is_non_smtpd(&rules, "smtp", true));
    rules.non_smtpd = RCPT_NON_SMTPD_NEVER;
    assert_false(rcpt_is_non_smtpd(&rules, NULL, false));
}

/* Runs last: session_close cannot be undone. */
static void
msg_begin_refused_after_close(void **state)
{
    struct session_conn *conn = session_conn_new();

    (void)state;
    session_close();
    errno = 0;
    assert_null(session_msg_begin(conn, NULL));
    assert_int_equal(errno, ESHUTDOWN);
    assert_int_equal(session_msg_active(), 0);
    assert_null(conn->msg);
    session_conn_free(conn);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(runtime_publish_then_acquire, reset_counters),
        cmocka_unit_test_setup(runtime_reload_keeps_old_for_message,
                               reset_counters),
        cmocka_unit_test_setup(decider_source_holds_runtime, reset_counters),
        cmocka_unit_test_setup(msg_begin_replaces_leftover, reset_counters),
        cmocka_unit_test(msg_end_without_message_is_noop),
        cmocka_unit_test(msg_defer_first_recipient_wins),
        cmocka_unit_test(msg_defer_keeps_printable_only),
        cmocka_unit_test(copy_printable_cuts),
        cmocka_unit_test(rcpt_domain_table),
        cmocka_unit_test(rcpt_domain_long_is_cut),
        cmocka_unit_test(rcpt_skip_reason_table),
        cmocka_unit_test(rcpt_non_smtpd_modes),
        cmocka_unit_test(msg_begin_refused_after_close),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
