/*
 * policy.c - the decision table and its invariant.
 */
#include "config.h"

#include "policy.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Large providers whose domains certainly exist: a negative DNS answer for
 * one of them says more about the resolver than about the domain. */
static const char *const policy_default_protected[] = {
    "hotmail.com",    "outlook.com", "live.com",   "msn.com", "gmail.com",
    "googlemail.com", "yahoo.com",   "icloud.com", "aol.com", "gmx.de",
    "web.de",         "yandex.ru",   "qq.com",
};

static struct policy_reply
policy_reply_make(const char *code, const char *dsn)
{
    struct policy_reply reply = {.accept = false};

    snprintf(reply.code, sizeof(reply.code), "%s", code);
    snprintf(reply.dsn, sizeof(reply.dsn), "%s", dsn);
    return reply;
}

void
policy_init(struct policy *policy)
{
    static const struct policy_reply accept = {.accept = true};
    struct policy_reply tempfail = policy_reply_make("451", "4.4.3");
    char err[128];

    memset(policy, 0, sizeof(*policy));
    policy->tempfail = tempfail;
    policy->rows[ROUTE_MX] = (struct policy_row){accept, accept};
    policy->rows[ROUTE_ADDRESS_LITERAL] = (struct policy_row){accept, accept};
    policy->rows[ROUTE_IMPLICIT_MX] = (struct policy_row){accept, tempfail};
    policy->rows[ROUTE_NULL_MX] =
        (struct policy_row){policy_reply_make("556", "5.1.10"), tempfail};
    policy->rows[ROUTE_NO_DOMAIN] =
        (struct policy_row){policy_reply_make("550", "5.1.2"), tempfail};
    policy->rows[ROUTE_NO_MAIL_HOSTS] =
        (struct policy_row){policy_reply_make("550", "5.4.4"), tempfail};
    policy->rows[ROUTE_TEMP_ERROR] = (struct policy_row){tempfail, tempfail};
    policy->rows[ROUTE_INVALID] = (struct policy_row){
        policy_reply_make("550", "5.1.3"), policy_reply_make("550", "5.1.3")};
    policy_set_protected(policy, policy_default_protected,
                         sizeof(policy_default_protected) /
                             sizeof(policy_default_protected[0]),
                         err, sizeof(err));
}

/* Check an RFC 3463 status code: class.subject.detail, where subject and
 * detail are 1 to 3 digits without leading zeros. */
static bool
policy_dsn_valid(const char *dsn)
{
    const char *p = dsn;

    if (p[0] != '2' && p[0] != '4' && p[0] != '5')
        return false;
    p++;
    for (int part = 0; part < 2; part++) {
        size_t digits = 0;

        if (*p++ != '.')
            return false;
        while (isdigit((unsigned char)p[digits]))
            digits++;
        if (digits == 0 || digits > 3 || (digits > 1 && p[0] == '0'))
            return false;
        p += digits;
    }
    return *p == '\0';
}

bool
policy_reply_parse(const char *text, struct policy_reply *reply, char *err,
                   size_t errlen)
{
    char code[8], dsn[16], extra[2];
    int fields;

    memset(reply, 0, sizeof(*reply));
    if (strcmp(text, "accept") == 0) {
        reply->accept = true;
        return true;
    }
    fields = sscanf(text, "%7s %15s %1s", code, dsn, extra);
    if (fields != 2) {
        snprintf(err, errlen,
                 "invalid reply \"%s\": expected \"accept\" or a code and "
                 "an enhanced status code, such as \"451 4.4.3\"",
                 text);
        return false;
    }
    if (strlen(code) != 3 || (code[0] != '4' && code[0] != '5') ||
        !isdigit((unsigned char)code[1]) || !isdigit((unsigned char)code[2])) {
        snprintf(err, errlen,
                 "invalid reply code \"%s\" in \"%s\": expected 4xx or 5xx",
                 code, text);
        return false;
    }
    if (!policy_dsn_valid(dsn)) {
        snprintf(err, errlen,
                 "invalid enhanced status code \"%s\" in \"%s\": expected "
                 "class.subject.detail, such as 4.4.3",
                 dsn, text);
        return false;
    }
    if (dsn[0] != code[0]) {
        snprintf(err, errlen,
                 "reply \"%s\" mixes classes: a %cxx code needs a %c.x.x "
                 "enhanced status code",
                 text, code[0], code[0]);
        return false;
    }
    memcpy(reply->code, code, 4);
    snprintf(reply->dsn, sizeof(reply->dsn), "%s", dsn);
    return true;
}

