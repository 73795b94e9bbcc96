/*
 * Unit tests for the policy-service and socketmap front ends: request
 * parsing, status-text recognition and reply formatting.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "listener.h"
#include "policyd.h"
#include "socketmap.h"

struct status_case {
    const char *key;
    bool recognized;
    const char *name;
    const char *type;
    bool nodata;
};

static void
socketmap_status_texts(void **state)
{
    static const struct status_case cases[] = {
        {"5.4.4 Host or domain name not found. Name service error for "
         "name=hotmail.com type=A: Host not found",
         true, "hotmail.com", "A", false},
        {"5.4.4 Host or domain name not found. Name service error for "
         "name=HotMail.COM type=AAAA: Host not found",
         true, "hotmail.com", "AAAA", false},
        {"5.4.4 Host or domain name not found. Name service error for "
         "name=mx1.example.test type=A: Host found but no data record of "
         "requested type",
         true, "mx1.example.test", "A", true},
        {"5.4.4 Host or domain name not found. Name service error for "
         "name=example.test type=MX: Host not found",
         true, "example.test", "MX", false},
        /* Deferred already: leave alone. */
        {"4.4.3 Host or domain name not found. Name service error for "
         "name=example.test type=MX: Host not found, try again",
         false, NULL, NULL, false},
        /* Success and remote rejects: the remote controls that text. */
        {"2.0.0 Ok: queued as 4ABC", false, NULL, NULL, false},
        {"5.1.1 host mx.example.test[192.0.2.1] said: 550 5.4.4 Host or "
         "domain name not found. Name service error for name=x type=A: "
         "Host not found",
         false, NULL, NULL, false},
        {"5.1.0 Domain example.test does not accept mail (nullMX)", false, NULL,
         NULL, false},
        /* Other types, other tails, hostile names. */
        {"5.4.4 Host or domain name not found. Name service error for "
         "name=example.test type=TXT: Host not found",
         false, NULL, NULL, false},
        {"5.4.4 Host or domain name not found. Name service error for "
         "name=example.test type=A: Host not found extra",
         false, NULL, NULL, false},
        {"5.4.4 Host or domain name not found. Name service error for "
         "name=exa mple.test type=A: Host not found",
         false, NULL, NULL, false},
        {"5.4.4 Host or domain name not found. Name service error for "
         "name= type=A: Host not found",
         false, NULL, NULL, false},
        {"5.4.4 Host or domain name not found. Name service error for "
         "name=example.test",
         false, NULL, NULL, false},
        {"", false, NULL, NULL, false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct socketmap_status st;
        bool got = socketmap_parse_status(cases[i].key, &st);

        if (got != cases[i].recognized)
            fail_msg("case %zu: \"%s\": expected %s", i, cases[i].key,
                     cases[i].recognized ? "recognized" : "ignored");
        if (!got)
            continue;
        assert_string_equal(st.name, cases[i].name);
        assert_string_equal(st.type, cases[i].type);
        assert_int_equal(st.nodata, cases[i].nodata);
    }
}

static struct decision
make_decision(struct route_result *r, enum route_verdict verdict,
              enum policy_action action, enum policy_action would)
{
    struct decision d;

    memset(r, 0, sizeof(*r));
    r->verdict = verdict;
    r->domain = "example.test";
    r->server = "127.0.0.1:53";
    r->rcode = 0;
    memset(&d, 0, sizeof(d));
    d.result = r;
    d.health.state = HEALTH_HEALTHY;
    d.policy.action = action;
    d.policy.would = would;
    if (would == POLICY_ACCEPT) {
        d.policy.reply.accept = true;
    } else {
        strcpy(d.policy.reply.code, would == POLICY_REJECT ? "550" : "451");
        strcpy(d.policy.reply.dsn, would == POLICY_REJECT ? "5.1.2" : "4.4.3");
        strcpy(d.policy.text, "DNS lookup for example.test failed");
    }
    return d;
}

