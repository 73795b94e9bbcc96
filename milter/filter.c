/*
 * filter.c - the libmilter callbacks: one decision per recipient domain
 * at RCPT TO, the diagnostic headers or a whole-message deferral at end
 * of message.
 *
 * Callbacks and what they do:
 *   negotiate  create the connection context (session.h) and choose the
 *            protocol steps: headers are read, without a reply each, only
 *            when incoming copies of the diagnostic header are removed
 *   envfrom  start a message: take the current configuration and decider
 *   envrcpt  skip rules, then decide the domain within rcpt_deadline_ms
 *            and reply: continue, or the policy's 4xx/5xx reply for this
 *            recipient only. Non-SMTP mail gets no reply per recipient.
 *   header   count the headers that carry the diagnostic header's name
 *   eom      non-SMTP mail with a recipient that cannot be accepted is
 *            deferred whole; otherwise remove the counted headers and
 *            add one header per domain accepted
 *   abort    end the message (RSET, or the client went away)
 *   close    free the connection context
 * Connect, HELO, end of headers, body and unknown commands are
 * negotiated away because their callbacks are NULL. Each would cost a
 * round trip per session or message and carries nothing the decision
 * needs.
 */
#include "config.h"

#include "filter.h"

#include <errno.h>
#include <libmilter/mfapi.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "decide.h"
#include "log.h"
#include "rcpt.h"
#include "session.h"

/* The reply when a context cannot be allocated (RFC 3463: 4.3.0, other
 * mail system status). */
#define FILTER_NOMEM_CODE "451"
#define FILTER_NOMEM_DSN "4.3.0"
#define FILTER_NOMEM_TEXT "mxwarden: out of memory, try again later"

/* Maximum incoming copies of the diagnostic header removed from one
 * message: Postfix 3.7 fails a message after 10,000 adjacent removals
 * ("too many reverse jump records"). More defer the message (4.7.0). */
#define FILTER_REMOVE_MAX 500
#define FILTER_FORGED_CODE "451"
#define FILTER_FORGED_DSN "4.7.0"

/* Longest reply text handed to smfi_setreply, after % doubling. */
#define FILTER_REPLY_MAX 1024

static uint64_t
filter_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The macro name, or NULL when the MTA did not send it or sent "". */
static const char *
filter_macro(SMFICTX *ctx, const char *name)
{
    const char *value = smfi_getsymval(ctx, (char *)name);

    return value != NULL && value[0] != '\0' ? value : NULL;
}

static void
filter_rules_from(const struct mxw_config *cfg, struct rcpt_rules *rules)
{
    memset(rules, 0, sizeof(*rules));
    rules->skip_mailers = cfg->skip_mailers.items;
    rules->skip_mailer_count = cfg->skip_mailers.count;
    rules->relay_hosts = cfg->relay_hosts.items;
    rules->relay_host_count = cfg->relay_hosts.count;
    switch (cfg->non_smtpd) {
    case MXW_NON_SMTPD_ALWAYS:
        rules->non_smtpd = RCPT_NON_SMTPD_ALWAYS;
        break;
    case MXW_NON_SMTPD_NEVER:
        rules->non_smtpd = RCPT_NON_SMTPD_NEVER;
        break;
    default:
        rules->non_smtpd = RCPT_NON_SMTPD_AUTO;
        break;
    }
}

/*
 * Hand code, dsn and text to libmilter: text is made printable and every
 * % doubled, as smfi_setreply requires. A failure is logged; the MTA
 * then sends its generic reply for the same status.
 */
static void
filter_set_reply(SMFICTX *ctx, const char *code, const char *dsn,
                 const char *text)
{
    char plain[SESSION_REPLY_TEXT_MAX];
    char escaped[FILTER_REPLY_MAX];

    session_copy_printable(plain, sizeof(plain), text);
    policy_escape_percent(plain, escaped, sizeof(escaped));
    if (smfi_setreply(ctx, (char *)code, (char *)dsn, escaped) != MI_SUCCESS)
        log_warning("smfi_setreply %s %s failed; the MTA sends its own "
                    "text",
                    code, dsn);
}