void
policy_reply_format(const struct policy_reply *reply, char *buf, size_t buflen)
{
    if (reply->accept)
        snprintf(buf, buflen, "accept");
    else
        snprintf(buf, buflen, "%s %s", reply->code, reply->dsn);
}

bool
policy_set_protected(struct policy *policy, const char *const *domains,
                     size_t count, char *err, size_t errlen)
{
    if (count > POLICY_MAX_PROTECTED) {
        snprintf(err, errlen,
                 "too many protected domains: %zu given, at most %d", count,
                 POLICY_MAX_PROTECTED);
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        char *name = policy->protected_domains[i];
        size_t len = strlen(domains[i]);

        if (len > 0 && domains[i][len - 1] == '.')
            len--;
        if (len == 0 || len >= POLICY_DOMAIN_MAX) {
            snprintf(err, errlen,
                     "invalid protected domain \"%s\": expected a domain "
                     "name of 1 to 253 characters",
                     domains[i]);
            return false;
        }
        for (size_t j = 0; j < len; j++) {
            unsigned char c = (unsigned char)domains[i][j];

            if (!isalnum(c) && c != '-' && c != '.') {
                snprintf(err, errlen,
                         "invalid protected domain \"%s\": use the ASCII "
                         "(A-label) form of the name",
                         domains[i]);
                return false;
            }
            name[j] = (char)tolower(c);
        }
        name[len] = '\0';
    }
    policy->protected_count = count;
    return true;
}

bool
policy_is_protected(const struct policy *policy, const char *domain)
{
    for (size_t i = 0; i < policy->protected_count; i++)
        if (strcasecmp(policy->protected_domains[i], domain) == 0)
            return true;
    return false;
}

bool
policy_verdict_is_negative(enum route_verdict verdict)
{
    return verdict == ROUTE_NULL_MX || verdict == ROUTE_NO_DOMAIN ||
           verdict == ROUTE_NO_MAIL_HOSTS;
}

/*
 * The invariant, decided from the input alone and not from the path the
 * table took: may this verdict be answered with a 5xx at all?
 */
static bool
policy_permanent_allowed(const struct policy *policy,
                         const struct policy_input *input)
{
    const struct route_result *result = input->result;

    if (result->verdict == ROUTE_INVALID)
        return true;
    if (!policy_verdict_is_negative(result->verdict))
        return false;
    return result->server != NULL && input->health == HEALTH_HEALTHY &&
           input->trusted_for_negatives && !input->lying && input->confirmed &&
           !policy_is_protected(policy, result->domain);
}

/* The server named in a temporary-failure text: the one that answered,
 * or else the one the last step went to. */
static const char *
policy_blamed_server(const struct route_result *result)
{
    if (result->server != NULL)
        return result->server;
    if (result->step_count > 0)
        return result->steps[result->step_count - 1].server;
    return NULL;
}

/* Return the plain-words cause of a temp_error. *server_fault is set when
 * the words describe the resolver ("resolver X timed out"). */
