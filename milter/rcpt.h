/*
 * rcpt.h - the rules that decide whether and how a recipient is checked:
 * the domain of an envelope recipient, the skip rules for recipients
 * that DNS does not route, and the detection of non-SMTP mail.
 *
 * Every function is pure (no I/O, no logging, no locks) and may be
 * called from any thread.
 */
#ifndef MXW_RCPT_H
#define MXW_RCPT_H

#include <stdbool.h>
#include <stddef.h>

/* Ways to recognize non-SMTP mail (Postfix non_smtpd_milters: the
 * sendmail command and pickup). */
enum rcpt_non_smtpd_mode {
    /* A recipient without the {rcpt_mailer} macro and without angle
     * brackets: Postfix's cleanup server sends non-SMTP recipients that
     * way (checked with Postfix 3.7), while smtpd and Sendmail send
     * <address> and {rcpt_mailer}. */
    RCPT_NON_SMTPD_AUTO = 0,
    RCPT_NON_SMTPD_ALWAYS, /* a socket used only by non_smtpd_milters */
    RCPT_NON_SMTPD_NEVER,  /* a socket used only by smtpd_milters */
};

/* Skip rules and the non-SMTP mode, built from the configuration. The
 * string arrays are borrowed and must outlive the rules. */
struct rcpt_rules {
    char *const *skip_mailers; /* {rcpt_mailer} values not decided */
    size_t skip_mailer_count;
    char *const *relay_hosts; /* {rcpt_host} values not decided */
    size_t relay_host_count;
    enum rcpt_non_smtpd_mode non_smtpd;
};

/* Maximum length of the domain rcpt_domain_from_arg returns, with its
 * NUL. Longer domains are cut, and the resolver then finds them
 * invalid. */
#define RCPT_DOMAIN_MAX 512

/*
 * Find the domain of an envelope recipient as libmilter passes it:
 * "<user@example.org>", "user@example.org", a source route
 * "<@relay.example:user@example.org>", or a quoted local part that
 * contains '@' ("\"a@b\"@example.org"). Writes the domain into domain
 * and whether the address was in angle brackets into *bracketed.
 * Returns false when there is no domain (RCPT TO:<postmaster>, an empty
 * or malformed address): such recipients are left to the MTA.
 */
bool rcpt_domain_from_arg(const char *arg, char *domain, size_t domainlen,
                          bool *bracketed);

/*
 * Return why a recipient is not decided: "mailer" when mailer (the
 * {rcpt_mailer} macro) is in rules->skip_mailers, "relay_host" when host
 * (the {rcpt_host} macro) matches rules->relay_hosts, NULL when it is
 * decided. Either macro may be NULL. Names compare without regard to
 * case. A relay host item matches when it equals the macro, or when
 * both host parts, without brackets and port, are equal: "10.0.0.1",
 * "[10.0.0.1]" and "[10.0.0.1]:25" all match "[10.0.0.1]:25".
 */
const char *rcpt_skip_reason(const struct rcpt_rules *rules, const char *mailer,
                             const char *host);

/*
 * True when the recipient belongs to non-SMTP mail: per rules->non_smtpd,
 * and in auto mode when mailer is NULL and bracketed is false.
 */
bool rcpt_is_non_smtpd(const struct rcpt_rules *rules, const char *mailer,
                       bool bracketed);

#endif /* MXW_RCPT_H */
