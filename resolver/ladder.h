/*
 * ladder.h - the EDNS ladder of one server and its memory.
 *
 * Rungs, top first: each configured EDNS payload (largest first), then
 * UDP without EDNS, then TCP when TCP fallback is on.  A timeout steps
 * down one rung; FORMERR, NOTIMP or BADVERS to a query with EDNS drops to
 * the rung without EDNS; TC=1 or a malformed UDP reply goes to TCP on the
 * same server and port; SERVFAIL, REFUSED, other errors and a failure on
 * the last rung move to the next server.  The rung that answered is
 * remembered per server until it expires, then the top rung is tried
 * again.  Pure functions over caller-owned state; not locked.
 */
#ifndef MXW_LADDER_H
#define MXW_LADDER_H

#include <stdbool.h>
#include <stdint.h>

#define LADDER_MAX_PAYLOADS 4

struct ladder_config {
    uint16_t payloads[LADDER_MAX_PAYLOADS]; /* bytes, largest first */
    unsigned payload_count;
    bool tcp;           /* TCP is the last rung */
    uint32_t memory_ms; /* how long a rung is kept */
};

/* Per-server memory of the rung that last answered. */
struct ladder_memory {
    bool set;
    unsigned rung;
    uint64_t expires_ms;
};

/* Outcome of one step (a query on one rung). */
enum ladder_outcome {
    LADDER_ANSWER = 0,    /* NOERROR or NXDOMAIN, well formed, TC clear */
    LADDER_TRUNCATED,     /* TC=1 over UDP */
    LADDER_EDNS_REJECTED, /* FORMERR, NOTIMP or BADVERS to an OPT query */
    LADDER_TIMEOUT,
    LADDER_MALFORMED,      /* a reply that failed validation */
    LADDER_SERVER_FAILURE, /* SERVFAIL, REFUSED, FORMERR or NOTIMP without
                              EDNS, any other error rcode */
    LADDER_NETWORK,        /* connection refused or another socket error */
};

enum ladder_action {
    LADDER_DONE = 0,  /* the step's reply is the answer */
    LADDER_NEXT_RUNG, /* try *next_rung on the same server */
    LADDER_NEXT_SERVER,
};

unsigned ladder_rung_count(const struct ladder_config *config);

/* EDNS payload of a rung, 0 for the rungs without EDNS. */
uint16_t ladder_rung_payload(const struct ladder_config *config, unsigned rung);

bool ladder_rung_is_tcp(const struct ladder_config *config, unsigned rung);

/* Rung to start a question on: the remembered one while it lasts, the
 * top one otherwise (clearing expired memory). */
unsigned ladder_start_rung(const struct ladder_config *config,
                           struct ladder_memory *memory, uint64_t now_ms);

/* Record that rung answered: the top rung clears the memory, a lower
 * one is remembered until now_ms + memory_ms. */
void ladder_remember(const struct ladder_config *config,
                     struct ladder_memory *memory, unsigned rung,
                     uint64_t now_ms);

/* Decide what follows a step on rung that ended with outcome. */
enum ladder_action ladder_next(const struct ladder_config *config,
                               unsigned rung, enum ladder_outcome outcome,
                               unsigned *next_rung);

#endif
