/*
 * answer: turns one query message into the reply the active faults call
 * for, and writes its query log line.
 */
#ifndef FAULTDNS_ANSWER_H
#define FAULTDNS_ANSWER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "rules.h"
#include "wire.h"
#include "zone.h"

/* The payload size this server advertises in its own OPT, in bytes. */
#define ANSWER_OWN_PAYLOAD_BYTES 1232

enum reply_action {
    REPLY_SEND,  /* send WIRE after DELAY_MS */
    REPLY_DROP,  /* send nothing */
    REPLY_CLOSE, /* TCP: close the connection without a reply */
    REPLY_HANG,  /* TCP: keep the connection open and never reply */
};

struct reply {
    enum reply_action action;
    struct wire_buf wire;
    long delay_ms;
};

/* Seed the generator behind jitter, so a test can repeat a run. */
void answer_seed(unsigned long seed);

/*
 * Build the reply to the query MSG of LEN bytes received over TRANSPORT
 * from CLIENT, and log the query.  RULES is not const because answer-from
 * counts attempts in it.  OUT->wire must be empty or previously used;
 * the caller frees it with wire_buf_free.  Returns 0, or -1 when memory
 * runs out (OUT->action is then REPLY_DROP).
 */
int answer_query(const struct zone_set *zones, struct rule_set *rules,
                 enum transport transport, const struct sockaddr *client,
                 const uint8_t *msg, size_t len, struct reply *out);

#endif
