/*
 * Unit tests of reply validation (resolver/dnsmsg.c) and name
 * normalization (resolver/name.c).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "dnsmsg.h"
#include "name.h"
#include "test_resolver_wire.h"

static void
query_with_edns_has_opt(void **state)
{
    unsigned char buf[DNS_QUERY_MAX];
    size_t n = dnsmsg_build_query(buf, sizeof(buf), 0x1234, "example.test",
                                  DNS_TYPE_MX, 1232);

    (void)state;
    /* 12 header + 14 name + 4 + 11 OPT */
    assert_int_equal(n, 12 + 14 + 4 + 11);
    assert_int_equal(buf[0], 0x12);
    assert_int_equal(buf[1], 0x34);
    assert_int_equal(buf[2], 0x01); /* RD */
    assert_int_equal(buf[11], 1);   /* ARCOUNT */
    assert_int_equal(buf[n - 11 + 3], 1232 >> 8);
    assert_int_equal(buf[n - 11 + 4], 1232 & 0xff);
}

static void
query_without_edns_has_no_opt(void **state)
{
    unsigned char buf[DNS_QUERY_MAX];
    size_t n =
        dnsmsg_build_query(buf, sizeof(buf), 7, "example.test", DNS_TYPE_A, 0);

    (void)state;
    assert_int_equal(n, 12 + 14 + 4);
    assert_int_equal(buf[11], 0);
}

static void
query_rejects_bad_names(void **state)
{
    unsigned char buf[DNS_QUERY_MAX];
    char long_label[80];

    (void)state;
    memset(long_label, 'a', 64);
    strcpy(long_label + 64, ".test");
    assert_int_equal(
        dnsmsg_build_query(buf, sizeof(buf), 1, long_label, DNS_TYPE_A, 0), 0);
    assert_int_equal(
        dnsmsg_build_query(buf, sizeof(buf), 1, "a..b", DNS_TYPE_A, 0), 0);
}

static void
reply_mx_parses(void **state)
{
    struct wire w;
    struct dns_reply r;

    (void)state;
    wire_reply(&w, 42, 0, "example.test", DNS_TYPE_MX);
    wire_mx(&w, "example.test", 300, 10, "mx.example.test");
    wire_opt(&w, 1232, 0);
    wire_counts(&w, 1, 0, 1);
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 42, "example.test", DNS_TYPE_MX, &r),
        DNSMSG_OK);
    assert_int_equal(r.rr_count, 1);
    assert_string_equal(r.rrs[0].target, "mx.example.test");
    assert_int_equal(r.rrs[0].preference, 10);
    assert_true(r.has_opt);
    assert_int_equal(r.opt_payload, 1232);
    dnsmsg_reply_clear(&r);
}

static void
reply_question_case_insensitive(void **state)
{
    struct wire w;
    struct dns_reply r;

    (void)state;
    wire_reply(&w, 42, 0, "ExAmPle.TEST", DNS_TYPE_MX);
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 42, "example.test", DNS_TYPE_MX, &r),
        DNSMSG_OK);
    dnsmsg_reply_clear(&r);
}

static void
reply_wrong_id_or_question(void **state)
{
    struct wire w;
    struct dns_reply r;

    (void)state;
    wire_reply(&w, 42, 0, "example.test", DNS_TYPE_MX);
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 43, "example.test", DNS_TYPE_MX, &r),
        DNSMSG_ID_MISMATCH);
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 42, "other.test", DNS_TYPE_MX, &r),
        DNSMSG_QUESTION_MISMATCH);
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 42, "example.test", DNS_TYPE_A, &r),
        DNSMSG_QUESTION_MISMATCH);
}

static void
reply_without_question(void **state)
{
    struct wire w;
    struct dns_reply r;

    (void)state;
    /* FORMERR with an empty question (as some servers reject EDNS) is an
     * error signal; NOERROR without a question is not ours. */
    wire_reply(&w, 42, DNS_RCODE_FORMERR, NULL, 0);
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 42, "example.test", DNS_TYPE_MX, &r),
        DNSMSG_OK);
    assert_int_equal(r.rcode, DNS_RCODE_FORMERR);
    dnsmsg_reply_clear(&r);
    wire_reply(&w, 42, DNS_RCODE_NOERROR, NULL, 0);
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 42, "example.test", DNS_TYPE_MX, &r),
        DNSMSG_QUESTION_MISMATCH);
}

static void
reply_counts_must_match(void **state)
{
    struct wire w;
    struct dns_reply r;

    (void)state;
    wire_reply(&w, 1, 0, "example.test", DNS_TYPE_MX);
    wire_mx(&w, "example.test", 300, 10, "mx.example.test");
    wire_counts(&w, 2, 0, 0); /* one record missing */
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 1, "example.test", DNS_TYPE_MX, &r),
        DNSMSG_MALFORMED);
    wire_counts(&w, 0, 0, 0); /* trailing record not counted */
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 1, "example.test", DNS_TYPE_MX, &r),
        DNSMSG_MALFORMED);
    wire_counts(&w, 1, 0, 0);
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len - 1, 1, "example.test", DNS_TYPE_MX, &r),
        DNSMSG_MALFORMED);
}

