/*
 * Unit tests of the verdict rules (resolver/classify.c): answers built as
 * wire replies, analyzed, then judged.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "classify.h"
#include "route.h"
#include "test_resolver_wire.h"

/* Parse w as a reply to (qname, qtype) and fill an answered outcome. */
static void
answered(struct wire *w, const char *qname, uint16_t qtype,
         struct question_outcome *out)
{
    struct dns_reply r;

    memset(out, 0, sizeof(*out));
    assert_int_equal(dnsmsg_parse(w->buf, w->len, 1, qname, qtype, &r),
                     DNSMSG_OK);
    assert_int_equal(answer_analyze(&r, qname, qtype, 8, &out->answer), 0);
    out->answered = true;
    out->rcode = r.rcode;
    out->cname_links = out->answer.cname_links;
    dnsmsg_reply_clear(&r);
}

static void
failed(struct question_outcome *out, const char *error)
{
    memset(out, 0, sizeof(*out));
    out->error = error;
    out->rcode = ROUTE_RCODE_NONE;
}

static void
address_reply(struct question_outcome *out, const char *name, uint16_t type,
              const char *addr, uint32_t ttl)
{
    struct wire w;

    wire_reply(&w, 1, 0, name, type);
    if (addr) {
        wire_a(&w, name, ttl, addr);
        wire_counts(&w, 1, 0, 0);
    } else {
        wire_soa(&w, "test", 600, ttl);
        wire_counts(&w, 0, 1, 0);
    }
    answered(&w, name, type, out);
}

static void
nxdomain_reply(struct question_outcome *out, const char *name, uint16_t type)
{
    struct wire w;

    wire_reply(&w, 1, DNS_RCODE_NXDOMAIN, name, type);
    wire_soa(&w, "test", 900, 120);
    wire_counts(&w, 0, 1, 0);
    answered(&w, name, type, out);
}

static void
mx_records_plan_exchanges(void **state)
{
    struct wire w;
    struct question_outcome mx;
    const char *reason;

    (void)state;
    wire_reply(&w, 1, 0, "d.test", DNS_TYPE_MX);
    wire_mx(&w, "d.test", 300, 20, "b.d.test");
    wire_mx(&w, "d.test", 200, 10, "a.d.test");
    wire_counts(&w, 2, 0, 0);
    answered(&w, "d.test", DNS_TYPE_MX, &mx);
    assert_int_equal(mx.answer.kind, ANSWER_DATA);
    assert_int_equal(mx.answer.count, 2);
    assert_int_equal(mx.answer.ttl_s, 200);
    assert_int_equal(classify_mx(&mx, &reason), MX_PLAN_EXCHANGES);
    answer_clear(&mx.answer);
}

static void
null_mx_alone(void **state)
{
    struct wire w;
    struct question_outcome mx;
    const char *reason;

    (void)state;
    wire_reply(&w, 1, 0, "d.test", DNS_TYPE_MX);
    wire_mx(&w, "d.test", 300, 0, "");
    wire_counts(&w, 1, 0, 0);
    answered(&w, "d.test", DNS_TYPE_MX, &mx);
    assert_int_equal(classify_mx(&mx, &reason), MX_PLAN_NULL_MX);
    answer_clear(&mx.answer);
}

static void
null_mx_mixed_is_ignored(void **state)
{
    struct wire w;
    struct question_outcome mx;
    const char *reason;

    (void)state;
    wire_reply(&w, 1, 0, "d.test", DNS_TYPE_MX);
    wire_mx(&w, "d.test", 300, 0, "");
    wire_mx(&w, "d.test", 300, 10, "mx.d.test");
    wire_counts(&w, 2, 0, 0);
    answered(&w, "d.test", DNS_TYPE_MX, &mx);
    assert_int_equal(classify_mx(&mx, &reason), MX_PLAN_EXCHANGES);
    answer_clear(&mx.answer);
}

