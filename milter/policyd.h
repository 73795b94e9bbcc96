/*
 * policyd.h - Postfix SMTP access policy delegation (check_policy_service).
 *
 * Postfix sends a request of "name=value" lines ended by an empty line
 * and expects "action=..." and an empty line back, on a connection it
 * keeps open for many requests. At protocol_state=RCPT the recipient
 * domain is decided like a milter RCPT; every other state gets DUNNO.
 */
#ifndef MXW_POLICYD_H
#define MXW_POLICYD_H

#include <stdbool.h>
#include <stddef.h>

#include "decide.h"

/* Longest request line and whole request accepted, in bytes. Postfix's
 * own attributes are short; a longer request is a protocol error. */
#define POLICYD_LINE_MAX 4096
#define POLICYD_REQUEST_MAX 65536

/* The attributes mxwarden reads from one request. */
struct policyd_request {
    char request[64];        /* "smtpd_access_policy" */
    char protocol_state[32]; /* "RCPT", "DATA", ... */
    char recipient[POLICYD_LINE_MAX];
    char queue_id[64];
    char client_address[64];
    unsigned attributes; /* lines read */
};

enum policyd_read {
    POLICYD_READ_OK = 0,
    POLICYD_READ_EOF,       /* the peer closed between requests */
    POLICYD_READ_ERROR,     /* read error */
    POLICYD_READ_TIMEOUT,   /* no complete request before the deadline */
    POLICYD_READ_CUT,       /* end of stream in the middle of a request */
    POLICYD_READ_MALFORMED, /* a line without '=', or a NUL byte */
    POLICYD_READ_TOO_LONG,  /* over POLICYD_LINE_MAX or REQUEST_MAX */
};

/* Shared by every connection of the policy listener. */
struct policyd_context {
    struct decider_source source;
    unsigned request_timeout_ms; /* idle time included */
    struct log_repeat *warnings; /* folds repeated protocol warnings */
    const char *header_name;     /* NULL: answer DUNNO instead of PREPEND */
};

/*
 * Parse one "name=value" line (without its newline) into req. Returns
 * false for a line without '='. Unknown names are counted and ignored,
 * as the protocol asks.
 */
bool policyd_parse_line(const char *line, size_t len,
                        struct policyd_request *req);

/*
 * Build the reply "action=...\n\n" for a decision into buf: DUNNO or
 * PREPEND of the diagnostic header when accepting, otherwise the policy's
 * "CODE DSN text". Returns false when buf is too small.
 */
bool policyd_format_action(const struct decision *d, const char *header_name,
                           char *buf, size_t buflen);

/* Extract the domain of a recipient address ("user@domain" or
 * "<user@domain>"); false when there is none. */
bool policyd_recipient_domain(const char *recipient, char *domain,
                              size_t domainlen);

/* Serve one connection; a listener_handler_fn with a policyd_context. */
void policyd_serve(void *arg, int fd);

#endif /* MXW_POLICYD_H */