static sfsistat
filter_nomem(SMFICTX *ctx, const char *where)
{
    log_error("out of memory at %s; replying %s %s", where, FILTER_NOMEM_CODE,
              FILTER_NOMEM_DSN);
    filter_set_reply(ctx, FILTER_NOMEM_CODE, FILTER_NOMEM_DSN,
                     FILTER_NOMEM_TEXT);
    return SMFIS_TEMPFAIL;
}

/* The connection context, created at the first call on a connection. */
static struct session_conn *
filter_conn(SMFICTX *ctx)
{
    struct session_conn *conn = smfi_getpriv(ctx);

    if (conn == NULL) {
        conn = session_conn_new();
        if (conn != NULL && smfi_setpriv(ctx, conn) != MI_SUCCESS) {
            session_conn_free(conn);
            conn = NULL;
        }
    }
    return conn;
}

/*
 * Choose the actions and protocol steps of a new MTA connection. Headers
 * are read only when incoming copies of the diagnostic header are to be
 * removed, and without a reply each (SMFIP_NR_HDR, emulated by libmilter
 * for an MTA without it).
 */
static sfsistat
filter_negotiate(SMFICTX *ctx, unsigned long actions, unsigned long steps,
                 unsigned long steps2, unsigned long steps3,
                 unsigned long *want_actions, unsigned long *want_steps,
                 unsigned long *want_steps2, unsigned long *want_steps3)
{
    /* Warned once per process, because every connection would repeat it. */
    static atomic_bool warned;
    struct session_conn *conn = filter_conn(ctx);
    struct session_runtime *runtime = session_runtime_acquire();
    bool remove = conn != NULL && runtime != NULL &&
                  runtime->cfg.header_remove_incoming;

    (void)steps2;
    (void)steps3;
    *want_actions = SMFIF_ADDHDRS;
    *want_steps2 = 0;
    *want_steps3 = 0;
    if (remove && (actions & SMFIF_CHGHDRS) != 0) {
        *want_actions |= SMFIF_CHGHDRS;
        *want_steps |= steps & SMFIP_NR_HDR;
        conn->header_noreply = (steps & SMFIP_NR_HDR) != 0;
    } else {
        if (remove && !atomic_exchange(&warned, true))
            log_warning("the MTA does not offer header changes, so incoming "
                        "headers named %s are kept",
                        runtime->cfg.header_name);
        *want_steps |= steps & SMFIP_NOHDRS;
    }
    session_runtime_release(runtime);
    return SMFIS_CONTINUE;
}

static sfsistat
filter_envfrom(SMFICTX *ctx, char **argv)
{
    struct session_conn *conn = filter_conn(ctx);
    struct session_runtime *runtime;
    struct session_msg *msg;

    (void)argv;
    if (conn == NULL)
        return filter_nomem(ctx, "MAIL FROM");
    runtime = session_runtime_acquire();
    if (runtime == NULL) {
        /* Only possible while the daemon shuts down. */
        filter_set_reply(ctx, "451", "4.3.2",
                         "mxwarden: shutting down, try again later");
        return SMFIS_TEMPFAIL;
    }
    msg = session_msg_begin(conn, runtime);
    session_runtime_release(runtime);
    if (msg == NULL && errno == ESHUTDOWN) {
        filter_set_reply(ctx, "451", "4.3.2",
                         "mxwarden: shutting down, try again later");
        return SMFIS_TEMPFAIL;
    }
    if (msg == NULL)
        return filter_nomem(ctx, "MAIL FROM");
    return SMFIS_CONTINUE;
}

/* Write the decision line: queue id first, then the recipient, then the
 * decision fields in their fixed order. */
static void
filter_log_decision(SMFICTX *ctx, const char *rcpt,
                    const struct decision *decision, bool non_smtpd,
                    uint64_t elapsed_ms)
{
    struct log_line line;

    log_line_init(&line, filter_macro(ctx, "i"));
    log_line_add_addr(&line, "to", rcpt);
    decision_log_fields(decision, &line);
    log_line_add_int(&line, "elapsed_ms", (long long)elapsed_ms);
    if (non_smtpd)
        log_line_add(&line, "submission", "non_smtpd");
    if (decision->policy.action == POLICY_ACCEPT)
        log_info("%s", log_line_text(&line));
    else
        log_notice("%s", log_line_text(&line));
}