static void
root_target_not_null_mx(void **state)
{
    struct wire w;
    struct question_outcome mx;
    const char *reason;

    (void)state;
    wire_reply(&w, 1, 0, "d.test", DNS_TYPE_MX);
    wire_mx(&w, "d.test", 300, 10, "");
    wire_counts(&w, 1, 0, 0);
    answered(&w, "d.test", DNS_TYPE_MX, &mx);
    assert_int_equal(classify_mx(&mx, &reason), MX_PLAN_NO_MAIL_HOSTS);
    assert_string_equal(reason, "no_usable_exchange");
    answer_clear(&mx.answer);
}

static void
nodata_plans_implicit_with_soa_ttl(void **state)
{
    struct question_outcome mx;
    const char *reason;

    (void)state;
    address_reply(&mx, "d.test", DNS_TYPE_MX, NULL, 77);
    assert_int_equal(mx.answer.kind, ANSWER_NODATA);
    assert_true(mx.answer.neg_ttl_known);
    /* RFC 2308: the lesser of the SOA TTL (600) and MINIMUM (77). */
    assert_int_equal(mx.answer.ttl_s, 77);
    assert_int_equal(classify_mx(&mx, &reason), MX_PLAN_IMPLICIT);
    answer_clear(&mx.answer);
}

static void
negative_ttl_soa_ttl_lower(void **state)
{
    struct wire w;
    struct question_outcome mx;

    (void)state;
    wire_reply(&w, 1, 0, "d.test", DNS_TYPE_MX);
    wire_soa(&w, "test", 40, 3600);
    wire_counts(&w, 0, 1, 0);
    answered(&w, "d.test", DNS_TYPE_MX, &mx);
    assert_int_equal(mx.answer.ttl_s, 40);
    answer_clear(&mx.answer);
}

static void
timeout_is_never_nodata(void **state)
{
    struct question_outcome mx;
    const char *reason;

    (void)state;
    failed(&mx, "timeout");
    assert_int_equal(classify_mx(&mx, &reason), MX_PLAN_TEMP_ERROR);
    assert_string_equal(reason, "timeout");
    failed(&mx, "servfail");
    assert_int_equal(classify_mx(&mx, &reason), MX_PLAN_TEMP_ERROR);
    assert_string_equal(reason, "servfail");
}

static void
nxdomain_checked_against_a(void **state)
{
    struct question_outcome mx, a;
    const char *reason;

    (void)state;
    nxdomain_reply(&mx, "d.test", DNS_TYPE_MX);
    assert_int_equal(classify_mx(&mx, &reason), MX_PLAN_CHECK_NXDOMAIN);

    nxdomain_reply(&a, "d.test", DNS_TYPE_A);
    assert_int_equal(classify_nxdomain_check(&mx, &a, &reason),
                     ROUTE_NO_DOMAIN);
    assert_string_equal(reason, "nxdomain");
    answer_clear(&a.answer);

    address_reply(&a, "d.test", DNS_TYPE_A, "192.0.2.1", 60);
    assert_int_equal(classify_nxdomain_check(&mx, &a, &reason),
                     ROUTE_TEMP_ERROR);
    assert_string_equal(reason, "nxdomain_contradicted");
    answer_clear(&a.answer);

    /* Even NODATA for A shows that the name exists (RFC 8020). */
    address_reply(&a, "d.test", DNS_TYPE_A, NULL, 60);
    assert_int_equal(classify_nxdomain_check(&mx, &a, &reason),
                     ROUTE_TEMP_ERROR);
    answer_clear(&a.answer);

    failed(&a, "timeout");
    assert_int_equal(classify_nxdomain_check(&mx, &a, &reason),
                     ROUTE_TEMP_ERROR);
    assert_string_equal(reason, "timeout");
    answer_clear(&mx.answer);
}

