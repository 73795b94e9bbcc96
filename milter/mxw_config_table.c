/*
 * The configuration table: every key mxwarden reads, with its type,
 * default, bounds, unit and help. config.c interprets it; the sample
 * file and the manual page are checked against it by the test suite.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>

#include "mxw_config.h"
#include "policy.h"

/* A unix socket path must fit sockaddr_un.sun_path with its NUL. */
#define UNIX_PATH_MAX_LEN (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

static bool
parse_port(const char *text, size_t len, int *port)
{
    int value = 0;

    if (len == 0 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)text[i]))
            return false;
        value = value * 10 + (text[i] - '0');
    }
    if (value < 1 || value > 65535)
        return false;
    *port = value;
    return true;
}

static bool
check_socket(const char *value, char *why, size_t whylen)
{
    const char *rest;
    const char *at;
    unsigned char addr[sizeof(struct in6_addr)];
    int port;
    int family;

    if (strncmp(value, "unix:", 5) == 0) {
        rest = value + 5;
        if (rest[0] != '/') {
            snprintf(why, whylen, "expected an absolute path after unix:");
            return false;
        }
        if (strlen(rest) > UNIX_PATH_MAX_LEN) {
            snprintf(why, whylen, "unix socket path longer than %zu bytes",
                     UNIX_PATH_MAX_LEN);
            return false;
        }
        return true;
    }

    if (strncmp(value, "inet:", 5) == 0) {
        rest = value + 5;
        family = AF_INET;
    } else if (strncmp(value, "inet6:", 6) == 0) {
        rest = value + 6;
        family = AF_INET6;
    } else {
        snprintf(why, whylen,
                 "expected unix:PATH, inet:PORT@IPv4 or inet6:PORT@IPv6");
        return false;
    }

    at = strchr(rest, '@');
    if (at == NULL || !parse_port(rest, (size_t)(at - rest), &port)) {
        snprintf(why, whylen,
                 "expected PORT@ADDRESS with a port from 1 to 65535");
        return false;
    }
    if (inet_pton(family, at + 1, addr) != 1) {
        snprintf(why, whylen, "expected %s address after @",
                 family == AF_INET ? "an IPv4" : "an IPv6");
        return false;
    }
    return true;
}

/* Empty, or a portable user or group name (POSIX portable filename set). */
static bool
check_account_name(const char *value, char *why, size_t whylen)
{
    size_t len = strlen(value);

    if (len == 0)
        return true;
    if (len > 32 || value[0] == '-') {
        snprintf(why, whylen,
                 "expected a name of 1 to 32 characters, not starting "
                 "with '-'");
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (!isalnum(c) && c != '_' && c != '-' && c != '.') {
            snprintf(why, whylen,
                     "expected letters, digits, '_', '-' or '.' only");
            return false;
        }
    }
    return true;
}

/* Empty, or an absolute path. The loader has already rejected control
 * characters, as it does in every string. */
static bool
check_abs_path(const char *value, char *why, size_t whylen)
{
    if (value[0] == '\0')
        return true;
    if (value[0] != '/') {
        snprintf(why, whylen, "expected an absolute path or \"\"");
        return false;
    }
    return true;
}

bool
config_server_split(const char *item, char *addr, size_t addrlen, int *port)
{
    unsigned char buf[sizeof(struct in6_addr)];
    const char *colon;
    size_t len;

    /* "[IPv6]:port" or "[IPv6]" */
    if (item[0] == '[') {
        const char *end = strchr(item, ']');
        if (end == NULL)
            return false;
        len = (size_t)(end - item - 1);
        if (len == 0 || len >= addrlen)
            return false;
        memcpy(addr, item + 1, len);
        addr[len] = '\0';
        if (inet_pton(AF_INET6, addr, buf) != 1)
            return false;
        if (end[1] == '\0') {
            *port = 53;
            return true;
        }
        return end[1] == ':' && parse_port(end + 2, strlen(end + 2), port);
    }

    /* A bare IPv6 address has more than one colon. */
    colon = strchr(item, ':');
    if (colon != NULL && strchr(colon + 1, ':') != NULL) {
        if (strlen(item) >= addrlen || inet_pton(AF_INET6, item, buf) != 1)
            return false;
        snprintf(addr, addrlen, "%s", item);
        *port = 53;
        return true;
    }

    /* "IPv4" or "IPv4:port" */
    len = colon != NULL ? (size_t)(colon - item) : strlen(item);
    if (len == 0 || len >= addrlen)
        return false;
    memcpy(addr, item, len);
    addr[len] = '\0';
    if (inet_pton(AF_INET, addr, buf) != 1)
        return false;
    if (colon == NULL) {
        *port = 53;
        return true;
    }
    return parse_port(colon + 1, strlen(colon + 1), port);
}