static void
socketmap_reply_choices(void **state)
{
    struct socketmap_status st = {.name = "example.test", .type = "A"};
    struct route_result r;
    struct decision d;
    char buf[512];

    (void)state;
    d = make_decision(&r, ROUTE_MX, POLICY_ACCEPT, POLICY_ACCEPT);
    socketmap_format_reply(&st, &d, false, buf, sizeof(buf));
    assert_true(strncmp(buf, "OK 4.4.3 ", 9) == 0);
    assert_non_null(strstr(buf, "example.test"));

    d = make_decision(&r, ROUTE_TEMP_ERROR, POLICY_TEMPFAIL, POLICY_TEMPFAIL);
    socketmap_format_reply(&st, &d, false, buf, sizeof(buf));
    assert_string_equal(buf, "OK 4.4.3 DNS lookup for example.test failed");

    d = make_decision(&r, ROUTE_NO_DOMAIN, POLICY_REJECT, POLICY_REJECT);
    socketmap_format_reply(&st, &d, false, buf, sizeof(buf));
    assert_string_equal(buf, "NOTFOUND ");

    /* Monitor mode never changes the status. */
    d = make_decision(&r, ROUTE_MX, POLICY_ACCEPT, POLICY_ACCEPT);
    socketmap_format_reply(&st, &d, true, buf, sizeof(buf));
    assert_string_equal(buf, "NOTFOUND ");
}

static void
policyd_parse_attributes(void **state)
{
    struct policyd_request req;
    static const char *const lines[] = {
        "request=smtpd_access_policy", "protocol_state=RCPT",
        "recipient=user@example.test", "queue_id=",
        "client_address=127.0.0.1",    "unknown_attribute=anything=with=equals",
    };

    (void)state;
    memset(&req, 0, sizeof(req));
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        assert_true(policyd_parse_line(lines[i], strlen(lines[i]), &req));
    assert_string_equal(req.request, "smtpd_access_policy");
    assert_string_equal(req.protocol_state, "RCPT");
    assert_string_equal(req.recipient, "user@example.test");
    assert_string_equal(req.queue_id, "");
    assert_string_equal(req.client_address, "127.0.0.1");
    assert_int_equal(req.attributes, 6);

    assert_false(policyd_parse_line("no equals sign", 14, &req));
    assert_false(policyd_parse_line("=value", 6, &req));
}

static void
policyd_recipient_domains(void **state)
{
    char domain[64];

    (void)state;
    assert_true(
        policyd_recipient_domain("a@example.test", domain, sizeof(domain)));
    assert_string_equal(domain, "example.test");
    assert_true(
        policyd_recipient_domain("<a@b@Example.TEST>", domain, sizeof(domain)));
    assert_string_equal(domain, "Example.TEST");
    assert_true(
        policyd_recipient_domain("a@[192.0.2.1]", domain, sizeof(domain)));
    assert_string_equal(domain, "[192.0.2.1]");
    assert_false(
        policyd_recipient_domain("postmaster", domain, sizeof(domain)));
    assert_false(policyd_recipient_domain("a@", domain, sizeof(domain)));
    assert_false(policyd_recipient_domain("a@>", domain, sizeof(domain)));
    assert_false(policyd_recipient_domain(
        "a@very-long-domain-name-that-does-not-fit-in-the-buffer.example",
        domain, 16));
}