/* An NXDOMAIN reached from name through a CNAME to target. */
static void
dangling_cname_reply(struct question_outcome *out, const char *name,
                     const char *target, uint16_t type)
{
    struct wire w;

    wire_reply(&w, 1, DNS_RCODE_NXDOMAIN, name, type);
    wire_cname(&w, name, 300, target);
    wire_soa(&w, "test", 900, 120);
    wire_counts(&w, 1, 1, 0);
    answered(&w, name, type, out);
}

static void
dangling_cname_no_mail_hosts(void **state)
{
    struct question_outcome mx, a;
    const char *reason;

    (void)state;
    dangling_cname_reply(&mx, "d.test", "gone.test", DNS_TYPE_MX);
    assert_int_equal(mx.answer.kind, ANSWER_NXDOMAIN);
    assert_string_equal(mx.answer.final_name, "gone.test");
    assert_int_equal(classify_mx(&mx, &reason), MX_PLAN_CHECK_NXDOMAIN);

    /* RFC 6604: the NXDOMAIN is for gone.test, while d.test exists. */
    dangling_cname_reply(&a, "d.test", "gone.test", DNS_TYPE_A);
    assert_int_equal(classify_nxdomain_check(&mx, &a, &reason),
                     ROUTE_NO_MAIL_HOSTS);
    assert_string_equal(reason, "cname_target_nxdomain");
    answer_clear(&a.answer);

    /* A chain followed over an earlier reply of the question counts too. */
    nxdomain_reply(&a, "gone.test", DNS_TYPE_A);
    a.cname_links = 1;
    assert_int_equal(classify_nxdomain_check(&mx, &a, &reason),
                     ROUTE_NO_MAIL_HOSTS);
    assert_string_equal(reason, "cname_target_nxdomain");
    answer_clear(&a.answer);

    /* A CNAME in the MX reply and none in the A reply contradict. */
    nxdomain_reply(&a, "d.test", DNS_TYPE_A);
    assert_int_equal(classify_nxdomain_check(&mx, &a, &reason),
                     ROUTE_TEMP_ERROR);
    assert_string_equal(reason, "nxdomain_contradicted");
    answer_clear(&a.answer);
    answer_clear(&mx.answer);

    /* And the other way round. */
    nxdomain_reply(&mx, "d.test", DNS_TYPE_MX);
    dangling_cname_reply(&a, "d.test", "gone.test", DNS_TYPE_A);
    assert_int_equal(classify_nxdomain_check(&mx, &a, &reason),
                     ROUTE_TEMP_ERROR);
    assert_string_equal(reason, "nxdomain_contradicted");
    answer_clear(&a.answer);
    answer_clear(&mx.answer);
}

static void
cname_followed_in_answer(void **state)
{
    struct wire w;
    struct question_outcome mx;

    (void)state;
    wire_reply(&w, 1, 0, "d.test", DNS_TYPE_MX);
    wire_cname(&w, "d.test", 50, "t.test");
    wire_mx(&w, "t.test", 300, 10, "mx.t.test");
    wire_counts(&w, 2, 0, 0);
    answered(&w, "d.test", DNS_TYPE_MX, &mx);
    assert_int_equal(mx.answer.kind, ANSWER_DATA);
    assert_int_equal(mx.answer.cname_links, 1);
    assert_string_equal(mx.answer.final_name, "t.test");
    assert_int_equal(mx.answer.ttl_s, 50);
    answer_clear(&mx.answer);
}

static void
cname_records_of_other_owner_ignored(void **state)
{
    struct wire w;
    struct question_outcome mx;

    (void)state;
    /* An MX for a name off the chain is not the answer. */
    wire_reply(&w, 1, 0, "d.test", DNS_TYPE_MX);
    wire_mx(&w, "other.test", 300, 10, "mx.other.test");
    wire_soa(&w, "test", 300, 60);
    wire_counts(&w, 1, 1, 0);
    answered(&w, "d.test", DNS_TYPE_MX, &mx);
    assert_int_equal(mx.answer.kind, ANSWER_NODATA);
    answer_clear(&mx.answer);
}