/* An IPv4 or IPv6 address in binary form, with IPv4-mapped IPv6
 * addresses stored as IPv4 so that both spellings compare equal. */
struct binary_address {
    int family;
    unsigned char bytes[sizeof(struct in6_addr)];
};

static bool
address_parse(const char *text, struct binary_address *out)
{
    struct in6_addr a6;

    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, text, out->bytes) == 1) {
        out->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, text, &a6) != 1)
        return false;
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
        out->family = AF_INET;
        memcpy(out->bytes, &a6.s6_addr[12], 4);
    } else {
        out->family = AF_INET6;
        memcpy(out->bytes, &a6, sizeof(a6));
    }
    return true;
}

static bool
address_equal(const struct binary_address *a, const struct binary_address *b)
{
    return a->family == b->family &&
           memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

/* The unspecified address of either family (0.0.0.0 or ::). */
static bool
address_is_any(const struct binary_address *a)
{
    static const unsigned char zero[sizeof(a->bytes)];

    return memcmp(a->bytes, zero, sizeof(zero)) == 0;
}

bool
config_server_same(const char *a, const char *b)
{
    char text_a[INET6_ADDRSTRLEN + 1];
    char text_b[INET6_ADDRSTRLEN + 1];
    struct binary_address addr_a;
    struct binary_address addr_b;
    int port_a;
    int port_b;

    if (!config_server_split(a, text_a, sizeof(text_a), &port_a) ||
        !config_server_split(b, text_b, sizeof(text_b), &port_b))
        return strcmp(a, b) == 0;
    if (!address_parse(text_a, &addr_a) || !address_parse(text_b, &addr_b))
        return strcmp(a, b) == 0;
    return port_a == port_b && address_equal(&addr_a, &addr_b);
}

/*
 * A listening socket in the milter syntax, split for comparison: a unix
 * path with repeated slashes collapsed, or an address and port.
 */
struct socket_endpoint {
    bool is_unix;
    char path[UNIX_PATH_MAX_LEN + 1];
    struct binary_address address;
    int port;
};

static bool
socket_endpoint_parse(const char *value, struct socket_endpoint *out)
{
    const char *rest;
    const char *at;
    size_t used = 0;

    memset(out, 0, sizeof(*out));
    if (strncmp(value, "unix:", 5) == 0) {
        out->is_unix = true;
        for (const char *p = value + 5; *p != '\0'; p++) {
            if (*p == '/' && used > 0 && out->path[used - 1] == '/')
                continue;
            if (used + 1 >= sizeof(out->path))
                return false;
            out->path[used++] = *p;
        }
        out->path[used] = '\0';
        return true;
    }
    if (strncmp(value, "inet:", 5) == 0)
        rest = value + 5;
    else if (strncmp(value, "inet6:", 6) == 0)
        rest = value + 6;
    else
        return false;
    at = strchr(rest, '@');
    return at != NULL && parse_port(rest, (size_t)(at - rest), &out->port) &&
           address_parse(at + 1, &out->address);
}

bool
config_socket_same(const char *a, const char *b)
{
    struct socket_endpoint end_a;
    struct socket_endpoint end_b;

    if (!socket_endpoint_parse(a, &end_a) || !socket_endpoint_parse(b, &end_b))
        return strcmp(a, b) == 0;
    if (end_a.is_unix || end_b.is_unix)
        return end_a.is_unix && end_b.is_unix &&
               strcmp(end_a.path, end_b.path) == 0;
    if (end_a.port != end_b.port)
        return false;

    /* A wildcard address takes the port on every address of its family.
     * NOTE: on Linux with net.ipv6.bindv6only = 0 (the default), "::"
     * also takes the IPv4 port; that case is treated as a conflict. */
    if (address_equal(&end_a.address, &end_b.address))
        return true;
    if (address_is_any(&end_a.address) &&
        (end_a.address.family == end_b.address.family ||
         end_a.address.family == AF_INET6))
        return true;
    return address_is_any(&end_b.address) &&
           (end_b.address.family == end_a.address.family ||
            end_b.address.family == AF_INET6);
}

static bool
check_server(const char *value, char *why, size_t whylen)
{
    char addr[INET6_ADDRSTRLEN + 1];
    int port;

    if (!config_server_split(value, addr, sizeof(addr), &port)) {
        snprintf(why, whylen,
                 "expected \"IPv4\", \"IPv4:port\", \"IPv6\" or "
                 "\"[IPv6]:port\" with a port from 1 to 65535");
        return false;
    }
    return true;
}

/*
 * True when name is a header field that messages carry for other
 * purposes (RFC 5322, MIME, mailing lists, authentication, Postfix's own),
 * which header_remove_incoming would delete from every message.
 */
static bool
header_name_is_standard(const char *name)
{
    static const char *const names[] = {
        "Received", "Return-Path", "From", "Sender", "Reply-To", "To",
        "Cc", "Bcc", "Subject", "Date", "Message-ID", "In-Reply-To",
        "References", "Comments", "Keywords", "MIME-Version",
        "DKIM-Signature", "Authentication-Results", "Received-SPF",
        "Delivered-To", "X-Original-To", "Precedence", "Auto-Submitted",
        "Disposition-Notification-To", "Autocrypt", "Organization",
        "Importance", "Priority", "User-Agent", "X-Mailer",
    };
    static const char *const prefixes[] = {"Content-", "Resent-", "List-",
                                           "ARC-", "X-Spam-"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(name, names[i]) == 0)
            return true;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncasecmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    return false;
}

/* RFC 5322 section 3.6.8: ftext is printable US-ASCII except ':'. */
static bool
check_header_name(const char *value, char *why, size_t whylen)
{
    size_t len = strlen(value);

    /* 76 leaves room for ": " and a value start in a 78-character line. */
    if (len == 0 || len > 76) {
        snprintf(why, whylen, "expected 1 to 76 characters");
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c < 33 || c > 126 || c == ':') {
            snprintf(why, whylen,
                     "expected printable ASCII without spaces or ':' "
                     "(RFC 5322 field name)");
            return false;
        }
    }
    if (header_name_is_standard(value)) {
        snprintf(why, whylen,
                 "a standard header that the filter would remove from every "
                 "message; choose a name of its own such as X-MXWarden");
        return false;
    }
    return true;
}

