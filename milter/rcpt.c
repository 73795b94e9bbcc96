/*
 * rcpt.c - recipient domain, skip rules and non-SMTP detection.
 */
#include "config.h"

#include "rcpt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

bool
rcpt_domain_from_arg(const char *arg, char *domain, size_t domainlen,
                     bool *bracketed)
{
    const char *start;
    const char *end;
    const char *at = NULL;
    bool quoted = false;
    size_t len;

    *bracketed = false;
    if (domainlen == 0)
        return false;
    domain[0] = '\0';
    if (arg == NULL)
        return false;

    start = arg;
    end = arg + strlen(arg);
    if (*start == '<') {
        if (end == start + 1 || end[-1] != '>')
            return false;
        *bracketed = true;
        start++;
        end--;
    }

    /* RFC 5321 section 4.1.2: a source route "@a,@b:" ends at the first
     * colon and names relays, not the recipient. */
    if (start < end && *start == '@') {
        const char *colon = memchr(start, ':', (size_t)(end - start));

        if (colon == NULL)
            return false;
        start = colon + 1;
    }

    /* The domain follows the last '@' outside a quoted local part. */
    for (const char *p = start; p < end; p++) {
        if (*p == '\\' && quoted && p + 1 < end) {
            p++;
            continue;
        }
        if (*p == '"')
            quoted = !quoted;
        else if (*p == '@' && !quoted)
            at = p;
    }
    if (at == NULL || at == start || at + 1 >= end)
        return false;

    len = (size_t)(end - (at + 1));
    if (len >= domainlen)
        len = domainlen - 1;
    memcpy(domain, at + 1, len);
    domain[len] = '\0';
    return true;
}

/* Find the host part of a {rcpt_host} value or a relay host item:
 * "[10.0.0.1]:25" and "[10.0.0.1]" give 10.0.0.1, "relay.example:2525"
 * gives relay.example, a bare IPv6 address is kept whole. */
static bool
host_part(const char *text, const char **start, size_t *len)
{
    const char *end;

    *start = text;
    if (*text == '[') {
        *start = text + 1;
        end = strchr(*start, ']');
        if (end == NULL)
            return false;
    } else {
        end = strrchr(text, ':');
        /* More than one colon is a bare IPv6 address, not host:port. */
        if (end == NULL || strchr(text, ':') != end)
            end = text + strlen(text);
    }
    *len = (size_t)(end - *start);
    return *len > 0;
}

static bool
host_part_equals(const char *host, const char *item)
{
    const char *host_start;
    const char *item_start;
    size_t host_len;
    size_t item_len;

    return host_part(host, &host_start, &host_len) &&
           host_part(item, &item_start, &item_len) && host_len == item_len &&
           strncasecmp(host_start, item_start, host_len) == 0;
}

const char *
rcpt_skip_reason(const struct rcpt_rules *rules, const char *mailer,
                 const char *host)
{
    if (mailer != NULL) {
        for (size_t i = 0; i < rules->skip_mailer_count; i++) {
            if (strcasecmp(mailer, rules->skip_mailers[i]) == 0)
                return "mailer";
        }
    }
    if (host != NULL && host[0] != '\0') {
        for (size_t i = 0; i < rules->relay_host_count; i++) {
            const char *item = rules->relay_hosts[i];

            if (strcasecmp(host, item) == 0 || host_part_equals(host, item))
                return "relay_host";
        }
    }
    return NULL;
}

bool
rcpt_is_non_smtpd(const struct rcpt_rules *rules, const char *mailer,
                  bool bracketed)
{
    switch (rules->non_smtpd) {
    case RCPT_NON_SMTPD_ALWAYS:
        return true;
    case RCPT_NON_SMTPD_NEVER:
        return false;
    case RCPT_NON_SMTPD_AUTO:
        break;
    }
    return mailer == NULL && !bracketed;
}