static const char *
policy_cause_words(const char *reason, bool *server_fault)
{
    static const struct {
        const char *reason;
        const char *words;
        bool server_fault;
    } causes[] = {
        {"timeout", "timed out", true},
        {"servfail", "returned SERVFAIL", true},
        {"refused", "refused the query", true},
        {"formerr", "returned FORMERR", true},
        {"notimp", "returned NOTIMP", true},
        {"malformed", "sent a malformed reply", true},
        {"truncated", "sent only truncated replies", true},
        {"network", "could not be reached", true},
        {"connection_refused", "refused the connection", true},
        {"port_unreachable",
         "is not listening on its DNS port (ICMP port unreachable)", true},
        {"connection_closed", "closed the connection without a reply", true},
        {"badvers", "returned BADVERS", true},
        {"mismatch", "sent replies that did not match the query", true},
        {"no_server", "no resolver is configured", false},
        {"deadline", "did not answer in time", true},
        {"nxdomain_contradicted",
         "returned NXDOMAIN and NOERROR for the same name", true},
        {"exchange_lookup_failed",
         "could not resolve the domain's mail exchangers", true},
        {"cname_loop", "the domain's CNAME records form a loop", false},
        {"cname_chain", "the domain's CNAME chain is too long", false},
        {"inflight_limit", "too many DNS lookups are in flight", false},
        {"nomem", "the filter ran out of memory", false},
        {"shutdown", "the filter is shutting down", false},
    };

    for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
        if (reason != NULL && strcmp(reason, causes[i].reason) == 0) {
            *server_fault = causes[i].server_fault;
            return causes[i].words;
        }
    }
    *server_fault = false;
    return "no definitive answer";
}

/* What the negative verdict claims, as words after the domain name. */
static const char *
policy_negative_words(enum route_verdict verdict)
{
    switch (verdict) {
    case ROUTE_NULL_MX:
        return "does not accept mail (null MX)";
    case ROUTE_NO_DOMAIN:
        return "does not exist";
    default:
        return "has no usable mail host";
    }
}

static void
policy_write_text(const struct policy *policy, const struct policy_input *input,
                  struct policy_decision *d)
{
    const struct route_result *result = input->result;
    const char *domain = result->domain;
    const char *server = policy_blamed_server(result);
    char *text = d->text;
    size_t len = sizeof(d->text);

    (void)policy;
    if (d->reply.accept) {
        text[0] = '\0';
        return;
    }
    if (strcmp(d->rule, "invalid") == 0) {
        snprintf(text, len,
                 "Recipient domain is not a valid domain name "
                 "(%s)",
                 result->reason != NULL ? result->reason : "syntax");
    } else if (strcmp(d->rule, "temp_error") == 0) {
        bool server_fault;
        const char *words = policy_cause_words(result->reason, &server_fault);

        if (server_fault && server != NULL)
            snprintf(text, len,
                     "DNS lookup for %s failed: resolver %s %s; try again "
                     "later",
                     domain, server, words);
        else
            snprintf(text, len, "DNS lookup for %s failed: %s; try again later",
                     domain, words);
    } else if (strcmp(d->rule, "trusted") == 0) {
        snprintf(text, len, "Recipient domain %s %s", domain,
                 policy_negative_words(result->verdict));
    } else if (strcmp(d->rule, "protected") == 0) {
        snprintf(text, len,
                 "DNS says %s %s, which is not credible for this domain; "
                 "try again later",
                 domain, policy_negative_words(result->verdict));
    } else if (strcmp(d->rule, "not_confirmed") == 0 &&
               input->confirm_failure != NULL) {
        bool server_fault;
        const char *words =
            policy_cause_words(input->confirm_failure, &server_fault);

        snprintf(text, len,
                 "DNS says %s %s, but the second check got no answer (%s); "
                 "try again later",
                 domain, policy_negative_words(result->verdict), words);
    } else if (strcmp(d->rule, "not_confirmed") == 0) {
        snprintf(text, len,
                 "DNS says %s %s, but a second check did not confirm it; "
                 "try again later",
                 domain, policy_negative_words(result->verdict));
    } else if (strcmp(d->rule, "implicit_mx_lying") == 0) {
        snprintf(text, len,
                 "DNS gives %s only an address record, and resolver %s "
                 "rewrites NXDOMAIN answers; try again later",
                 domain, server != NULL ? server : "(none)");
    } else if (strcmp(d->rule, "invariant") == 0) {
        snprintf(text, len,
                 "Recipient domain %s is deferred: the configured permanent "
                 "failure is not justified by this DNS answer; try again "
                 "later",
                 domain);
    } else if (strcmp(d->rule, "route") == 0) {
        snprintf(text, len, "Recipient domain %s is deferred by local policy",
                 domain);
    } else {
        const char *state = strcmp(d->rule, "lying") == 0
                                ? "not trusted for negative answers"
                            : strcmp(d->rule, "suspect") == 0 ? "suspect"
                                                              : "unhealthy";

        snprintf(text, len,
                 "DNS says %s %s, but resolver %s is %s; try again later",
                 domain, policy_negative_words(result->verdict),
                 server != NULL ? server : "(none)", state);
    }
}

