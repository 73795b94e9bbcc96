/*
 * name.h - domain name normalization, address literals and the name
 * checks that route classification needs.  Pure functions, thread-safe.
 */
#ifndef MXW_NAME_H
#define MXW_NAME_H

#include <stdbool.h>
#include <stddef.h>

/* Longest domain in text form without the trailing dot (RFC 1035: 255
 * octets on the wire). */
#define NAME_MAX_TEXT 253

enum name_kind {
    NAME_DOMAIN = 0,      /* out holds the lowercase A-label form */
    NAME_ADDRESS_LITERAL, /* out holds "[192.0.2.1]" or "[IPv6:...]" */
    NAME_INVALID,         /* *reason holds a static word */
};

/*
 * Normalize an envelope domain: strip one trailing dot, convert U-labels
 * to A-labels with libidn2 (IDNA2008, NFC input), lowercase, and check
 * the LDH syntax (labels of 1-63 octets, no leading or trailing hyphen,
 * total at most 253, the last label not all digits).  Address literals in
 * brackets come back in canonical text form.  out must hold at least
 * NAME_MAX_TEXT + 1 bytes.  On NAME_INVALID, *reason is "empty",
 * "syntax", "idna", "too_long" or "literal".
 */
enum name_kind name_normalize(const char *input, char *out, size_t outlen,
                              const char **reason);

/* True when text (without brackets, trailing dot ignored) parses as an
 * IPv4 or IPv6 address, or is an address literal in brackets: an MX
 * exchange that is an IP literal is not a host name (RFC 7505 section 4
 * and RFC 5321 section 5.1). */
bool name_is_ip_literal(const char *text);

/* True for "localhost" and names under ".localhost" (RFC 6761). */
bool name_is_localhost(const char *text);

/* Lowercase ASCII letters of s in place. */
void name_lowercase(char *s);

/* Case-insensitive ASCII equality, ignoring one trailing dot on either. */
bool name_equal(const char *a, const char *b);

#endif
