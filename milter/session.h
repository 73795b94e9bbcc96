/*
 * session.h - what the milter keeps per process, per connection and per
 * message, and how long each lives.
 *
 * Lifetimes:
 *
 *   struct session_runtime   one configuration and the decider built from
 *       it. Created by the main thread at start and at each reload,
 *       published with session_runtime_publish. Reference counted: the
 *       published pointer holds one reference, every message in flight
 *       holds one, and so does every policy-service or socketmap request
 *       (through session_decider_source). A reload therefore never frees
 *       a configuration or decider that a session still uses; the last
 *       release frees both, on whichever thread drops it.
 *
 *   struct session_conn      one MTA connection to the milter. Created at
 *       the first callback of the connection that needs it, stored with
 *       smfi_setpriv, freed in xxfi_close. libmilter may call xxfi_close
 *       for a connection that never reached a callback, so a NULL context
 *       is normal there.
 *
 *   struct session_msg       one message (MAIL FROM to end of message).
 *       Created at xxfi_envfrom, freed at xxfi_eom, xxfi_abort (RSET, or
 *       the client gone) or xxfi_close, whichever comes first. It holds
 *       the runtime reference taken at MAIL FROM, so all recipients of a
 *       message are decided with one configuration and one decider.
 *
 * libmilter runs the callbacks of one connection one at a time, so the
 * connection and message contexts need no lock. The published runtime
 * pointer is guarded by the runtime lock inside session.c.
 */
#ifndef MXW_SESSION_H
#define MXW_SESSION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "header.h"
#include "mxw_config.h"

struct decider;
struct decider_source;

struct session_runtime {
    atomic_uint refs;         /* private: use acquire and release */
    struct mxw_config cfg;    /* owned; read-only after creation */
    struct decider *decider;  /* owned; freed with the last reference */
    unsigned long generation; /* 1 for the first, +1 per reload */
};

/*
 * Create a runtime that takes over *cfg (zeroed on return) and decider.
 * Returns NULL on out-of-memory; cfg and decider then still belong to
 * the caller. The runtime starts with one reference, the caller's.
 */
struct session_runtime *session_runtime_new(struct mxw_config *cfg,
                                            struct decider *decider);

/*
 * Make runtime the one new messages use, taking over the caller's
 * reference, and release the one published before (its messages in
 * flight keep it alive until they end). NULL unpublishes. Any thread.
 */
void session_runtime_publish(struct session_runtime *runtime);

/* Take a reference to the published runtime; NULL when none is. */
struct session_runtime *session_runtime_acquire(void);

/* Drop one reference; the last one frees cfg and decider. NULL is a
 * no-op. */
void session_runtime_release(struct session_runtime *runtime);

/*
 * Fill source with callbacks that hand out the decider of the published
 * runtime and hold a reference to that runtime until release, for the
 * policy service and the socketmap. A runtime must be published whenever
 * acquire runs: the daemon stops those front ends before it unpublishes.
 */
void session_decider_source(struct decider_source *source);

/* Maximum length of the recipient text kept for a deferral reply. */
#define SESSION_RCPT_TEXT_MAX 256
/* Maximum length of the reply text kept for a deferral. */
#define SESSION_REPLY_TEXT_MAX 512

/* A recipient that a non-SMTP message cannot take a per-recipient reply
 * for, remembered until end of message. */
struct session_deferral {
    bool pending;
    char rcpt[SESSION_RCPT_TEXT_MAX]; /* printable ASCII copy */
    char code[4];
    char dsn[16];
    char text[SESSION_REPLY_TEXT_MAX]; /* plain text, % not doubled */
    unsigned long more;                /* other recipients deferred */
};

struct session_msg {
    struct session_runtime *runtime; /* reference held until freed */
    struct header_set headers;       /* accepted domains */
    struct session_deferral deferral;
    unsigned long rcpt_decided; /* recipients decided by the engine */
    unsigned long rcpt_skipped; /* recipients the skip rules passed */
    bool non_smtpd;             /* a RCPT looked like non-SMTP mail */
    int incoming_headers;       /* headers named header_name that came
                                   with the message */
};

struct session_conn {
    struct session_msg *msg; /* current message, or NULL */
    unsigned long messages;  /* messages started on this connection */
    bool header_noreply;     /* flag: the header callback sends no reply
                                (SMFIP_NR_HDR was negotiated) */
};

/* Allocate a connection context; NULL on out-of-memory. */
struct session_conn *session_conn_new(void);

/* Free conn and any message it still holds. NULL is a no-op. */
void session_conn_free(struct session_conn *conn);

/*
 * Start a message on conn: free a message left over from an earlier
 * MAIL FROM, then create a new one that takes a reference to runtime
 * (NULL in tests). The message shows at most the runtime's
 * header_max_domains domain headers, none without a runtime. Returns
 * the message, or NULL with errno ENOMEM (out of memory) or ESHUTDOWN
 * (after session_close).
 */
struct session_msg *session_msg_begin(struct session_conn *conn,
                                      struct session_runtime *runtime);

/* End the current message of conn, if any, and release its runtime. */
void session_msg_end(struct session_conn *conn);

/* Number of messages begun and not yet ended, in every connection. */
unsigned long session_msg_active(void);

/*
 * Refuse new messages from now on: session_msg_begin then returns NULL
 * with errno ESHUTDOWN. A message that passed the check before this call
 * is counted by session_msg_active, so once that count reads 0 after
 * session_close, no message holds a runtime any more. For the stop of
 * the daemon, which then frees the last runtime itself; there is no way
 * back.
 */
void session_close(void);

/*
 * Record the first recipient of a non-SMTP message that cannot be
 * accepted; later ones are only counted. rcpt is envelope text: only
 * printable ASCII is kept, other bytes become '?'.
 */
void session_msg_defer(struct session_msg *msg, const char *rcpt,
                       const char *code, const char *dsn, const char *text);

/* Copy text into dst as printable ASCII ('?' for other bytes), cut to
 * fit. */
void session_copy_printable(char *dst, size_t dstlen, const char *text);

#endif /* MXW_SESSION_H */