/* Pick the row's reply for a DNS-negative verdict and name the rule. */
static struct policy_reply
policy_negative_reply(const struct policy *policy,
                      const struct policy_input *input, const char **rule)
{
    const struct route_result *result = input->result;
    const struct policy_row *row = &policy->rows[result->verdict];

    if (policy_is_protected(policy, result->domain))
        *rule = "protected";
    else if (result->server == NULL || input->health == HEALTH_UNHEALTHY)
        *rule = "unhealthy";
    else if (input->health == HEALTH_SUSPECT)
        *rule = "suspect";
    else if (input->lying || !input->trusted_for_negatives)
        *rule = "lying";
    else if (!input->confirmed)
        *rule = "not_confirmed";
    else {
        *rule = "trusted";
        return row->trusted;
    }
    return row->untrusted;
}

static enum policy_action
policy_action_of(const struct policy_reply *reply)
{
    if (reply->accept)
        return POLICY_ACCEPT;
    return reply->code[0] == '5' ? POLICY_REJECT : POLICY_TEMPFAIL;
}

void
policy_decide(const struct policy *policy, const struct policy_input *input,
              struct policy_decision *decision)
{
    const struct route_result *result = input->result;
    enum route_verdict verdict = result->verdict;
    const struct policy_row *row;

    memset(decision, 0, sizeof(*decision));
    if ((unsigned)verdict >= ROUTE_VERDICT_COUNT)
        verdict = ROUTE_TEMP_ERROR;
    row = &policy->rows[verdict];

    /* Step 1: the table row. */
    if (verdict == ROUTE_INVALID) {
        decision->rule = "invalid";
        decision->reply = row->trusted;
    } else if (policy_verdict_is_negative(verdict)) {
        decision->reply = policy_negative_reply(policy, input, &decision->rule);
    } else if (verdict == ROUTE_TEMP_ERROR) {
        decision->rule = "temp_error";
        decision->reply = row->untrusted;
    } else if (verdict == ROUTE_IMPLICIT_MX && input->lying) {
        /* The address may be synthesized by a resolver that rewrites
         * NXDOMAIN, so the route itself is in doubt. */
        decision->rule = "implicit_mx_lying";
        decision->reply = row->untrusted;
    } else {
        decision->rule = "route";
        decision->reply = row->trusted;
    }

    /* Step 2: the invariant. No configuration or table path can send a
     * 5xx that policy_permanent_allowed does not permit. */
    if (!decision->reply.accept && decision->reply.code[0] == '5' &&
        !policy_permanent_allowed(policy, input)) {
        decision->reply = policy->tempfail;
        if (strcmp(decision->rule, "trusted") == 0 ||
            strcmp(decision->rule, "route") == 0)
            decision->rule = "invariant";
    }

    /* Step 3: the words, then monitor mode. */
    policy_write_text(policy, input, decision);
    decision->would = policy_action_of(&decision->reply);
    decision->action = policy->monitor ? POLICY_ACCEPT : decision->would;
}

const char *
policy_action_name(enum policy_action action)
{
    switch (action) {
    case POLICY_ACCEPT:
        return "accept";
    case POLICY_TEMPFAIL:
        return "tempfail";
    case POLICY_REJECT:
        return "reject";
    }
    return "unknown";
}

bool
policy_escape_percent(const char *text, char *buf, size_t buflen)
{
    size_t out = 0;

    if (buflen == 0)
        return false;
    for (const char *p = text; *p != '\0'; p++) {
        size_t need = *p == '%' ? 2 : 1;

        if (out + need >= buflen) {
            buf[out] = '\0';
            return false;
        }
        buf[out++] = *p;
        if (*p == '%')
            buf[out++] = '%';
    }
    buf[out] = '\0';
    return true;
}