static void
cname_loop_and_chain(void **state)
{
    struct wire w;
    struct question_outcome mx;
    struct dns_reply r;
    struct answer an;
    const char *reason;

    (void)state;
    wire_reply(&w, 1, 0, "a.test", DNS_TYPE_MX);
    wire_cname(&w, "a.test", 50, "b.test");
    wire_cname(&w, "b.test", 50, "a.test");
    wire_counts(&w, 2, 0, 0);
    answered(&w, "a.test", DNS_TYPE_MX, &mx);
    assert_int_equal(mx.answer.kind, ANSWER_CNAME_LOOP);
    assert_int_equal(classify_mx(&mx, &reason), MX_PLAN_TEMP_ERROR);
    assert_string_equal(reason, "cname_loop");
    answer_clear(&mx.answer);

    /* Three links with a budget of two. */
    wire_reply(&w, 1, 0, "a.test", DNS_TYPE_MX);
    wire_cname(&w, "a.test", 50, "b.test");
    wire_cname(&w, "b.test", 50, "c.test");
    wire_cname(&w, "c.test", 50, "d.test");
    wire_mx(&w, "d.test", 50, 10, "mx.d.test");
    wire_counts(&w, 4, 0, 0);
    assert_int_equal(dnsmsg_parse(w.buf, w.len, 1, "a.test", DNS_TYPE_MX, &r),
                     DNSMSG_OK);
    assert_int_equal(answer_analyze(&r, "a.test", DNS_TYPE_MX, 2, &an), 0);
    assert_int_equal(an.kind, ANSWER_CNAME_CHAIN);
    answer_clear(&an);
    dnsmsg_reply_clear(&r);
}

static void
cname_pending_without_soa(void **state)
{
    struct wire w;
    struct question_outcome mx;

    (void)state;
    wire_reply(&w, 1, 0, "a.test", DNS_TYPE_MX);
    wire_cname(&w, "a.test", 50, "b.test");
    wire_counts(&w, 1, 0, 0);
    answered(&w, "a.test", DNS_TYPE_MX, &mx);
    assert_int_equal(mx.answer.kind, ANSWER_CNAME_PENDING);
    assert_string_equal(mx.answer.final_name, "b.test");
    answer_clear(&mx.answer);
}

static void
address_classes(void **state)
{
    unsigned char a[16];

    (void)state;
    inet_pton(AF_INET, "127.0.0.1", a);
    assert_int_equal(classify_address(AF_INET, a), ADDRESS_LOOPBACK);
    inet_pton(AF_INET, "127.0.53.53", a);
    assert_int_equal(classify_address(AF_INET, a), ADDRESS_NAME_COLLISION);
    inet_pton(AF_INET, "0.0.0.0", a);
    assert_int_equal(classify_address(AF_INET, a), ADDRESS_UNSPECIFIED);
    inet_pton(AF_INET, "192.0.2.1", a);
    assert_int_equal(classify_address(AF_INET, a), ADDRESS_USABLE);
    inet_pton(AF_INET6, "::", a);
    assert_int_equal(classify_address(AF_INET6, a), ADDRESS_UNSPECIFIED);
    inet_pton(AF_INET6, "::1", a);
    assert_int_equal(classify_address(AF_INET6, a), ADDRESS_LOOPBACK);
    inet_pton(AF_INET6, "::ffff:127.0.0.1", a);
    assert_int_equal(classify_address(AF_INET6, a), ADDRESS_LOOPBACK);
    inet_pton(AF_INET6, "2001:db8::1", a);
    assert_int_equal(classify_address(AF_INET6, a), ADDRESS_USABLE);
}