/*
 * Check a domain name in ASCII (A-label) form, as DNS queries use it, of
 * at most max_len characters without the final dot. Labels have 1 to 63
 * letters, digits and hyphens, with no hyphen at either end (the host
 * name syntax of RFC 1034 section 3.5, relaxed by RFC 1123 section 2.1). The
 * last label is not all digits, so that an IPv4 address is not taken for a
 * domain (RFC 3696 section 2).
 */
static bool
check_domain_name(const char *value, size_t max_len, char *why, size_t whylen)
{
    size_t len = strlen(value);
    size_t start = 0;
    bool all_digits = true;

    if (len > 0 && value[len - 1] == '.')
        len--;
    if (len == 0 || len > max_len) {
        snprintf(why, whylen,
                 "expected a domain name of 1 to %zu characters, not "
                 "counting a final dot",
                 max_len);
        return false;
    }
    for (size_t i = 0; i <= len; i++) {
        unsigned char c = i < len ? (unsigned char)value[i] : '.';

        if (c != '.') {
            if (!isalnum(c) && c != '-') {
                snprintf(why, whylen,
                         "expected a domain name in ASCII (A-label) form: "
                         "letters, digits, '-' and '.' only");
                return false;
            }
            if (!isdigit(c))
                all_digits = false;
            continue;
        }
        if (i == start) {
            snprintf(why, whylen,
                     "empty label at position %zu; a domain name has no "
                     "leading dot and no two dots in a row",
                     i + 1);
            return false;
        }
        if (i - start > 63) {
            snprintf(why, whylen,
                     "label of %zu characters at position %zu; a label "
                     "has at most 63",
                     i - start, start + 1);
            return false;
        }
        if (value[start] == '-' || value[i - 1] == '-') {
            snprintf(why, whylen, "label \"%.*s\" starts or ends with '-'",
                     (int)(i - start), value + start);
            return false;
        }
        if (i < len)
            all_digits = true;
        start = i + 1;
    }
    if (all_digits) {
        snprintf(why, whylen,
                 "expected a domain name, not an IP address (the last "
                 "label is all digits)");
        return false;
    }
    return true;
}

static bool
check_domain(const char *value, char *why, size_t whylen)
{
    return check_domain_name(value, 253, why, whylen);
}

/* Domain names compare without regard to ASCII case (RFC 4343) and to a
 * final dot. */
static bool
domain_same(const char *a, const char *b)
{
    size_t len_a = strlen(a);
    size_t len_b = strlen(b);

    if (len_a > 0 && a[len_a - 1] == '.')
        len_a--;
    if (len_b > 0 && b[len_b - 1] == '.')
        len_b--;
    return len_a == len_b && strncasecmp(a, b, len_a) == 0;
}

/*
 * The canary queries "LABEL.ZONE" with a random label of at most 28
 * characters ("mxw-canary-" and 16 hex digits are 27), so the zone must
 * leave room for it and a dot within 253 characters.
 */
#define CANARY_LABEL_MAX_LEN 28

static bool
check_canary_zone(const char *value, char *why, size_t whylen)
{
    return value[0] == '\0' ||
           check_domain_name(value, 253 - CANARY_LABEL_MAX_LEN - 1, why,
                             whylen);
}

