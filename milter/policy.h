/*
 * policy.h - map a route verdict and the answering resolver's health to an
 * SMTP action: accept, tempfail or reject.
 *
 * Every front end (milter, policy service, delivery-status socketmap) and
 * mxwarden-probe decide through policy_decide, so the invariant below is
 * enforced in one place:
 *
 *   A 5xx is sent for a DNS-negative verdict (null_mx, no_domain,
 *   no_mail_hosts) only when the server that answered is healthy and
 *   trusted for negative answers, the negative answer was confirmed (by a
 *   second server or a repeat over TCP), and the domain is not protected.
 *   temp_error and the positive verdicts never get a 5xx. Only invalid,
 *   which no resolver decides, is rejected without those conditions.
 *
 * The module is pure: no I/O, no logging, no locks. A struct policy is
 * read-only after policy_init and may be shared by any number of threads.
 */
#ifndef MXW_POLICY_H
#define MXW_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "health.h"
#include "route.h"

enum policy_action {
    POLICY_ACCEPT = 0,
    POLICY_TEMPFAIL,
    POLICY_REJECT,
};

/* An SMTP reply code and its RFC 3463 enhanced status code, or accept. */
struct policy_reply {
    bool accept;
    char code[4]; /* "451", "550", "556" */
    char dsn[16]; /* "4.4.3", "5.1.2", "5.1.10" */
};

/* One row of the decision table: the reply when the negative answer is
 * trusted (healthy server, confirmed), and the reply otherwise. */
struct policy_row {
    struct policy_reply trusted;
    struct policy_reply untrusted;
};

#define POLICY_MAX_PROTECTED 64
#define POLICY_DOMAIN_MAX 254

struct policy {
    bool monitor; /* accept everything, report what enforce would do */
    struct policy_row rows[ROUTE_VERDICT_COUNT];
    /* The reply used whenever the invariant turns a 5xx into a
     * temporary failure; 451 4.4.3 by default. */
    struct policy_reply tempfail;
    size_t protected_count;
    char protected_domains[POLICY_MAX_PROTECTED][POLICY_DOMAIN_MAX];
};

/* Facts about one recipient domain that the policy decides on. */
struct policy_input {
    const struct route_result *result;
    /* State of result->server; ignored when result->server is NULL. */
    enum health_state health;
    bool trusted_for_negatives;
    bool lying;
    /* A second server, or the same server over TCP, returned the same
     * negative verdict. */
    bool confirmed;
    /* Reason of the repeat's temp_error when the second check got no
     * answer (timed out, turned away for load), else NULL. */
    const char *confirm_failure;
};

struct policy_decision {
    enum policy_action action; /* what the front end does */
    enum policy_action would;  /* what enforce mode does; equals action
                                  unless monitor mode accepted instead */
    struct policy_reply reply; /* the reply of `would` (accept: none) */
    /* Static word naming the rule that decided: "route", "trusted",
     * "unhealthy", "suspect", "lying", "not_confirmed", "protected",
     * "temp_error", "invalid", "implicit_mx_lying", "invariant" (a
     * configured 5xx that the invariant turned into a tempfail). */
    const char *rule;
    char text[400]; /* reply text, plain (no % escaping); "" on accept */
};

/* Fill policy with the defaults. The table accepts routes, answers
 * 556 5.1.10 for null MX, 550 5.1.2 for no domain, 550 5.4.4 for no mail
 * hosts, 550 5.1.3 for invalid, and 451 4.4.3 otherwise. The protected
 * domains are the default list, and the mode is enforce. */
void policy_init(struct policy *policy);

/*
 * Parse "accept" or "CODE DSN" (for example "451 4.4.3") into reply.
 * The code must be 4xx or 5xx, the DSN class must match its first digit,
 * and the DSN must be a valid RFC 3463 status code. Returns false with a
 * message in err otherwise.
 */
bool policy_reply_parse(const char *text, struct policy_reply *reply, char *err,
                        size_t errlen);

/* Format reply as "CODE DSN" or "accept" into buf. */
void policy_reply_format(const struct policy_reply *reply, char *buf,
                         size_t buflen);

/* Replace the protected domain list; names are lowercased and a trailing
 * dot removed. Returns false when a name is invalid or the list is too
 * long, with a message in err. */
bool policy_set_protected(struct policy *policy, const char *const *domains,
                          size_t count, char *err, size_t errlen);

/* True when domain (normalized) is on the protected list. */
bool policy_is_protected(const struct policy *policy, const char *domain);

/* True for verdicts that say the domain cannot take mail. */
bool policy_verdict_is_negative(enum route_verdict verdict);

/* Decide one recipient domain. Thread-safe for a shared policy. */
void policy_decide(const struct policy *policy,
                   const struct policy_input *input,
                   struct policy_decision *decision);

const char *policy_action_name(enum policy_action action);

/* Copy text into buf with every % doubled, as smfi_setreply requires.
 * Returns false when buf is too small (buf then contains a cut copy). */
bool policy_escape_percent(const char *text, char *buf, size_t buflen);

#endif /* MXW_POLICY_H */
