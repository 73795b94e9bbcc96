/*
 * socketmap.c - the smtp_delivery_status_filter socketmap.
 */
#include "config.h"

#include "socketmap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listener.h"
#include "log.h"

/* The status texts Postfix 3.7 writes when its own DNS lookup of NAME
 * failed with NXDOMAIN or NODATA (src/smtp, dns_strerror wording). */
static const char socketmap_prefix[] =
    "5.4.4 Host or domain name not found. Name service error for name=";
static const char socketmap_nxdomain[] = "Host not found";
static const char socketmap_nodata[] =
    "Host found but no data record of requested type";

bool
socketmap_parse_status(const char *key, struct socketmap_status *st)
{
    const char *name, *type, *end, *tail;
    size_t name_len, type_len;

    memset(st, 0, sizeof(*st));
    if (strncmp(key, socketmap_prefix, sizeof(socketmap_prefix) - 1) != 0)
        return false;
    name = key + sizeof(socketmap_prefix) - 1;
    type = strstr(name, " type=");
    if (type == NULL)
        return false;
    name_len = (size_t)(type - name);
    type += strlen(" type=");
    end = strstr(type, ": ");
    if (end == NULL)
        return false;
    type_len = (size_t)(end - type);
    tail = end + 2;

    if (strcmp(tail, socketmap_nxdomain) == 0)
        st->nodata = false;
    else if (strcmp(tail, socketmap_nodata) == 0)
        st->nodata = true;
    else
        return false;
    if (!((type_len == 1 && memcmp(type, "A", 1) == 0) ||
          (type_len == 4 && memcmp(type, "AAAA", 4) == 0) ||
          (type_len == 2 && memcmp(type, "MX", 2) == 0)))
        return false;

    /* The name must be a plain host name: it becomes a DNS query and
     * part of the reply text. */
    if (name_len > 0 && name[name_len - 1] == '.')
        name_len--;
    if (name_len == 0 || name_len >= sizeof(st->name))
        return false;
    for (size_t i = 0; i < name_len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (!isalnum(c) && c != '-' && c != '.' && c != '_')
            return false;
        st->name[i] = (char)tolower(c);
    }
    st->name[name_len] = '\0';
    memcpy(st->type, type, type_len);
    st->type[type_len] = '\0';
    return true;
}

void
socketmap_format_reply(const struct socketmap_status *st,
                       const struct decision *d, bool monitor, char *buf,
                       size_t buflen)
{
    const struct policy_decision *p = &d->policy;

    if (monitor || p->would == POLICY_REJECT) {
        snprintf(buf, buflen, "NOTFOUND ");
        return;
    }
    if (p->would == POLICY_ACCEPT)
        snprintf(buf, buflen,
                 "OK 4.4.3 DNS lookup of %s type=%s failed at delivery, but "
                 "mxwarden finds a mail route (%s, %s); deferring instead "
                 "of bouncing",
                 st->name, st->type, route_verdict_name(d->result->verdict),
                 route_cache_state_name(d->result->cache));
    else
        snprintf(buf, buflen, "OK 4.4.3 %s", p->text);
}

/* Map a reader failure in the middle of a netstring to a read status. */
static enum socketmap_read
socketmap_read_failure(int c)
{
    if (c == LISTENER_READ_TIMEOUT)
        return SOCKETMAP_READ_TIMEOUT;
    if (c == LISTENER_READ_EOF)
        return SOCKETMAP_READ_CUT;
    return SOCKETMAP_READ_ERROR;
}

/*
 * Read one netstring into buf (NUL-terminated). The length has at most
 * six digits, no leading zero beyond "0", and must not exceed max.
 */
static enum socketmap_read
socketmap_read_netstring(struct listener_reader *reader, char *buf, size_t max,
                         size_t *len)
{
    size_t length = 0, digits = 0;
    int c;

    for (;;) {
        c = listener_reader_byte(reader);
        if (c == LISTENER_READ_EOF && digits == 0)
            return SOCKETMAP_READ_EOF;
        if (c < 0)
            return socketmap_read_failure(c);
        if (c == ':')
            break;
        if (!isdigit(c) || (digits == 1 && length == 0) || digits >= 6)
            return SOCKETMAP_READ_MALFORMED;
        length = length * 10 + (size_t)(c - '0');
        digits++;
    }
    if (digits == 0)
        return SOCKETMAP_READ_MALFORMED;
    if (length > max)
        return SOCKETMAP_READ_TOO_LONG;
    for (size_t i = 0; i < length; i++) {
        c = listener_reader_byte(reader);
        if (c < 0)
            return socketmap_read_failure(c);
        buf[i] = (char)c;
    }
    buf[length] = '\0';
    c = listener_reader_byte(reader);
    if (c != ',')
        return c < 0 ? socketmap_read_failure(c) : SOCKETMAP_READ_MALFORMED;
    *len = length;
    return SOCKETMAP_READ_OK;
}