/* The NAME of socketmap:...:NAME, which Postfix sends with each query. */
static bool
check_socketmap_name(const char *value, char *why, size_t whylen)
{
    size_t len = strlen(value);

    if (len == 0 || len > 64) {
        snprintf(why, whylen, "expected a name of 1 to 64 characters");
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];

        if (!isalnum(c) && c != '-' && c != '_' && c != '.') {
            snprintf(why, whylen,
                     "expected letters, digits, '-', '_' and '.' only");
            return false;
        }
    }
    return true;
}

static bool
check_socket_or_empty(const char *value, char *why, size_t whylen)
{
    return value[0] == '\0' || check_socket(value, why, whylen);
}

/* "accept" or "CODE DSN" with matching classes, such as "451 4.4.3". */
static bool
check_reply(const char *value, char *why, size_t whylen)
{
    struct policy_reply reply;

    return policy_reply_parse(value, &reply, why, whylen);
}

/*
 * The untrusted reply of a negative verdict: it applies when the
 * resolver is not healthy or the negative answer was not confirmed, so a
 * permanent failure there could bounce mail on a DNS fault.
 */
static bool
check_reply_untrusted(const char *value, char *why, size_t whylen)
{
    struct policy_reply reply;

    if (!policy_reply_parse(value, &reply, why, whylen))
        return false;
    if (!reply.accept && reply.code[0] == '5') {
        snprintf(why, whylen,
                 "expected \"accept\" or a 4xx reply, because the second "
                 "reply applies when the resolver is not healthy or the "
                 "answer is not confirmed");
        return false;
    }
    return true;
}

/* A reply for a verdict that never justifies a permanent failure. */
static bool
check_reply_temporary(const char *value, char *why, size_t whylen)
{
    struct policy_reply reply;

    if (!policy_reply_parse(value, &reply, why, whylen))
        return false;
    if (!reply.accept && reply.code[0] == '5') {
        snprintf(why, whylen,
                 "expected \"accept\" or a 4xx reply: this verdict never "
                 "justifies a permanent failure");
        return false;
    }
    return true;
}

static const struct config_choice log_level_choices[] = {
    {"error", MXW_LOG_ERROR},   {"warning", MXW_LOG_WARNING},
    {"notice", MXW_LOG_NOTICE}, {"info", MXW_LOG_INFO},
    {"debug", MXW_LOG_DEBUG},   {NULL, 0},
};

static const struct config_choice facility_choices[] = {
    {"mail", LOG_MAIL},
    {"daemon", LOG_DAEMON},
    {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1},
    {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3},
    {"local4", LOG_LOCAL4},
    {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6},
    {"local7", LOG_LOCAL7},
    {NULL, 0},
};

/* A transport (Postfix) or delivery agent (Sendmail, whose built-in
 * agents include "*file*" and "*include*") as {rcpt_mailer} carries it. */
static bool
check_mailer_name(const char *value, char *why, size_t whylen)
{
    size_t len = strlen(value);

    if (len == 0 || len > 64) {
        snprintf(why, whylen, "expected 1 to 64 characters");
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (!isalnum(c) && strchr("-_.*", c) == NULL) {
            snprintf(why, whylen,
                     "expected letters, digits, '-', '_', '.' and '*' only");
            return false;
        }
    }
    return true;
}

/* A next hop as {rcpt_host} carries it: host, [address] or
 * [address]:port, without spaces or control characters. */
static bool
check_relay_host(const char *value, char *why, size_t whylen)
{
    size_t len = strlen(value);

    if (len == 0 || len > 260) {
        snprintf(why, whylen, "expected 1 to 260 characters");
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        if (!isalnum(c) && strchr("-_.:[]", c) == NULL) {
            snprintf(why, whylen,
                     "expected a host name, [address] or [address]:port");
            return false;
        }
    }
    return true;
}

static const struct config_choice non_smtpd_choices[] = {
    {"auto", MXW_NON_SMTPD_AUTO},
    {"always", MXW_NON_SMTPD_ALWAYS},
    {"never", MXW_NON_SMTPD_NEVER},
    {NULL, 0},
};

static const struct config_choice mode_choices[] = {
    {"enforce", MXW_MODE_ENFORCE},
    {"monitor", MXW_MODE_MONITOR},
    {NULL, 0},
};

#define FIELD(name) offsetof(struct mxw_config, name)

/* Allowed text of a decision-table row, matching the checks of its two
 * items. */
#define REPLIES_TEMPORARY                                                      \
    "two replies, each \"accept\" or \"4xx 4.D.D\", the first for a "          \
    "healthy, confirmed answer and the second otherwise"
#define REPLIES_NEGATIVE                                                       \
    "two replies, the first \"accept\" or \"CODE D.D.D\" for a healthy, "      \
    "confirmed answer, the second \"accept\" or \"4xx 4.D.D\" otherwise"