static void
address_multicast_broadcast(void **state)
{
    static const struct {
        int family;
        const char *text;
        enum address_class expected;
    } cases[] = {
        {AF_INET, "224.0.0.0", ADDRESS_MULTICAST},
        {AF_INET, "224.0.0.251", ADDRESS_MULTICAST},
        {AF_INET, "239.255.255.255", ADDRESS_MULTICAST},
        {AF_INET, "223.255.255.255", ADDRESS_USABLE},
        {AF_INET, "240.0.0.1", ADDRESS_USABLE},
        {AF_INET, "255.255.255.255", ADDRESS_BROADCAST},
        {AF_INET, "255.255.255.254", ADDRESS_USABLE},
        {AF_INET6, "ff02::1", ADDRESS_MULTICAST},
        {AF_INET6, "ff0e::101", ADDRESS_MULTICAST},
        {AF_INET6, "fe80::1", ADDRESS_USABLE},
        {AF_INET6, "::ffff:224.0.0.1", ADDRESS_MULTICAST},
        {AF_INET6, "::ffff:255.255.255.255", ADDRESS_BROADCAST},
        /* Link-local addresses count as usable. */
        {AF_INET, "169.254.1.1", ADDRESS_USABLE},
    };
    unsigned char a[16];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(inet_pton(cases[i].family, cases[i].text, a), 1);
        assert_int_equal(classify_address(cases[i].family, a),
                         cases[i].expected);
    }
}

static void
exchange_judgements(void **state)
{
    static const struct {
        const char *a, *aaaa;
        bool usable;
        const char *why;
    } cases[] = {
        {"192.0.2.1", NULL, true, NULL},
        {NULL, "2001:db8::1", true, NULL},
        {"127.0.0.1", NULL, false, "loopback_only"},
        {"0.0.0.0", "::", false, "unspecified_only"},
        {"127.0.53.53", NULL, false, "name_collision"},
        {"127.0.0.1", "2001:db8::1", true, NULL},
        {NULL, NULL, false, "nodata"},
        {"224.0.0.251", "ff02::fb", false, "multicast_only"},
        {"255.255.255.255", NULL, false, "broadcast_only"},
        {"255.255.255.255", "ff02::fb", false, "no_usable_address"},
        {"127.0.0.1", "::", false, "no_usable_address"},
        {"239.1.2.3", "2001:db8::1", true, NULL},
    };
    struct question_outcome a, aaaa;
    struct exchange_eval eval;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        address_reply(&a, "mx.test", DNS_TYPE_A, cases[i].a, 60);
        address_reply(&aaaa, "mx.test", DNS_TYPE_AAAA, cases[i].aaaa, 60);
        classify_exchange(&a, &aaaa, &eval);
        assert_int_equal(eval.usable, cases[i].usable);
        if (cases[i].why)
            assert_string_equal(eval.why_unusable, cases[i].why);
        else
            assert_null(eval.why_unusable);
        assert_false(eval.temporary);
        answer_clear(&a.answer);
        answer_clear(&aaaa.answer);
    }
}

static void
exchange_nxdomain_and_failure(void **state)
{
    struct question_outcome a, aaaa;
    struct exchange_eval eval;

    (void)state;
    nxdomain_reply(&a, "mx.test", DNS_TYPE_A);
    nxdomain_reply(&aaaa, "mx.test", DNS_TYPE_AAAA);
    classify_exchange(&a, &aaaa, &eval);
    assert_string_equal(eval.why_unusable, "nxdomain");
    assert_true(eval.negative_ttl);
    answer_clear(&aaaa.answer);

    failed(&aaaa, "timeout");
    classify_exchange(&a, &aaaa, &eval);
    assert_true(eval.temporary);
    assert_string_equal(eval.why_unusable, "lookup_failed");
    assert_string_equal(eval.lookup_error, "timeout");
    answer_clear(&a.answer);

    /* A usable A makes a timed-out AAAA irrelevant. */
    address_reply(&a, "mx.test", DNS_TYPE_A, "192.0.2.1", 60);
    classify_exchange(&a, &aaaa, &eval);
    assert_true(eval.usable);
    assert_false(eval.temporary);
    answer_clear(&a.answer);
}