static void
reply_opt_placement(void **state)
{
    struct wire w;
    struct dns_reply r;

    (void)state;
    wire_reply(&w, 1, 0, "example.test", DNS_TYPE_MX);
    wire_opt(&w, 1232, 0);
    wire_counts(&w, 1, 0, 0); /* OPT in the answer section */
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 1, "example.test", DNS_TYPE_MX, &r),
        DNSMSG_MALFORMED);
    wire_reply(&w, 1, 0, "example.test", DNS_TYPE_MX);
    wire_opt(&w, 1232, 0);
    wire_opt(&w, 1232, 0);
    wire_counts(&w, 0, 0, 2); /* two OPTs */
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 1, "example.test", DNS_TYPE_MX, &r),
        DNSMSG_MALFORMED);
}

static void
reply_badvers_extended_rcode(void **state)
{
    struct wire w;
    struct dns_reply r;

    (void)state;
    wire_reply(&w, 1, 0, "example.test", DNS_TYPE_MX);
    wire_opt(&w, 1232, 1); /* 1 << 4 | 0 = 16 */
    wire_counts(&w, 0, 0, 1);
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 1, "example.test", DNS_TYPE_MX, &r),
        DNSMSG_OK);
    assert_int_equal(r.rcode, DNS_RCODE_BADVERS);
    dnsmsg_reply_clear(&r);
}

static void
reply_compression_loop_rejected(void **state)
{
    struct wire w;
    struct dns_reply r;
    size_t owner_at;

    (void)state;
    wire_reply(&w, 1, 0, "example.test", DNS_TYPE_MX);
    owner_at = w.len;
    /* An owner name that points at itself. */
    w.buf[w.len++] = 0xc0 | (unsigned char)(owner_at >> 8);
    w.buf[w.len++] = (unsigned char)owner_at;
    wire_put16(&w, 15);
    wire_put16(&w, 1);
    wire_put32(&w, 300);
    wire_put16(&w, 3);
    wire_put16(&w, 10);
    w.buf[w.len++] = 0;
    wire_counts(&w, 1, 0, 0);
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 1, "example.test", DNS_TYPE_MX, &r),
        DNSMSG_MALFORMED);
}

static void
reply_compressed_owner_ok(void **state)
{
    struct wire w;
    struct dns_reply r;

    (void)state;
    wire_reply(&w, 1, 0, "example.test", DNS_TYPE_A);
    w.buf[w.len++] = 0xc0;
    w.buf[w.len++] = 12; /* the question name */
    wire_put16(&w, 1);
    wire_put16(&w, 1);
    wire_put32(&w, 60);
    wire_put16(&w, 4);
    memcpy(w.buf + w.len, "\xc0\x00\x02\x01", 4);
    w.len += 4;
    wire_counts(&w, 1, 0, 0);
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 1, "example.test", DNS_TYPE_A, &r),
        DNSMSG_OK);
    assert_string_equal(r.rrs[0].owner, "example.test");
    dnsmsg_reply_clear(&r);
}

static void
reply_bad_rdata_lengths(void **state)
{
    struct wire w;
    struct dns_reply r;

    (void)state;
    wire_reply(&w, 1, 0, "example.test", DNS_TYPE_A);
    wire_rr_head(&w, "example.test", 1, 60);
    wire_put16(&w, 3); /* an A record of 3 bytes */
    memcpy(w.buf + w.len, "\x01\x02\x03", 3);
    w.len += 3;
    wire_counts(&w, 1, 0, 0);
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 1, "example.test", DNS_TYPE_A, &r),
        DNSMSG_MALFORMED);
}

static void
reply_short_or_query(void **state)
{
    struct wire w;
    struct dns_reply r;

    (void)state;
    wire_reply(&w, 1, 0, "example.test", DNS_TYPE_A);
    assert_int_equal(dnsmsg_parse(w.buf, 11, 1, "example.test", DNS_TYPE_A, &r),
                     DNSMSG_SHORT);
    w.buf[2] &= 0x7f; /* QR clear: a query, not a reply */
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 1, "example.test", DNS_TYPE_A, &r),
        DNSMSG_NOT_REPLY);
}

static void
reply_escapes_odd_bytes(void **state)
{
    struct wire w;
    struct dns_reply r;

    (void)state;
    wire_reply(&w, 1, 0, "example.test", DNS_TYPE_MX);
    wire_mx(&w, "example.test", 300, 10, "a b.example.test");
    wire_counts(&w, 1, 0, 0);
    assert_int_equal(
        dnsmsg_parse(w.buf, w.len, 1, "example.test", DNS_TYPE_MX, &r),
        DNSMSG_OK);
    assert_string_equal(r.rrs[0].target, "a\\032b.example.test");
    dnsmsg_reply_clear(&r);
}