static void
filter_log_skip(SMFICTX *ctx, const char *rcpt, const char *why,
                const char *mailer, const char *host)
{
    struct log_line line;

    if (!log_enabled(MXW_LOG_DEBUG))
        return;
    log_line_init(&line, filter_macro(ctx, "i"));
    log_line_add_addr(&line, "to", rcpt);
    log_line_add(&line, "skip", why);
    log_line_add(&line, "mailer", mailer != NULL ? mailer : "none");
    log_line_add(&line, "host", host != NULL ? host : "none");
    log_debug("%s", log_line_text(&line));
}

/* Remember an accepted domain's header value for end of message. */
static void
filter_remember_header(struct session_msg *msg, const struct decision *decision)
{
    char value[HEADER_VALUE_MAX];
    size_t len;

    if (!msg->runtime->cfg.header_enabled || decision->result == NULL)
        return;
    decision_header_value(decision, value, sizeof(value));
    len = strlen(value);
    /* Mark a domain that monitor mode accepted and enforce would not. */
    if (decision->policy.would != decision->policy.action &&
        len + 16 < sizeof(value))
        snprintf(value + len, sizeof(value) - len, " mode=monitor");
    header_set_add(&msg->headers, decision->result->domain,
                   decision->result->verdict, value);
}

/*
 * Remember a recipient of non-SMTP mail that cannot be accepted. Postfix
 * treats a per-recipient reply there as a configuration error, so the
 * whole message is deferred at end of message instead, with the policy's
 * tempfail reply when the decision was a reject.
 */
static void
filter_defer_non_smtpd(struct session_msg *msg, const char *rcpt,
                       const struct decision *decision)
{
    const struct policy_decision *policy = &decision->policy;
    const struct policy_reply *reply = &policy->reply;
    /* Room for both parts; session_msg_defer cuts the result. */
    char text[SESSION_RCPT_TEXT_MAX + sizeof(policy->text) + 128];
    char bare[SESSION_RCPT_TEXT_MAX];

    session_copy_printable(bare, sizeof(bare), rcpt);
    if (policy->action == POLICY_REJECT) {
        reply = &decider_policy(msg->runtime->decider)->tempfail;
        snprintf(text, sizeof(text),
                 "mxwarden: message deferred because recipient %s would "
                 "be rejected with %s %s: %s",
                 bare, policy->reply.code, policy->reply.dsn, policy->text);
    } else {
        snprintf(text, sizeof(text),
                 "mxwarden: message deferred because of recipient %s: %s", bare,
                 policy->text);
    }
    session_msg_defer(msg, rcpt, reply->code, reply->dsn, text);
}