static void
exchange_nxdomain_contradicted(void **state)
{
    struct question_outcome a, aaaa;
    struct exchange_eval evals[2];
    const char *reason;

    (void)state;
    /* NXDOMAIN for A, NODATA for AAAA: the name exists and does not. */
    nxdomain_reply(&a, "mx.test", DNS_TYPE_A);
    address_reply(&aaaa, "mx.test", DNS_TYPE_AAAA, NULL, 60);
    classify_exchange(&a, &aaaa, &evals[0]);
    assert_false(evals[0].usable);
    assert_true(evals[0].temporary);
    assert_string_equal(evals[0].why_unusable, "lookup_failed");
    assert_string_equal(evals[0].lookup_error, "nxdomain_contradicted");
    answer_clear(&aaaa.answer);

    /* The order of the families does not matter, nor whether the NOERROR
     * carried data, as long as no address is usable. */
    address_reply(&aaaa, "mx.test", DNS_TYPE_AAAA, "::1", 60);
    classify_exchange(&aaaa, &a, &evals[1]);
    assert_true(evals[1].temporary);
    assert_string_equal(evals[1].lookup_error, "nxdomain_contradicted");
    answer_clear(&aaaa.answer);

    /* With no other exchange, the domain is temp_error. */
    assert_int_equal(classify_exchanges(evals, 2, &reason), ROUTE_TEMP_ERROR);
    assert_string_equal(reason, "exchange_lookup_failed");

    /* A usable address still wins (RFC 4074 servers). */
    address_reply(&aaaa, "mx.test", DNS_TYPE_AAAA, "2001:db8::1", 60);
    classify_exchange(&a, &aaaa, &evals[0]);
    assert_true(evals[0].usable);
    assert_false(evals[0].temporary);
    answer_clear(&aaaa.answer);

    /* A timeout is reported rather than the contradiction. */
    failed(&aaaa, "timeout");
    classify_exchange(&a, &aaaa, &evals[0]);
    assert_string_equal(evals[0].lookup_error, "timeout");
    answer_clear(&a.answer);
}

static void
implicit_nxdomain_contradicts_mx(void **state)
{
    struct question_outcome a, aaaa;
    struct exchange_eval eval;
    const char *reason;

    (void)state;
    /* The MX question got NODATA, so NXDOMAIN for both families of the
     * same name is a contradiction. */
    nxdomain_reply(&a, "d.test", DNS_TYPE_A);
    nxdomain_reply(&aaaa, "d.test", DNS_TYPE_AAAA);
    classify_implicit_host(&a, &aaaa, &eval);
    assert_true(eval.temporary);
    assert_string_equal(eval.why_unusable, "lookup_failed");
    assert_string_equal(eval.lookup_error, "nxdomain_contradicted");
    assert_int_equal(classify_implicit(&eval, &reason), ROUTE_TEMP_ERROR);
    assert_string_equal(reason, "nxdomain_contradicted");
    answer_clear(&aaaa.answer);

    address_reply(&aaaa, "d.test", DNS_TYPE_AAAA, NULL, 60);
    classify_implicit_host(&a, &aaaa, &eval);
    assert_int_equal(classify_implicit(&eval, &reason), ROUTE_TEMP_ERROR);
    assert_string_equal(reason, "nxdomain_contradicted");
    answer_clear(&aaaa.answer);
    answer_clear(&a.answer);

    /* NODATA for both stays no_mail_hosts. */
    address_reply(&a, "d.test", DNS_TYPE_A, NULL, 60);
    address_reply(&aaaa, "d.test", DNS_TYPE_AAAA, NULL, 60);
    classify_implicit_host(&a, &aaaa, &eval);
    assert_int_equal(classify_implicit(&eval, &reason), ROUTE_NO_MAIL_HOSTS);
    assert_string_equal(reason, "nodata");
    answer_clear(&aaaa.answer);
    answer_clear(&a.answer);

    /* A multicast address of the domain is no mail host. */
    address_reply(&a, "d.test", DNS_TYPE_A, "239.1.2.3", 60);
    address_reply(&aaaa, "d.test", DNS_TYPE_AAAA, NULL, 60);
    classify_implicit_host(&a, &aaaa, &eval);
    assert_int_equal(classify_implicit(&eval, &reason), ROUTE_NO_MAIL_HOSTS);
    assert_string_equal(reason, "multicast_only");
    answer_clear(&aaaa.answer);
    answer_clear(&a.answer);
}

