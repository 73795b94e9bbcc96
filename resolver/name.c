/*
 * name.c - normalization of envelope domains and literals.
 */
#include "config.h"

#include "name.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
name_lowercase(char *s)
{
    for (; *s; s++) {
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
    }
}

static size_t
strip_dot_len(const char *s)
{
    size_t n = strlen(s);

    if (n > 0 && s[n - 1] == '.')
        n--;
    return n;
}

bool
name_equal(const char *a, const char *b)
{
    size_t la = strip_dot_len(a);
    size_t lb = strip_dot_len(b);

    return la == lb && strncasecmp(a, b, la) == 0;
}

/* Parse "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 section 4.1.3)
 * into canonical text.  Returns false when the literal is malformed or
 * uses a tag other than IPv6. */
static bool
parse_address_literal(const char *input, char *out, size_t outlen)
{
    size_t n = strlen(input);
    char inner[INET6_ADDRSTRLEN + 8];
    char text[INET6_ADDRSTRLEN];
    unsigned char addr[16];

    if (n < 3 || input[n - 1] != ']' || n - 2 >= sizeof(inner))
        return false;
    memcpy(inner, input + 1, n - 2);
    inner[n - 2] = '\0';

    if (strncasecmp(inner, "IPv6:", 5) == 0) {
        if (inet_pton(AF_INET6, inner + 5, addr) != 1)
            return false;
        if (!inet_ntop(AF_INET6, addr, text, sizeof(text)))
            return false;
        return (size_t)snprintf(out, outlen, "[IPv6:%s]", text) < outlen;
    }
    if (inet_pton(AF_INET, inner, addr) != 1)
        return false;
    if (!inet_ntop(AF_INET, addr, text, sizeof(text)))
        return false;
    return (size_t)snprintf(out, outlen, "[%s]", text) < outlen;
}

static bool
is_ldh(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Check LDH syntax of a lowercase ASCII name without trailing dot.
 * Returns NULL when valid, otherwise the reason word. */
static const char *
check_ldh(const char *name)
{
    size_t total = strlen(name);
    const char *label = name;
    bool last_all_digits = true;

    if (total == 0)
        return "empty";
    if (total > NAME_MAX_TEXT)
        return "too_long";

    while (*label) {
        const char *end = strchr(label, '.');
        size_t len = end ? (size_t)(end - label) : strlen(label);
        bool all_digits = true;

        if (len == 0 || len > 63)
            return len == 0 ? "syntax" : "too_long";
        if (label[0] == '-' || label[len - 1] == '-')
            return "syntax";
        for (size_t i = 0; i < len; i++) {
            if (!is_ldh(label[i]))
                return "syntax";
            if (label[i] < '0' || label[i] > '9')
                all_digits = false;
        }

        /* An A-label must decode to a valid U-label that encodes back to
         * the same A-label (RFC 5891 section 5.4), or it is not IDNA. */
        if (len >= 4 && strncmp(label, "xn--", 4) == 0) {
            char buf[64];
            char *unicode = NULL;
            char *back = NULL;
            bool same;

            memcpy(buf, label, len);
            buf[len] = '\0';
            if (idn2_to_unicode_8z8z(buf, &unicode, 0) != IDN2_OK)
                return "idna";
            if (idn2_lookup_u8((const uint8_t *)unicode, (uint8_t **)&back,
                               IDN2_NONTRANSITIONAL) != IDN2_OK) {
                idn2_free(unicode);
                return "idna";
            }
            same = strcmp(back, buf) == 0;
            idn2_free(unicode);
            idn2_free(back);
            if (!same)
                return "idna";
        }

        last_all_digits = all_digits;
        if (!end)
            break;
        label = end + 1;
        if (*label == '\0')
            return "syntax";
    }

    /* A dotted quad without brackets is not a domain. */
    if (last_all_digits)
        return "syntax";
    return NULL;
}

enum name_kind
name_normalize(const char *input, char *out, size_t outlen, const char **reason)
{
    char buf[NAME_MAX_TEXT + 2];
    size_t n;
    bool ascii = true;
    const char *problem;

    *reason = NULL;
    if (!input || outlen < NAME_MAX_TEXT + 1) {
        *reason = "empty";
        return NAME_INVALID;
    }
    out[0] = '\0';

    if (input[0] == '[') {
        if (parse_address_literal(input, out, outlen))
            return NAME_ADDRESS_LITERAL;
        *reason = "literal";
        return NAME_INVALID;
    }

    n = strlen(input);
    if (n > 0 && input[n - 1] == '.')
        n--;
    if (n == 0) {
        *reason = "empty";
        return NAME_INVALID;
    }
    /* U-labels take up to four bytes a character, so allow room for the
     * UTF-8 form before conversion shrinks or grows it. */
    if (n > 4 * NAME_MAX_TEXT) {
        *reason = "too_long";
        return NAME_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)input[i];

        if (c >= 0x80)
            ascii = false;
        else if (c <= 0x20 || c == 0x7f) {
            *reason = "syntax";
            return NAME_INVALID;
        }
    }

    if (ascii) {
        if (n > NAME_MAX_TEXT) {
            *reason = "too_long";
            return NAME_INVALID;
        }
        memcpy(buf, input, n);
        buf[n] = '\0';
    } else {
        char *utf8 = strndup(input, n);
        char *alabel = NULL;
        int rc;

        if (!utf8) {
            *reason = "syntax";
            return NAME_INVALID;
        }
        rc = idn2_lookup_u8((const uint8_t *)utf8, (uint8_t **)&alabel,
                            IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
        free(utf8);
        if (rc != IDN2_OK || !alabel) {
            *reason = "idna";
            return NAME_INVALID;
        }
        if (strlen(alabel) > NAME_MAX_TEXT) {
            idn2_free(alabel);
            *reason = "too_long";
            return NAME_INVALID;
        }
        strcpy(buf, alabel);
        idn2_free(alabel);
    }

    name_lowercase(buf);
    problem = check_ldh(buf);
    if (problem) {
        *reason = problem;
        return NAME_INVALID;
    }
    memcpy(out, buf, strlen(buf) + 1);
    return NAME_DOMAIN;
}

bool
name_is_ip_literal(const char *text)
{
    char buf[INET6_ADDRSTRLEN + 8];
    unsigned char addr[16];
    size_t n = strip_dot_len(text);

    if (n == 0 || n >= sizeof(buf))
        return false;
    if (text[0] == '[') {
        char canon[NAME_MAX_TEXT + 1];

        memcpy(buf, text, n);
        buf[n] = '\0';
        return parse_address_literal(buf, canon, sizeof(canon));
    }
    memcpy(buf, text, n);
    buf[n] = '\0';
    return inet_pton(AF_INET, buf, addr) == 1 ||
           inet_pton(AF_INET6, buf, addr) == 1;
}

bool
name_is_localhost(const char *text)
{
    size_t n = strip_dot_len(text);
    static const char suffix[] = ".localhost";
    size_t sl = sizeof(suffix) - 1;

    if (n == 9 && strncasecmp(text, "localhost", 9) == 0)
        return true;
    return n > sl && strncasecmp(text + n - sl, suffix, sl) == 0;
}