static bool
socketmap_write_netstring(int fd, const char *payload)
{
    char head[16];
    size_t len = strlen(payload);

    snprintf(head, sizeof(head), "%zu:", len);
    return listener_write_all(fd, head, strlen(head)) &&
           listener_write_all(fd, payload, len) &&
           listener_write_all(fd, ",", 1);
}

/* Answer one "MAPNAME KEY" request into reply. */
static void
socketmap_answer(struct socketmap_context *ctx, const char *request,
                 char *reply, size_t replylen)
{
    const char *space = strchr(request, ' ');
    struct socketmap_status st;
    struct decider *decider;
    void *token;
    struct decision d;
    struct log_line line;

    if (space == NULL || (size_t)(space - request) != strlen(ctx->map_name) ||
        strncmp(request, ctx->map_name, (size_t)(space - request)) != 0) {
        snprintf(reply, replylen, "PERM unknown map name; expected %s",
                 ctx->map_name);
        return;
    }
    if (!socketmap_parse_status(space + 1, &st)) {
        snprintf(reply, replylen, "NOTFOUND ");
        return;
    }

    decider = ctx->source.acquire(ctx->source.arg, &token);
    /* NOTE: st.name may be an exchange host rather than the mail domain,
     * and is decided as a mail domain all the same: an exchange with only
     * AAAA records under an IPv4-only Postfix is deferred, not bounced. */
    decider_decide(decider, st.name, decider_rcpt_deadline_ms(decider), &d);
    socketmap_format_reply(&st, &d, decider_policy(decider)->monitor, reply,
                           replylen);

    log_line_init(&line, NULL);
    log_line_add(&line, "front", "status_filter");
    log_line_add(&line, "lookup", st.type);
    log_line_add(&line, "error", st.nodata ? "nodata" : "nxdomain");
    decision_log_fields(&d, &line);
    log_line_add(&line, "status",
                 strncmp(reply, "OK ", 3) == 0 ? "deferred" : "unchanged");
    if (decider_policy(decider)->monitor && d.policy.would != POLICY_REJECT)
        log_line_add(&line, "would", "defer");
    log_info("%s", log_line_text(&line));

    decision_release(&d);
    ctx->source.release(ctx->source.arg, token);
}

/* Describe why a connection is closed, for the log. */
static const char *
socketmap_read_problem(enum socketmap_read status)
{
    switch (status) {
    case SOCKETMAP_READ_TOO_LONG:
        return "oversized request (over 100000 bytes)";
    case SOCKETMAP_READ_MALFORMED:
        return "malformed request (not a netstring)";
    case SOCKETMAP_READ_TIMEOUT:
        return "no complete request within the idle timeout";
    case SOCKETMAP_READ_CUT:
        return "connection closed in the middle of a request";
    default:
        return "read error";
    }
}

void
socketmap_serve(void *arg, int fd)
{
    struct socketmap_context *ctx = arg;
    struct listener_reader reader;
    char *request = malloc(SOCKETMAP_REQUEST_MAX + 1);
    char reply[1024];

    if (request == NULL) {
        log_warning("socketmap: out of memory; closing the connection");
        return;
    }
    listener_reader_init(&reader, fd, ctx->request_timeout_ms);
    for (;;) {
        size_t len;
        enum socketmap_read status;

        listener_reader_begin(&reader);
        status = socketmap_read_netstring(&reader, request,
                                          SOCKETMAP_REQUEST_MAX, &len);
        if (status == SOCKETMAP_READ_EOF)
            break;
        if (status != SOCKETMAP_READ_OK) {
            log_repeat(ctx->warnings, "socketmap: %s; closing the connection",
                       socketmap_read_problem(status));
            break;
        }
        if (memchr(request, '\0', len) != NULL)
            snprintf(reply, sizeof(reply), "PERM NUL byte in request");
        else
            socketmap_answer(ctx, request, reply, sizeof(reply));
        if (!socketmap_write_netstring(fd, reply))
            break;
    }
    free(request);
}