/* ---- names ---- */

static void
name_lowercase_and_dot(void **state)
{
    char out[NAME_MAX_TEXT + 1];
    const char *why;

    (void)state;
    assert_int_equal(name_normalize("ExAmple.TEST.", out, sizeof(out), &why),
                     NAME_DOMAIN);
    assert_string_equal(out, "example.test");
}

static void
name_idn_to_alabel(void **state)
{
    char out[NAME_MAX_TEXT + 1];
    const char *why;

    (void)state;
    assert_int_equal(name_normalize("Bücher.example", out, sizeof(out), &why),
                     NAME_DOMAIN);
    assert_string_equal(out, "xn--bcher-kva.example");
    assert_int_equal(
        name_normalize("XN--BCHER-KVA.example", out, sizeof(out), &why),
        NAME_DOMAIN);
    assert_string_equal(out, "xn--bcher-kva.example");
}

static void
name_invalid_cases(void **state)
{
    static const struct {
        const char *input;
        const char *reason;
    } cases[] = {
        {"", "empty"},
        {".", "empty"},
        {"a..b", "syntax"},
        {"-a.test", "syntax"},
        {"a-.test", "syntax"},
        {"a b.test", "syntax"},
        {"a_b.test", "syntax"},
        {"192.0.2.1", "syntax"},
        {"xn--zzzz-.test", "syntax"},
        {"xn--a.test", "idna"},
        {"[192.0.2.300]", "literal"},
        {"[Foo:bar]", "literal"},
        {"[192.0.2.1", "literal"},
    };
    char out[NAME_MAX_TEXT + 1];
    const char *why;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum name_kind kind =
            name_normalize(cases[i].input, out, sizeof(out), &why);

        assert_int_equal(kind, NAME_INVALID);
        assert_string_equal(why, cases[i].reason);
    }
}

static void
name_too_long(void **state)
{
    char in[400];
    char out[NAME_MAX_TEXT + 1];
    const char *why;
    size_t n = 0;

    (void)state;
    while (n < 300) {
        memcpy(in + n, "abcdefghi.", 10);
        n += 10;
    }
    memcpy(in + n, "test", 5);
    assert_int_equal(name_normalize(in, out, sizeof(out), &why), NAME_INVALID);
    assert_string_equal(why, "too_long");
}

static void
name_address_literals(void **state)
{
    char out[NAME_MAX_TEXT + 1];
    const char *why;

    (void)state;
    assert_int_equal(name_normalize("[192.0.2.1]", out, sizeof(out), &why),
                     NAME_ADDRESS_LITERAL);
    assert_string_equal(out, "[192.0.2.1]");
    assert_int_equal(
        name_normalize("[ipv6:2001:DB8:0::1]", out, sizeof(out), &why),
        NAME_ADDRESS_LITERAL);
    assert_string_equal(out, "[IPv6:2001:db8::1]");
}

static void
name_ip_literal_and_localhost(void **state)
{
    (void)state;
    assert_true(name_is_ip_literal("192.0.2.1"));
    assert_true(name_is_ip_literal("192.0.2.1."));
    assert_true(name_is_ip_literal("2001:db8::1"));
    assert_true(name_is_ip_literal("[192.0.2.1]"));
    assert_false(name_is_ip_literal("mx.example.test"));
    assert_false(name_is_ip_literal("192.0.2.1.example"));
    assert_true(name_is_localhost("localhost"));
    assert_true(name_is_localhost("LocalHost."));
    assert_true(name_is_localhost("mail.localhost"));
    assert_false(name_is_localhost("notlocalhost"));
    assert_false(name_is_localhost("localhost.example"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(query_with_edns_has_opt),
        cmocka_unit_test(query_without_edns_has_no_opt),
        cmocka_unit_test(query_rejects_bad_names),
        cmocka_unit_test(reply_mx_parses),
        cmocka_unit_test(reply_question_case_insensitive),
        cmocka_unit_test(reply_wrong_id_or_question),
        cmocka_unit_test(reply_without_question),
        cmocka_unit_test(reply_counts_must_match),
        cmocka_unit_test(reply_opt_placement),
        cmocka_unit_test(reply_badvers_extended_rcode),
        cmocka_unit_test(reply_compression_loop_rejected),
        cmocka_unit_test(reply_compressed_owner_ok),
        cmocka_unit_test(reply_bad_rdata_lengths),
        cmocka_unit_test(reply_short_or_query),
        cmocka_unit_test(reply_escapes_odd_bytes),
        cmocka_unit_test(name_lowercase_and_dot),
        cmocka_unit_test(name_idn_to_alabel),
        cmocka_unit_test(name_invalid_cases),
        cmocka_unit_test(name_too_long),
        cmocka_unit_test(name_address_literals),
        cmocka_unit_test(name_ip_literal_and_localhost),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