#define REPLIES_INVALID                                                        \
    "two replies, each \"accept\" or \"CODE D.D.D\"; only the first is "       \
    "used, because an invalid name is decided without DNS"

/* A decision-table row: two replies, for a trusted and an untrusted
 * answer. first and second check the two items. */
#define REPLY_ROW(field, defaults, first, second, allowed_text, what)          \
    {                                                                          \
        .name = #field, .type = CONFIG_STR_LIST, .offset = FIELD(field),       \
        .default_text = "[" defaults "]", .min_items = 2, .max_items = 2,      \
        .duplicates_allowed = true, .check = first, .check_second = second,    \
        .allowed = allowed_text, .help = "Replies for " what,                  \
    }

const struct config_key config_table[] = {
    /* daemon */
    {
        .name = "socket",
        .type = CONFIG_STRING,
        .offset = FIELD(socket),
        .default_text = "\"unix:/run/mxwarden/mxwarden.sock\"",
        .check = check_socket,
        .allowed = "unix:PATH, inet:PORT@IPv4 or inet6:PORT@IPv6",
        .help = "Milter socket the MTA connects to (libmilter syntax)",
    },
    {
        .name = "socket_mode",
        .type = CONFIG_OCTAL,
        .offset = FIELD(socket_mode),
        .default_text = "\"0660\"",
        .min = 0,
        .max = 0777,
        .allowed = "an octal string from \"0000\" to \"0777\"",
        .help = "Permissions of a unix socket, owned by user and group",
    },
    {
        .name = "user",
        .type = CONFIG_STRING,
        .offset = FIELD(user),
        .default_text = "\"mxwarden\"",
        .check = check_account_name,
        .allowed = "a user name, or \"\" to keep the starting user",
        .help = "User to run as after opening the socket and pidfile",
    },
    {
        .name = "group",
        .type = CONFIG_STRING,
        .offset = FIELD(group),
        .default_text = "\"\"",
        .check = check_account_name,
        .allowed = "a group name, or \"\" for the user's primary group",
        .help = "Group to run as and to own the unix socket",
    },
    {
        .name = "pidfile",
        .type = CONFIG_STRING,
        .offset = FIELD(pidfile),
        .default_text = "\"/run/mxwarden/mxwarden.pid\"",
        .check = check_abs_path,
        .allowed = "an absolute path, or \"\" for no pidfile",
        .help = "File that holds the process id and a lock against a "
                "second instance",
    },
    {
        .name = "foreground",
        .type = CONFIG_BOOL,
        .offset = FIELD(foreground),
        .default_text = "false",
        .allowed = "true or false",
        .help = "Stay in the foreground and log to stderr (same as -f)",
    },

    /* logging */
    {
        .name = "log_level",
        .type = CONFIG_ENUM,
        .offset = FIELD(log_level),
        .default_text = "\"info\"",
        .choices = log_level_choices,
        .help = "Minimum severity that is logged",
    },
    {
        .name = "syslog_facility",
        .type = CONFIG_ENUM,
        .offset = FIELD(syslog_facility),
        .default_text = "\"mail\"",
        .choices = facility_choices,
        .help = "Syslog facility of every log line",
    },

    /* policy */
    {
        .name = "mode",
        .type = CONFIG_ENUM,
        .offset = FIELD(mode),
        .default_text = "\"enforce\"",
        .choices = mode_choices,
        .help = "Enforce sends tempfails and rejects; monitor accepts and "
                "only logs what it would have done",
    },

    /* DNS */
    {
        .name = "servers",
        .type = CONFIG_STR_LIST,
        .offset = FIELD(servers),
        .default_text = "[\"127.0.0.1\"]",
        .min_items = 1,
        .max_items = 8,
        .check = check_server,
        .same = config_server_same,
        .allowed = "1 to 8 of \"IPv4\", \"IPv4:port\", \"IPv6\", "
                   "\"[IPv6]:port\"",
        .help = "Recursive resolvers to query, in order of preference",
    },
    {
        .name = "step_timeout_ms",
        .type = CONFIG_INT,
        .offset = FIELD(step_timeout_ms),
        .default_text = "1500",
        .min = 50,
        .max = 20000,
        .unit = "milliseconds",
        .help = "Time to wait for one DNS query before the next step",
    },
    {
        .name = "rcpt_deadline_ms",
        .type = CONFIG_INT,
        .offset = FIELD(rcpt_deadline_ms),
        .default_text = "10000",
        .min = 100,
        .max = 25000,
        .unit = "milliseconds",
        .help = "Time budget of one RCPT decision; keep it well below "
                "Postfix's milter_command_timeout (30 s)",
    },
    {
        .name = "edns_ladder",
        .type = CONFIG_INT_LIST,
        .offset = FIELD(edns_ladder),
        .default_text = "[1232, 512]",
        .min = 512,
        .max = 4096,
        .min_items = 0,
        .max_items = 6,
        .unit = "bytes",
        .allowed = "0 to 6 payload sizes from 512 to 4096, descending",
        .help = "EDNS UDP payload sizes tried in order before plain DNS",
    },
    {
        .name = "tcp_fallback",
        .type = CONFIG_BOOL,
        .offset = FIELD(tcp_fallback),
        .default_text = "true",
        .allowed = "true or false",
        .help = "Retry over TCP after truncation or a failed UDP ladder",
    },
    {
        .name = "edns_memory_s",
        .type = CONFIG_INT,
        .offset = FIELD(edns_memory_s),
        .default_text = "900",
        .min = 0,
        .max = 86400,
        .unit = "seconds",
        .help = "How long the EDNS step that worked is remembered per "
                "server (0: never)",
    },
    {
        .name = "max_inflight",
        .type = CONFIG_INT,
        .offset = FIELD(max_inflight),
        .default_text = "1000",
        .min = 1,
        .max = 100000,
        .unit = "route lookups",
        .help = "Route lookups in flight at once, counting those still "
                "queued and the second lookups that confirm a negative "
                "answer. Past it, RCPT gets a 451 at once unless the same "
                "domain is already being looked up. One lookup sends at most "
                "21 DNS queries (the MX query, then A and AAAA for each of up "
                "to 10 exchanges), not counting retries down the EDNS ladder "
                "or over TCP",
    },
    {
        .name = "cname_max",
        .type = CONFIG_INT,
        .offset = FIELD(cname_max),
        .default_text = "8",
        .min = 0,
        .max = 16,
        .unit = "CNAME records",
        .help = "Longest CNAME chain followed for one name",
    },

    /* cache */
    {
        .name = "cache_size",
        .type = CONFIG_INT,
        .offset = FIELD(cache_size),
        .default_text = "10000",
        .min = 16,
        .max = 10000000,
        .unit = "entries",
        .help = "Route lookups kept in the cache",
    },
    {
        .name = "ttl_min_s",
        .type = CONFIG_INT,
        .offset = FIELD(ttl_min_s),
        .default_text = "30",
        .min = 0,
        .max = 86400,
        .unit = "seconds",
        .help = "Minimum time a positive answer is cached",
    },
    {
        .name = "ttl_max_s",
        .type = CONFIG_INT,
        .offset = FIELD(ttl_max_s),
        .default_text = "86400",
        .min = 1,
        .max = 604800,
        .unit = "seconds",
        .help = "Maximum time a positive answer is cached",
    },
    {
        .name = "negative_ttl_min_s",
        .type = CONFIG_INT,
        .offset = FIELD(negative_ttl_min_s),
        .default_text = "30",
        .min = 0,
        .max = 86400,
        .unit = "seconds",
        .help = "Minimum time a confirmed negative answer is cached",
    },
    {
        .name = "negative_ttl_max_s",
        .type = CONFIG_INT,
        .offset = FIELD(negative_ttl_max_s),
        .default_text = "3600",
        .min = 1,
        .max = 86400,
        .unit = "seconds",
        .help = "Maximum time a confirmed negative answer is cached "
                "(RFC 2308 suggests at most 3 hours)",
    },
    {
        .name = "temp_error_ttl_s",
        .type = CONFIG_INT,
        .offset = FIELD(temp_error_ttl_s),
        .default_text = "5",
        .min = 0,
        .max = 600,
        .unit = "seconds",
        .help = "Time a temporary failure is cached (0: not cached)",
    },
    {
        .name = "stale_window_s",
        .type = CONFIG_INT,
        .offset = FIELD(stale_window_s),
        .default_text = "86400",
        .min = 0,
        .max = 604800,
        .unit = "seconds",
        .help = "How long after expiry a known route is still used when "
                "fresh lookups fail (0: never)",
    },

    /* diagnostic header */
    {
        .name = "header_name",
        .type = CONFIG_STRING,
        .offset = FIELD(header_name),
        .default_text = "\"X-MXWarden\"",
        .check = check_header_name,
        .allowed = "an RFC 5322 field name: printable ASCII without "
                   "spaces or ':', not a standard header such as Received",
        .help = "Name of the diagnostic header added to accepted mail",
    },
    {
        .name = "header_enabled",
        .type = CONFIG_BOOL,
        .offset = FIELD(header_enabled),
        .default_text = "true",
        .allowed = "true or false",
        .help = "Add the diagnostic header at end of message",
    },
    {
        .name = "header_remove_incoming",
        .type = CONFIG_BOOL,
        .offset = FIELD(header_remove_incoming),
        .default_text = "true",
        .allowed = "true or false",
        .help = "Remove headers named header_name that arrive with a "
                "message, so a client cannot forge them (milter only)",
    },
    {
        .name = "header_max_domains",
        .type = CONFIG_INT,
        .offset = FIELD(header_max_domains),
        .default_text = "20",
        .min = 1,
        .max = 1000,
        .unit = "headers",
        .help = "Most recipient domains that get their own header in one "
                "message; one summary header counts the rest",
    },

    /* milter recipients */
    {
        .name = "skip_mailers",
        .type = CONFIG_STR_LIST,
        .offset = FIELD(skip_mailers),
        .default_text = "[\"local\", \"virtual\", \"lmtp\", \"error\", "
                        "\"discard\"]",
        .min_items = 0,
        .max_items = 32,
        .check = check_mailer_name,
        .allowed = "0 to 32 transport names (letters, digits, '-', '_', "
                   "'.', '*')",
        .help = "Transports, from the {rcpt_mailer} macro, whose recipients "
                "are not looked up",
    },
    {
        .name = "relay_hosts",
        .type = CONFIG_STR_LIST,
        .offset = FIELD(relay_hosts),
        .default_text = "[]",
        .min_items = 0,
        .max_items = 32,
        .check = check_relay_host,
        .allowed = "0 to 32 next hops as host, [address] or [address]:port",
        .help = "Next hops, from the {rcpt_host} macro, whose recipients are "
                "not looked up (a relay host routes them, not DNS)",
    },
    {
        .name = "non_smtpd",
        .type = CONFIG_ENUM,
        .offset = FIELD(non_smtpd),
        .default_text = "\"auto\"",
        .choices = non_smtpd_choices,
        .help = "Which connections carry non-SMTP mail (sendmail command, "
                "pickup), deferred whole at end of message: auto, always or "
                "never",
    },

    /* resolver health and canaries */
    {
        .name = "health_window_s",
        .type = CONFIG_INT,
        .offset = FIELD(health_window_s),
        .default_text = "60",
        .min = 5,
        .max = 3600,
        .unit = "seconds",
        .help = "Sliding window over which each server's failure ratio is "
                "computed",
    },
    {
        .name = "health_min_samples",
        .type = CONFIG_INT,
        .offset = FIELD(health_min_samples),
        .default_text = "10",
        .min = 1,
        .max = 512,
        .unit = "queries",
        .help = "Queries in the window before the failure ratio counts",
    },
    {
        .name = "health_suspect_pct",
        .type = CONFIG_INT,
        .offset = FIELD(health_suspect_pct),
        .default_text = "50",
        .min = 1,
        .max = 100,
        .unit = "percent",
        .help = "Failure ratio that makes a healthy server suspect and "
                "starts a canary round",
    },
    {
        .name = "health_recover_rounds",
        .type = CONFIG_INT,
        .offset = FIELD(health_recover_rounds),
        .default_text = "2",
        .min = 1,
        .max = 100,
        .unit = "rounds",
        .help = "Consecutive clean canary rounds before a server is healthy "
                "and trusted again",
    },
    {
        .name = "canary_domains",
        .type = CONFIG_STR_LIST,
        .offset = FIELD(canary_domains),
        .default_text = "[\"hotmail.com\", \"outlook.com\", "
                        "\"gmail.com\", \"yahoo.com\"]",
        .min_items = 0,
        .max_items = 32,
        .check = check_domain,
        .same = domain_same,
        .allowed = "0 to 32 domain names that must have an MX RRset",
        .help = "Domains whose MX lookup must succeed on a healthy resolver",
    },
    {
        .name = "canary_nxdomain_zone",
        .type = CONFIG_STRING,
        .offset = FIELD(canary_nxdomain_zone),
        .default_text = "\"example.com\"",
        .check = check_canary_zone,
        .allowed = "a domain name of at most 224 characters without "
                   "wildcard records, or \"\" to skip the check",
        .help = "Zone under which a random name must get NXDOMAIN; catches "
                "NXDOMAIN rewriting",
    },
    {
        .name = "canary_interval_s",
        .type = CONFIG_INT,
        .offset = FIELD(canary_interval_s),
        .default_text = "60",
        .min = 0,
        .max = 86400,
        .unit = "seconds",
        .help = "Time between scheduled canary rounds; 0 runs rounds only "
                "when failures request them",
    },
    {
        .name = "canary_retry_s",
        .type = CONFIG_INT,
        .offset = FIELD(canary_retry_s),
        .default_text = "10",
        .min = 0,
        .max = 3600,
        .unit = "seconds",
        .help = "Time between canary rounds while a server is suspect or "
                "unhealthy; 0 waits for canary_interval_s",
    },
    {
        .name = "canary_timeout_ms",
        .type = CONFIG_INT,
        .offset = FIELD(canary_timeout_ms),
        .default_text = "5000",
        .min = 100,
        .max = 60000,
        .unit = "milliseconds",
        .help = "Time a canary round may take per server",
    },

    /* decision table */
    {
        .name = "protected_domains",
        .type = CONFIG_STR_LIST,
        .offset = FIELD(protected_domains),
        .default_text =
            "[\"hotmail.com\", \"outlook.com\", \"live.com\", "
            "\"msn.com\", \"gmail.com\", \"googlemail.com\", "
            "\"yahoo.com\", \"icloud.com\", \"aol.com\", \"gmx.de\", "
            "\"web.de\", \"yandex.ru\", \"qq.com\"]",
        .min_items = 0,
        .max_items = POLICY_MAX_PROTECTED,
        .check = check_domain,
        .same = domain_same,
        .allowed = "0 to 64 domain names in ASCII form, each listed once "
                   "regardless of letter case",
        .help = "Domains that never get a 5xx for a negative DNS answer",
    },
    REPLY_ROW(reply_mx, "\"accept\", \"accept\"", check_reply_temporary,
              check_reply_temporary, REPLIES_TEMPORARY,
              "mx: an MX with a usable exchange"),
    REPLY_ROW(reply_implicit_mx, "\"accept\", \"451 4.4.3\"",
              check_reply_temporary, check_reply_temporary, REPLIES_TEMPORARY,
              "implicit_mx: no MX, but the domain has an address; the "
              "second reply applies when the resolver rewrites NXDOMAIN"),
    REPLY_ROW(reply_null_mx, "\"556 5.1.10\", \"451 4.4.3\"", check_reply,
              check_reply_untrusted, REPLIES_NEGATIVE,
              "null_mx: the domain publishes a null MX (RFC 7505)"),
    REPLY_ROW(reply_no_domain, "\"550 5.1.2\", \"451 4.4.3\"", check_reply,
              check_reply_untrusted, REPLIES_NEGATIVE, "no_domain: NXDOMAIN"),
    REPLY_ROW(reply_no_mail_hosts, "\"550 5.4.4\", \"451 4.4.3\"", check_reply,
              check_reply_untrusted, REPLIES_NEGATIVE,
              "no_mail_hosts: no MX and no usable address"),
    REPLY_ROW(reply_temp_error, "\"451 4.4.3\", \"451 4.4.3\"",
              check_reply_temporary, check_reply_temporary, REPLIES_TEMPORARY,
              "temp_error: no definitive DNS answer"),
    REPLY_ROW(reply_address_literal, "\"accept\", \"accept\"",
              check_reply_temporary, check_reply_temporary, REPLIES_TEMPORARY,
              "address_literal: an address literal such as [192.0.2.1]"),
    REPLY_ROW(reply_invalid, "\"550 5.1.3\", \"550 5.1.3\"", check_reply,
              check_reply, REPLIES_INVALID, "invalid: not a valid domain name"),

    /* Postfix policy service and delivery-status socketmap */
    {
        .name = "policy_socket",
        .type = CONFIG_STRING,
        .offset = FIELD(policy_socket),
        .default_text = "\"\"",
        .check = check_socket_or_empty,
        .allowed = "\"\" (off), unix:PATH, inet:PORT@IPv4 or "
                   "inet6:PORT@IPv6",
        .help = "Socket of the Postfix policy service "
                "(check_policy_service)",
    },
    {
        .name = "socketmap_socket",
        .type = CONFIG_STRING,
        .offset = FIELD(socketmap_socket),
        .default_text = "\"\"",
        .check = check_socket_or_empty,
        .allowed = "\"\" (off), unix:PATH, inet:PORT@IPv4 or "
                   "inet6:PORT@IPv6",
        .help = "Socket of the socketmap for smtp_delivery_status_filter "
                "(the delivery-time bounce guard)",
    },
    {
        .name = "socketmap_name",
        .type = CONFIG_STRING,
        .offset = FIELD(socketmap_name),
        .default_text = "\"deliverystatus\"",
        .check = check_socketmap_name,
        .allowed = "1 to 64 letters, digits, '-', '_' and '.'",
        .help = "Map name Postfix sends, the NAME in socketmap:...:NAME",
    },
    {
        .name = "frontend_max_connections",
        .type = CONFIG_INT,
        .offset = FIELD(frontend_max_connections),
        .default_text = "200",
        .min = 1,
        .max = 10000,
        .unit = "connections",
        .help = "Open connections per policy or socketmap listener; more "
                "are closed at once",
    },
};

const size_t config_table_count =
    sizeof(config_table) / sizeof(config_table[0]);

const struct config_key *
config_key_find(const char *name)
{
    for (size_t i = 0; i < config_table_count; i++) {
        if (strcmp(config_table[i].name, name) == 0)
            return &config_table[i];
    }
    return NULL;
}
