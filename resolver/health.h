/*
 * health.h - per-server resolver health: outcome windows, canary rounds
 * and the healthy/suspect/unhealthy state machine with hysteresis.
 *
 * The module is pure bookkeeping: it never sends a query and never logs.
 * The engine reports every step outcome, a canary runner reports canary
 * rounds, and the policy asks for the state of the server that answered.
 * State changes are reported through a callback so the daemon can log
 * each transition once, with its reason.
 *
 * Thread safety: every function may be called from any thread; one mutex
 * per health object guards all of its servers. The transition callback
 * runs after that mutex is released, on the thread that caused the change.
 */
#ifndef MXW_HEALTH_H
#define MXW_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum health_state {
    HEALTH_HEALTHY = 0,
    HEALTH_SUSPECT,
    HEALTH_UNHEALTHY,
};

/* Outcome of one DNS step against one server. */
enum health_outcome {
    HEALTH_OUTCOME_OK = 0,        /* a definitive reply: NOERROR or NXDOMAIN */
    HEALTH_OUTCOME_TIMEOUT,       /* no reply within the step timeout */
    HEALTH_OUTCOME_SERVFAIL,      /* rcode SERVFAIL */
    HEALTH_OUTCOME_REFUSED,       /* rcode REFUSED */
    HEALTH_OUTCOME_NETWORK,       /* connection refused, unreachable, reset */
    HEALTH_OUTCOME_MALFORMED,     /* unparsable, mismatched or cut reply */
    HEALTH_OUTCOME_EDNS_FALLBACK, /* a reply that forced a lower rung */
    HEALTH_OUTCOME_COUNT,
};

/* Result of one canary round against one server. */
struct health_canary_round {
    unsigned mx_total;  /* canary domains queried for MX */
    unsigned mx_failed; /* of those, how many did not resolve to a route */
    /* A canary domain got NXDOMAIN or NODATA: the server denies a domain
     * that must exist. */
    bool mx_denied;
    bool nxdomain_checked; /* a random name under the canary zone was sent */
    /* The random name got data instead of NXDOMAIN: the server rewrites
     * NXDOMAIN or synthesizes wildcard answers. */
    bool nxdomain_rewritten;
    bool nxdomain_failed; /* the random name got no definitive answer */
};

struct health_options {
    unsigned window_s;          /* sliding window for outcome ratios */
    unsigned min_samples;       /* outcomes needed before a ratio counts */
    unsigned suspect_pct;       /* failure ratio (percent) that makes suspect */
    unsigned recover_rounds;    /* consecutive clean canary rounds to recover */
    unsigned canary_interval_s; /* scheduled rounds; 0 disables them */
    /* Time between rounds while a server is suspect or unhealthy, so a
     * recovery is noticed sooner than the scheduled interval. */
    unsigned retry_interval_s;

    /* Monotonic clock in milliseconds; NULL uses CLOCK_MONOTONIC. */
    uint64_t (*now_ms)(void *clock_arg);
    void *clock_arg;

    /* Called once per state change or trust change, after the lock is
     * released. reason is a short sentence valid only during the call. */
    void (*on_transition)(void *arg, const char *server, enum health_state from,
                          enum health_state to, bool trusted_for_negatives,
                          const char *reason);
    void *transition_arg;
};

struct health;

/* One server's state as the policy and the probe see it. */
struct health_report {
    enum health_state state;
    bool trusted_for_negatives; /* healthy and not caught lying */
    bool lying;        /* rewrote NXDOMAIN or denied a protected domain, and has
                          not passed recover_rounds clean rounds since */
    unsigned samples;  /* outcomes in the window */
    unsigned failures; /* failed outcomes in the window */
    unsigned rtt_avg_ms;   /* mean round trip of OK outcomes */
    unsigned clean_rounds; /* consecutive clean canary rounds */
    char reason[160];      /* why the server is in this state */
};

/* Fill opts with defaults: 60 s window, 10 samples, 50 %, 2 rounds,
 * canaries every 60 s, and every 10 s while a server is not healthy. */
void health_options_init(struct health_options *opts);

/*
 * Create the health table for nservers servers named by servers[] (the
 * "address:port" texts the engine uses in its evidence). The names are
 * copied. Returns NULL on out-of-memory or invalid options, with a message
 * in err. Every server starts suspect, with a canary round due at once.
 */
struct health *health_new(const struct health_options *opts,
                          const char *const *servers, size_t nservers,
                          char *err, size_t errlen);

void health_free(struct health *health);

/* Return the index of a server by name, or -1 when it is not tracked. */
int health_server_index(const struct health *health, const char *server);

size_t health_server_count(const struct health *health);

/* Return the name of server index, or NULL when out of range. */
const char *health_server_name(const struct health *health, size_t index);

/*
 * Record one step outcome. Crossing the failure ratio makes a healthy
 * server suspect and requests an immediate canary round. Unknown server
 * names are ignored.
 */
void health_record_outcome(struct health *health, const char *server,
                           enum health_outcome outcome, unsigned rtt_ms);

/*
 * Record that the server returned a negative answer (NXDOMAIN, NODATA or
 * no usable exchange) for a domain that must exist. The server becomes
 * suspect, loses trust for negative answers and a canary round is due.
 */
void health_record_protected_negative(struct health *health, const char *server,
                                      const char *domain);

/* Record a finished canary round for one server. */
void health_record_canary(struct health *health, const char *server,
                          const struct health_canary_round *round);

/*
 * Fill due[] with the indexes of servers whose canary round is due now
 * (scheduled, or requested by a suspect signal) and mark them as running.
 * Returns how many were written, at most ndue.
 */
size_t health_canaries_due(struct health *health, size_t *due, size_t ndue);

/* Request an immediate canary round for every server (on demand). */
void health_request_canaries(struct health *health);

/* Copy the state of one server into report; false if unknown. */
bool health_get(struct health *health, const char *server,
                struct health_report *report);

const char *health_state_name(enum health_state state);
const char *health_outcome_name(enum health_outcome outcome);

#endif /* MXW_HEALTH_H */