static sfsistat
filter_envrcpt(SMFICTX *ctx, char **argv)
{
    struct session_conn *conn = filter_conn(ctx);
    struct session_msg *msg = conn != NULL ? conn->msg : NULL;
    const char *rcpt = argv != NULL ? argv[0] : NULL;
    const char *mailer = filter_macro(ctx, "{rcpt_mailer}");
    const char *host = filter_macro(ctx, "{rcpt_host}");
    char domain[RCPT_DOMAIN_MAX];
    struct rcpt_rules rules;
    struct decision decision;
    const char *skip;
    bool bracketed;
    bool non_smtpd;
    uint64_t start_ms;
    sfsistat status = SMFIS_CONTINUE;

    if (conn == NULL)
        return filter_nomem(ctx, "RCPT TO");
    if (msg == NULL) {
        /* libmilter passes RCPT only after MAIL FROM, so this is an MTA
         * that skipped MAIL: leave the recipient to it. */
        log_warning("RCPT TO without MAIL FROM; recipient not checked");
        return SMFIS_CONTINUE;
    }
    if (rcpt == NULL)
        return SMFIS_CONTINUE;

    /* Step 1: recipients that DNS does not route are the MTA's. */
    filter_rules_from(&msg->runtime->cfg, &rules);
    if (!rcpt_domain_from_arg(rcpt, domain, sizeof(domain), &bracketed)) {
        filter_log_skip(ctx, rcpt, "no_domain", mailer, host);
        msg->rcpt_skipped++;
        return SMFIS_CONTINUE;
    }
    skip = rcpt_skip_reason(&rules, mailer, host);
    if (skip != NULL) {
        filter_log_skip(ctx, rcpt, skip, mailer, host);
        msg->rcpt_skipped++;
        return SMFIS_CONTINUE;
    }
    non_smtpd = rcpt_is_non_smtpd(&rules, mailer, bracketed);
    if (non_smtpd)
        msg->non_smtpd = true;

    /* Step 2: decide within the RCPT deadline. The decider returns
     * temp_error when the deadline passes and lets the lookup finish in
     * the background, so this wait is bounded. */
    start_ms = filter_now_ms();
    decider_decide(msg->runtime->decider, domain,
                   (unsigned)msg->runtime->cfg.rcpt_deadline_ms, &decision);
    msg->rcpt_decided++;
    filter_log_decision(ctx, rcpt, &decision, non_smtpd,
                        filter_now_ms() - start_ms);

    /* Step 3: reply for this recipient, or remember it for end of
     * message. */
    if (decision.policy.action == POLICY_ACCEPT) {
        filter_remember_header(msg, &decision);
    } else if (non_smtpd) {
        filter_defer_non_smtpd(msg, rcpt, &decision);
    } else {
        filter_set_reply(ctx, decision.policy.reply.code,
                         decision.policy.reply.dsn, decision.policy.text);
        status = decision.policy.action == POLICY_REJECT ? SMFIS_REJECT
                                                         : SMFIS_TEMPFAIL;
    }
    decision_release(&decision);
    return status;
}

/* Count the incoming headers that carry the diagnostic header's name,
 * in any letter case as RFC 5322 field names compare. */
static sfsistat
filter_header(SMFICTX *ctx, char *name, char *value)
{
    struct session_conn *conn = smfi_getpriv(ctx);
    struct session_msg *msg = conn != NULL ? conn->msg : NULL;

    (void)value;
    if (msg != NULL && msg->runtime != NULL && name != NULL &&
        strcasecmp(name, msg->runtime->cfg.header_name) == 0 &&
        msg->incoming_headers < INT_MAX)
        msg->incoming_headers++;
    return conn != NULL && conn->header_noreply ? SMFIS_NOREPLY
                                                : SMFIS_CONTINUE;
}

/*
 * Remove the incoming headers that filter_header counted, from the last
 * to the first, so each index still names the copy it named on arrival.
 * At most FILTER_REMOVE_MAX are removed. Logs one line per message that
 * had any. Returns false when the message carries more than that, and
 * then, in enforce mode, removes nothing: the caller defers the message.
 */
static bool
filter_remove_incoming(SMFICTX *ctx, const struct session_msg *msg,
                       const char *queue_id)
{
    const char *name = msg->runtime->cfg.header_name;
    bool monitor = msg->runtime->cfg.mode == MXW_MODE_MONITOR;
    bool over = msg->incoming_headers > FILTER_REMOVE_MAX;
    int removed = 0;
    struct log_line line;

    if (msg->incoming_headers == 0 || !msg->runtime->cfg.header_remove_incoming)
        return true;
    if (!over || monitor) {
        int first = over ? FILTER_REMOVE_MAX : msg->incoming_headers;

        for (int index = first; index > 0; index--) {
            if (smfi_chgheader(ctx, (char *)name, index, NULL) != MI_SUCCESS) {
                log_warning("%s: smfi_chgheader %s index %d failed, so %d "
                            "incoming copies are kept",
                            queue_id != NULL ? queue_id : "NOQUEUE", name,
                            index, index);
                break;
            }
            removed++;
        }
    }
    log_line_init(&line, queue_id);
    log_line_add(&line, "header", name);
    log_line_add_int(&line, "incoming_removed", removed);
    log_line_add_int(&line, "incoming", msg->incoming_headers);
    if (over) {
        log_line_add_int(&line, "limit", FILTER_REMOVE_MAX);
        log_line_add(&line, "action", monitor ? "accept" : "defer_message");
        if (monitor)
            log_line_add(&line, "would", "defer_message");
    }
    log_notice("%s", log_line_text(&line));
    return !over || monitor;
}

