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

/* Empty, or an absolute path without control characters. */
static bool
check_abs_path(const char *value, char *why, size_t whylen)
{
    if (value[0] == '\0')
        return true;
    if (value[0] != '/') {
        snprintf(why, whylen, "expected an absolute path or \"\"");
        return false;
    }
    for (const char *p = value; *p != '\0'; p++) {
        if (iscntrl((unsigned char)*p)) {
            snprintf(why, whylen, "control characters are not allowed");
            return false;
        }
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
    return true;
}

/* A domain name in ASCII (A-label) form, as DNS queries use it. */
static bool
check_domain(const char *value, char *why, size_t whylen)
{
    size_t len = strlen(value);

    if (len > 0 && value[len - 1] == '.')
        len--;
    if (len == 0 || len > 253) {
        snprintf(why, whylen, "expected a domain name of 1 to 253 characters");
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];

        if (!isalnum(c) && c != '-' && c != '.' && c != '_') {
            snprintf(why, whylen,
                     "expected a domain name in ASCII (A-label) form");
            return false;
        }
    }
    return true;
}

static bool
check_domain_or_empty(const char *value, char *why, size_t whylen)
{
    return value[0] == '\0' || check_domain(value, why, whylen);
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

static const struct config_choice mode_choices[] = {
    {"enforce", MXW_MODE_ENFORCE},
    {"monitor", MXW_MODE_MONITOR},
    {NULL, 0},
};

#define FIELD(name) offsetof(struct mxw_config, name)

/* A decision-table row: two replies, for a trusted and an untrusted
 * negative answer. */
#define REPLY_ROW(field, defaults, checker, what)                              \
    {                                                                          \
        .name = #field, .type = CONFIG_STR_LIST, .offset = FIELD(field),       \
        .default_text = "[" defaults "]", .min_items = 2, .max_items = 2,      \
        .duplicates_allowed = true, .check = checker,                          \
        .allowed = "two replies, each \"accept\" or \"CODE D.D.D\": for "      \
                   "a healthy, confirmed answer, then otherwise",              \
        .help = "Replies for " what,                                           \
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
        .unit = "queries",
        .help = "DNS queries in flight at once; past it RCPT gets a 451",
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
                   "spaces or ':'",
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
        .allowed = "0 to 32 domain names that must have an MX RRset",
        .help = "Domains whose MX lookup must succeed on a healthy resolver",
    },
    {
        .name = "canary_nxdomain_zone",
        .type = CONFIG_STRING,
        .offset = FIELD(canary_nxdomain_zone),
        .default_text = "\"example.com\"",
        .check = check_domain_or_empty,
        .allowed = "a domain name without wildcard records, or \"\" to "
                   "skip the check",
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
        .allowed = "0 to 64 domain names in ASCII form",
        .help = "Domains that never get a 5xx for a negative DNS answer",
    },
    REPLY_ROW(reply_mx, "\"accept\", \"accept\"", check_reply_temporary,
              "mx: an MX with a usable exchange"),
    REPLY_ROW(reply_implicit_mx, "\"accept\", \"451 4.4.3\"",
              check_reply_temporary,
              "implicit_mx: no MX, but the domain has an address; the "
              "second reply applies when the resolver rewrites NXDOMAIN"),
    REPLY_ROW(reply_null_mx, "\"556 5.1.10\", \"451 4.4.3\"", check_reply,
              "null_mx: the domain publishes a null MX (RFC 7505)"),
    REPLY_ROW(reply_no_domain, "\"550 5.1.2\", \"451 4.4.3\"", check_reply,
              "no_domain: NXDOMAIN"),
    REPLY_ROW(reply_no_mail_hosts, "\"550 5.4.4\", \"451 4.4.3\"", check_reply,
              "no_mail_hosts: no MX and no usable address"),
    REPLY_ROW(reply_temp_error, "\"451 4.4.3\", \"451 4.4.3\"",
              check_reply_temporary, "temp_error: no definitive DNS answer"),
    REPLY_ROW(reply_address_literal, "\"accept\", \"accept\"",
              check_reply_temporary,
              "address_literal: an address literal such as [192.0.2.1]"),
    REPLY_ROW(reply_invalid, "\"550 5.1.3\", \"550 5.1.3\"", check_reply,
              "invalid: not a valid domain name"),

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
        .check = check_domain,
        .allowed = "letters, digits, '-', '_' and '.'",
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