static void
tcp_errno_words(void **state)
{
    (void)state;
    assert_string_equal(classify_tcp_errno(ECONNREFUSED), "connection_refused");
    assert_string_equal(classify_tcp_errno(0), "connection_closed");
    assert_string_equal(classify_tcp_errno(ECONNRESET), "connection_closed");
    assert_string_equal(classify_tcp_errno(EPIPE), "connection_closed");
    assert_string_equal(classify_tcp_errno(ENETUNREACH), "network");
    assert_string_equal(classify_tcp_errno(EHOSTUNREACH), "network");
}

static void
udp_errno_words(void **state)
{
    (void)state;
    assert_string_equal(classify_udp_errno(ECONNREFUSED), "port_unreachable");
    assert_string_equal(classify_udp_errno(ENETUNREACH), "network");
    assert_string_equal(classify_udp_errno(EHOSTUNREACH), "network");
    assert_string_equal(classify_udp_errno(EMSGSIZE), "network");
}

static void
exchange_names(void **state)
{
    (void)state;
    assert_string_equal(classify_exchange_name("192.0.2.1"), "ip_literal");
    assert_string_equal(classify_exchange_name("2001:db8::1"), "ip_literal");
    assert_string_equal(classify_exchange_name("localhost"), "localhost");
    assert_null(classify_exchange_name("mx.example.test"));
}

static void
exchanges_verdict(void **state)
{
    struct exchange_eval evals[3];
    const char *reason;

    (void)state;
    memset(evals, 0, sizeof(evals));
    evals[0].why_unusable = "nxdomain";
    evals[1].temporary = true;
    evals[1].why_unusable = "lookup_failed";
    assert_int_equal(classify_exchanges(evals, 2, &reason), ROUTE_TEMP_ERROR);
    assert_string_equal(reason, "exchange_lookup_failed");
    evals[2].usable = true;
    assert_int_equal(classify_exchanges(evals, 3, &reason), ROUTE_MX);
    assert_null(reason);
    assert_int_equal(classify_exchanges(evals, 1, &reason),
                     ROUTE_NO_MAIL_HOSTS);
    assert_string_equal(reason, "no_usable_exchange");
}

static void
implicit_verdict(void **state)
{
    struct exchange_eval eval;
    const char *reason;

    (void)state;
    memset(&eval, 0, sizeof(eval));
    eval.usable = true;
    assert_int_equal(classify_implicit(&eval, &reason), ROUTE_IMPLICIT_MX);
    eval.usable = false;
    eval.why_unusable = "loopback_only";
    assert_int_equal(classify_implicit(&eval, &reason), ROUTE_NO_MAIL_HOSTS);
    assert_string_equal(reason, "loopback_only");
    eval.temporary = true;
    eval.lookup_error = "servfail";
    assert_int_equal(classify_implicit(&eval, &reason), ROUTE_TEMP_ERROR);
    assert_string_equal(reason, "servfail");
}

