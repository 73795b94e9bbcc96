/*
 * policyd.c - the Postfix policy service front end.
 */
#include "config.h"

#include "policyd.h"

#include <stdio.h>
#include <string.h>

#include "listener.h"
#include "log.h"

/* Copy value into a fixed field, cutting what does not fit. */
static void
policyd_copy(char *field, size_t fieldlen, const char *value, size_t len)
{
    if (len >= fieldlen)
        len = fieldlen - 1;
    memcpy(field, value, len);
    field[len] = '\0';
}

static bool
policyd_name_is(const char *name, size_t len, const char *expected)
{
    return len == strlen(expected) && memcmp(name, expected, len) == 0;
}

bool
policyd_parse_line(const char *line, size_t len, struct policyd_request *req)
{
    const char *eq = memchr(line, '=', len);
    size_t name_len, value_len;
    const char *value;

    if (eq == NULL || eq == line)
        return false;
    name_len = (size_t)(eq - line);
    value = eq + 1;
    value_len = len - name_len - 1;
    req->attributes++;

    if (policyd_name_is(line, name_len, "request"))
        policyd_copy(req->request, sizeof(req->request), value, value_len);
    else if (policyd_name_is(line, name_len, "protocol_state"))
        policyd_copy(req->protocol_state, sizeof(req->protocol_state), value,
                     value_len);
    else if (policyd_name_is(line, name_len, "recipient"))
        policyd_copy(req->recipient, sizeof(req->recipient), value, value_len);
    else if (policyd_name_is(line, name_len, "queue_id"))
        policyd_copy(req->queue_id, sizeof(req->queue_id), value, value_len);
    else if (policyd_name_is(line, name_len, "client_address"))
        policyd_copy(req->client_address, sizeof(req->client_address), value,
                     value_len);
    return true;
}

bool
policyd_recipient_domain(const char *recipient, char *domain, size_t domainlen)
{
    const char *at = strrchr(recipient, '@');
    size_t len;

    if (at == NULL || at[1] == '\0')
        return false;
    len = strlen(at + 1);
    if (at[1 + len - 1] == '>')
        len--;
    if (len == 0 || len >= domainlen)
        return false;
    memcpy(domain, at + 1, len);
    domain[len] = '\0';
    return true;
}

bool
policyd_format_action(const struct decision *d, const char *header_name,
                      char *buf, size_t buflen)
{
    int n;

    if (d->policy.action == POLICY_ACCEPT) {
        char value[600];

        /* Mark a domain that monitor mode accepted and enforce would
         * not, as the milter's header does. */
        const char *mode =
            d->policy.would != d->policy.action ? " mode=monitor" : "";

        if (header_name == NULL ||
            !decision_header_value(d, value, sizeof(value)))
            n = snprintf(buf, buflen, "action=DUNNO\n\n");
        else
            n = snprintf(buf, buflen, "action=PREPEND %s: %s%s\n\n",
                         header_name, value, mode);
    } else {
        n = snprintf(buf, buflen, "action=%s %s %s\n\n", d->policy.reply.code,
                     d->policy.reply.dsn, d->policy.text);
    }
    return n > 0 && (size_t)n < buflen;
}

/*
 * Read one request. Lines end in LF (a CR before it is dropped); an
 * empty line ends the request.
 */
static enum policyd_read
policyd_read_request(struct listener_reader *reader,
                     struct policyd_request *req)
{
    char line[POLICYD_LINE_MAX + 1];
    size_t len = 0, total = 0;

    memset(req, 0, sizeof(*req));
    for (;;) {
        int c = listener_reader_byte(reader);

        if (c == LISTENER_READ_EOF)
            return total == 0 ? POLICYD_READ_EOF : POLICYD_READ_CUT;
        if (c == LISTENER_READ_TIMEOUT)
            return POLICYD_READ_TIMEOUT;
        if (c < 0)
            return POLICYD_READ_ERROR;
        if (++total > POLICYD_REQUEST_MAX)
            return POLICYD_READ_TOO_LONG;
        if (c == '\0')
            return POLICYD_READ_MALFORMED;
        if (c != '\n') {
            if (len >= POLICYD_LINE_MAX)
                return POLICYD_READ_TOO_LONG;
            line[len++] = (char)c;
            continue;
        }
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (len == 0)
            return req->attributes > 0 ? POLICYD_READ_OK
                                       : POLICYD_READ_MALFORMED;
        line[len] = '\0';
        if (!policyd_parse_line(line, len, req))
            return POLICYD_READ_MALFORMED;
        len = 0;
    }
}

/* Decide one RCPT request and log the decision line. */
static void
policyd_decide(struct policyd_context *ctx, const struct policyd_request *req,
               char *reply, size_t replylen)
{
    void *token;
    struct decider *decider = ctx->source.acquire(ctx->source.arg, &token);
    struct decision d;
    char domain[POLICYD_LINE_MAX];
    struct log_line line;

    if (!policyd_recipient_domain(req->recipient, domain, sizeof(domain))) {
        snprintf(reply, replylen, "action=DUNNO\n\n");
        ctx->source.release(ctx->source.arg, token);
        return;
    }
    decider_decide(decider, domain, decider_rcpt_deadline_ms(decider), &d);
    if (!policyd_format_action(&d, ctx->header_name, reply, replylen))
        snprintf(reply, replylen, "action=DUNNO\n\n");

    log_line_init(&line, req->queue_id[0] != '\0' ? req->queue_id : NULL);
    log_line_add(&line, "front", "policy");
    log_line_add_addr(&line, "rcpt", req->recipient);
    decision_log_fields(&d, &line);
    log_info("%s", log_line_text(&line));

    decision_release(&d);
    ctx->source.release(ctx->source.arg, token);
}

/* Describe why a connection is closed, for the log. */
static const char *
policyd_read_problem(enum policyd_read status)
{
    switch (status) {
    case POLICYD_READ_TOO_LONG:
        return "oversized request (over 4096 bytes a line or 65536 in all)";
    case POLICYD_READ_MALFORMED:
        return "malformed request (a line without '=' or a NUL byte)";
    case POLICYD_READ_TIMEOUT:
        return "no complete request within the idle timeout";
    case POLICYD_READ_CUT:
        return "connection closed in the middle of a request";
    default:
        return "read error";
    }
}

void
policyd_serve(void *arg, int fd)
{
    struct policyd_context *ctx = arg;
    struct listener_reader reader;
    struct policyd_request req;
    char reply[1024];

    listener_reader_init(&reader, fd, ctx->request_timeout_ms);
    for (;;) {
        enum policyd_read status;

        listener_reader_begin(&reader);
        status = policyd_read_request(&reader, &req);
        if (status == POLICYD_READ_EOF)
            return;
        if (status != POLICYD_READ_OK) {
            /* The protocol has no error reply: log, then close, and
             * Postfix applies its default action for this request. */
            log_repeat(ctx->warnings, "policy: %s; closing the connection",
                       policyd_read_problem(status));
            return;
        }
        if (strcmp(req.request, "smtpd_access_policy") != 0 ||
            strcmp(req.protocol_state, "RCPT") != 0)
            snprintf(reply, sizeof(reply), "action=DUNNO\n\n");
        else
            policyd_decide(ctx, &req, reply, sizeof(reply));
        if (!listener_write_all(fd, reply, strlen(reply)))
            return;
    }
}