struct filter_header_ctx {
    SMFICTX *ctx;
    const char *name;
    const char *queue_id;
};

static bool
filter_add_header(void *arg, const char *value)
{
    struct filter_header_ctx *hc = arg;

    if (smfi_addheader(hc->ctx, (char *)hc->name, (char *)value) !=
        MI_SUCCESS) {
        log_warning("%s: smfi_addheader %s failed",
                    hc->queue_id != NULL ? hc->queue_id : "NOQUEUE", hc->name);
        return false;
    }
    return true;
}

static sfsistat
filter_eom(SMFICTX *ctx)
{
    struct session_conn *conn = smfi_getpriv(ctx);
    struct session_msg *msg = conn != NULL ? conn->msg : NULL;
    const char *queue_id = filter_macro(ctx, "i");
    sfsistat status = SMFIS_CONTINUE;

    if (msg == NULL)
        return SMFIS_CONTINUE;

    if (msg->deferral.pending) {
        struct session_deferral *deferral = &msg->deferral;
        struct log_line line;

        log_line_init(&line, queue_id);
        log_line_add_addr(&line, "to", deferral->rcpt);
        log_line_add(&line, "action", "defer_message");
        log_line_add_int(&line, "other_recipients_deferred",
                         (long long)deferral->more);
        log_line_addf(&line, "reply", "%s %s %s", deferral->code, deferral->dsn,
                      deferral->text);
        log_notice("%s", log_line_text(&line));
        filter_set_reply(ctx, deferral->code, deferral->dsn, deferral->text);
        status = SMFIS_TEMPFAIL;
    } else {
        struct filter_header_ctx hc = {
            .ctx = ctx,
            .name = msg->runtime->cfg.header_name,
            .queue_id = queue_id,
        };

        if (!filter_remove_incoming(ctx, msg, queue_id)) {
            char text[SESSION_REPLY_TEXT_MAX];

            snprintf(text, sizeof(text),
                     "mxwarden: message carries %d %s headers, more than "
                     "the %d it removes",
                     msg->incoming_headers, hc.name, FILTER_REMOVE_MAX);
            filter_set_reply(ctx, FILTER_FORGED_CODE, FILTER_FORGED_DSN,
                             text);
            status = SMFIS_TEMPFAIL;
        } else if (msg->runtime->cfg.header_enabled) {
            header_set_emit(&msg->headers, filter_add_header, &hc);
        }
    }
    session_msg_end(conn);
    return status;
}

static sfsistat
filter_abort(SMFICTX *ctx)
{
    struct session_conn *conn = smfi_getpriv(ctx);

    if (conn != NULL)
        session_msg_end(conn);
    return SMFIS_CONTINUE;
}

static sfsistat
filter_close(SMFICTX *ctx)
{
    struct session_conn *conn = smfi_getpriv(ctx);

    if (conn != NULL) {
        smfi_setpriv(ctx, NULL);
        session_conn_free(conn);
    }
    return SMFIS_CONTINUE;
}

int
filter_register(const char *name)
{
    struct smfiDesc desc = {
        .xxfi_name = (char *)name,
        .xxfi_version = SMFI_VERSION,
        .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
        .xxfi_envfrom = filter_envfrom,
        .xxfi_envrcpt = filter_envrcpt,
        .xxfi_header = filter_header,
        .xxfi_eom = filter_eom,
        .xxfi_abort = filter_abort,
        .xxfi_close = filter_close,
        .xxfi_negotiate = filter_negotiate,
    };

    return smfi_register(desc) == MI_SUCCESS ? 0 : -1;
}