static void
policyd_action_replies(void **state)
{
    struct route_result r;
    struct decision d;
    char buf[1024];

    (void)state;
    d = make_decision(&r, ROUTE_MX, POLICY_ACCEPT, POLICY_ACCEPT);
    assert_true(policyd_format_action(&d, NULL, buf, sizeof(buf)));
    assert_string_equal(buf, "action=DUNNO\n\n");

    assert_true(policyd_format_action(&d, "X-MXWarden", buf, sizeof(buf)));
    assert_true(strncmp(buf,
                        "action=PREPEND X-MXWarden: domain=example.test "
                        "verdict=mx",
                        50) == 0);
    assert_non_null(strstr(buf, "action=accept\n\n"));

    d = make_decision(&r, ROUTE_TEMP_ERROR, POLICY_TEMPFAIL, POLICY_TEMPFAIL);
    assert_true(policyd_format_action(&d, "X-MXWarden", buf, sizeof(buf)));
    assert_string_equal(
        buf, "action=451 4.4.3 DNS lookup for example.test failed\n\n");

    d = make_decision(&r, ROUTE_NO_DOMAIN, POLICY_REJECT, POLICY_REJECT);
    assert_true(policyd_format_action(&d, NULL, buf, sizeof(buf)));
    assert_string_equal(
        buf, "action=550 5.1.2 DNS lookup for example.test failed\n\n");

    assert_false(policyd_format_action(&d, NULL, buf, 10));
}

static void
header_value_only_safe_names(void **state)
{
    struct route_result r;
    struct route_exchange ex = {.name = "mx\r\nInjected: yes", .usable = true};
    struct decision d;
    char buf[512];

    (void)state;
    d = make_decision(&r, ROUTE_MX, POLICY_ACCEPT, POLICY_ACCEPT);
    r.exchanges = &ex;
    r.exchange_count = 1;
    assert_true(decision_header_value(&d, buf, sizeof(buf)));
    assert_null(strchr(buf, '\r'));
    assert_null(strchr(buf, '\n'));
    assert_null(strstr(buf, "Injected"));
    assert_non_null(strstr(buf, "domain=example.test verdict=mx"));

    /* An address literal is shown as such, not as "invalid". */
    r.verdict = ROUTE_ADDRESS_LITERAL;
    r.domain = "[192.0.2.1]";
    assert_true(decision_header_value(&d, buf, sizeof(buf)));
    assert_non_null(strstr(buf, "domain=[192.0.2.1] verdict=address_literal"));
    r.domain = "[IPv6:2001:db8::1]";
    assert_true(decision_header_value(&d, buf, sizeof(buf)));
    assert_non_null(strstr(buf, "domain=[IPv6:2001:db8::1] "));
    r.domain = "[1.2.3.4]\r\nX: y";
    assert_true(decision_header_value(&d, buf, sizeof(buf)));
    assert_non_null(strstr(buf, "domain=invalid "));
    r.verdict = ROUTE_MX;
    r.domain = "example.test";

    ex.name = "mx1.example.test";
    assert_true(decision_header_value(&d, buf, sizeof(buf)));
    assert_non_null(strstr(buf, "exchange=mx1.example.test"));
    assert_false(decision_header_value(&d, buf, 20));
}

/* A client that sends a byte now and then still runs into the deadline
 * of its request, not a fresh timeout per byte. */
static void
reader_deadline_covers_request(void **state)
{
    struct listener_reader reader;
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 60 * 1000000L};
    int fds[2];
    int c = 0;

    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    listener_reader_init(&reader, fds[0], 200);
    listener_reader_begin(&reader);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(write(fds[1], "x", 1), 1);
        c = listener_reader_byte(&reader);
        if (c < 0)
            break;
        nanosleep(&pause, NULL);
    }
    assert_int_equal(c, LISTENER_READ_TIMEOUT);

    /* A new request gets a new deadline: the byte sent last is still
     * there, then end of stream is reported. */
    listener_reader_begin(&reader);
    close(fds[1]);
    assert_int_equal(listener_reader_byte(&reader), 'x');
    assert_int_equal(listener_reader_byte(&reader), LISTENER_READ_EOF);
    close(fds[0]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(socketmap_status_texts),
        cmocka_unit_test(socketmap_reply_choices),
        cmocka_unit_test(policyd_parse_attributes),
        cmocka_unit_test(policyd_recipient_domains),
        cmocka_unit_test(policyd_action_replies),
        cmocka_unit_test(header_value_only_safe_names),
        cmocka_unit_test(reader_deadline_covers_request),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
