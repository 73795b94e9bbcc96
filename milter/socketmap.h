/*
 * socketmap.h - the delivery-time bounce guard: a Postfix socketmap
 * table for smtp_delivery_status_filter.
 *
 * Postfix's smtp client asks the table about the status text of every
 * delivery attempt. A hard bounce caused by its own DNS lookup
 * ("5.4.4 Host or domain name not found. Name service error for
 * name=NAME type=TYPE: ...") gets a 4.4.3 replacement when mxwarden's own
 * view of NAME says there is a route or usable address (fresh or stale),
 * or when mxwarden cannot confirm the negative; every other status gets
 * NOTFOUND and stays as it is.
 *
 * Wire format (Postfix socketmap_table(5)): requests and replies are
 * netstrings, "LENGTH:DATA,". A request is "MAPNAME KEY"; a reply is
 * "OK VALUE", "NOTFOUND ", "TEMP REASON" or "PERM REASON".
 */
#ifndef MXW_SOCKETMAP_H
#define MXW_SOCKETMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "decide.h"

/* Postfix limits a socketmap reply to 100000 bytes; requests here are
 * status texts, far shorter. */
#define SOCKETMAP_REQUEST_MAX 100000

/* The DNS name and query type a local DNS-failure status names. */
struct socketmap_status {
    char name[256]; /* lowercased, no trailing dot */
    char type[8];   /* "A", "AAAA" or "MX" */
    bool nodata;    /* "Host found but no data record of requested type" */
};

/*
 * Recognize a status text Postfix writes for its own failed DNS lookup at
 * delivery time and extract the name and type. Returns false for every
 * other text (successes, remote servers' replies, null MX, deferrals),
 * which the guard must leave alone.
 */
bool socketmap_parse_status(const char *key, struct socketmap_status *st);

/*
 * Write the reply payload (without netstring framing) for the decision d
 * about st->name into buf: "OK 4.4.3 TEXT" to defer instead of bouncing,
 * or "NOTFOUND " to leave the status alone. NOTFOUND is written when the
 * policy confirms the name is gone (a reject) and in monitor mode, which
 * never changes what Postfix does.
 */
void socketmap_format_reply(const struct socketmap_status *st,
                            const struct decision *d, bool monitor, char *buf,
                            size_t buflen);

enum socketmap_read {
    SOCKETMAP_READ_OK = 0,
    SOCKETMAP_READ_EOF,
    SOCKETMAP_READ_ERROR,
    SOCKETMAP_READ_TIMEOUT,
    SOCKETMAP_READ_CUT,
    SOCKETMAP_READ_MALFORMED,
    SOCKETMAP_READ_TOO_LONG,
};

/* Shared by every connection of the socketmap listener. */
struct socketmap_context {
    struct decider_source source;
    unsigned request_timeout_ms; /* idle time included */
    struct log_repeat *warnings; /* folds repeated protocol warnings */
    const char *map_name;        /* the NAME in socketmap:...:NAME */
};

/* Serve one connection; a listener_handler_fn with a socketmap_context. */
void socketmap_serve(void *arg, int fd);

#endif /* MXW_SOCKETMAP_H */