static void
ttl_clamps(void **state)
{
    struct ttl_limits limits = {
        .ttl_min_s = 60,
        .ttl_max_s = 3600,
        .negative_ttl_min_s = 30,
        .negative_ttl_max_s = 600,
        .temp_error_ttl_s = 5,
    };

    (void)state;
    assert_int_equal(classify_clamp_ttl(&limits, ROUTE_MX, 10, true), 60);
    assert_int_equal(classify_clamp_ttl(&limits, ROUTE_MX, 100, true), 100);
    assert_int_equal(
        classify_clamp_ttl(&limits, ROUTE_IMPLICIT_MX, 99999, true), 3600);
    assert_int_equal(classify_clamp_ttl(&limits, ROUTE_NULL_MX, 0, true), 60);
    assert_int_equal(classify_clamp_ttl(&limits, ROUTE_NO_DOMAIN, 5, true), 30);
    assert_int_equal(classify_clamp_ttl(&limits, ROUTE_NO_DOMAIN, 86400, true),
                     600);
    assert_int_equal(
        classify_clamp_ttl(&limits, ROUTE_NO_MAIL_HOSTS, 500, false), 30);
    assert_int_equal(classify_clamp_ttl(&limits, ROUTE_TEMP_ERROR, 500, true),
                     5);
    assert_int_equal(classify_clamp_ttl(&limits, ROUTE_INVALID, 500, true), 0);
}

static void
verdict_names(void **state)
{
    (void)state;
    assert_string_equal(route_verdict_name(ROUTE_MX), "mx");
    assert_string_equal(route_verdict_name(ROUTE_IMPLICIT_MX), "implicit_mx");
    assert_string_equal(route_verdict_name(ROUTE_NULL_MX), "null_mx");
    assert_string_equal(route_verdict_name(ROUTE_NO_DOMAIN), "no_domain");
    assert_string_equal(route_verdict_name(ROUTE_NO_MAIL_HOSTS),
                        "no_mail_hosts");
    assert_string_equal(route_verdict_name(ROUTE_TEMP_ERROR), "temp_error");
    assert_string_equal(route_verdict_name(ROUTE_ADDRESS_LITERAL),
                        "address_literal");
    assert_string_equal(route_verdict_name(ROUTE_INVALID), "invalid");
    assert_string_equal(route_verdict_name((enum route_verdict)99), "unknown");
    assert_string_equal(route_rcode_name(16), "BADVERS");
    assert_null(route_rcode_name(ROUTE_RCODE_NONE));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mx_records_plan_exchanges),
        cmocka_unit_test(null_mx_alone),
        cmocka_unit_test(null_mx_mixed_is_ignored),
        cmocka_unit_test(root_target_not_null_mx),
        cmocka_unit_test(nodata_plans_implicit_with_soa_ttl),
        cmocka_unit_test(negative_ttl_soa_ttl_lower),
        cmocka_unit_test(timeout_is_never_nodata),
        cmocka_unit_test(nxdomain_checked_against_a),
        cmocka_unit_test(dangling_cname_no_mail_hosts),
        cmocka_unit_test(cname_followed_in_answer),
        cmocka_unit_test(cname_records_of_other_owner_ignored),
        cmocka_unit_test(cname_loop_and_chain),
        cmocka_unit_test(cname_pending_without_soa),
        cmocka_unit_test(address_classes),
        cmocka_unit_test(address_multicast_broadcast),
        cmocka_unit_test(exchange_judgements),
        cmocka_unit_test(exchange_nxdomain_and_failure),
        cmocka_unit_test(exchange_nxdomain_contradicted),
        cmocka_unit_test(implicit_nxdomain_contradicts_mx),
        cmocka_unit_test(tcp_errno_words),
        cmocka_unit_test(udp_errno_words),
        cmocka_unit_test(exchange_names),
        cmocka_unit_test(exchanges_verdict),
        cmocka_unit_test(implicit_verdict),
        cmocka_unit_test(ttl_clamps),
        cmocka_unit_test(verdict_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
