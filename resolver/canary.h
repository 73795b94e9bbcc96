/*
 * canary.h - canary rounds: queries whose right answer is known, sent to
 * one server to tell a sick or lying resolver from a sick domain.
 *
 * A round sends an MX query for each canary domain (domains that must
 * resolve) and an A query for a random label under the NXDOMAIN zone (a
 * name that must not exist, which catches NXDOMAIN rewriting and wildcard
 * synthesis), all in parallel, and reports a health_canary_round.
 *
 * The runner is a thread that starts the rounds health_canaries_due hands
 * out (scheduled, or requested by a suspect signal) and records them.
 */
#ifndef MXW_CANARY_H
#define MXW_CANARY_H

#include <stdbool.h>
#include <stddef.h>

#include "health.h"
#include "resolver.h"

#define CANARY_MAX_DOMAINS 32

struct canary_options {
    const char *domains[CANARY_MAX_DOMAINS]; /* must have an MX RRset */
    size_t domain_count;
    const char *nxdomain_zone; /* random labels under it must not exist;
                                  NULL or "" skips that check */
    unsigned timeout_ms;       /* whole round, per server */
    unsigned poll_ms;          /* how often the runner checks for due
                                  rounds */
};

/* Fill opts with defaults: no domains, no zone, 5000 ms, 1000 ms. */
void canary_options_init(struct canary_options *opts);

/*
 * Run one canary round against server_index and wait for it, at most
 * opts->timeout_ms. Fills round, and detail with one line per query
 * ("MX hotmail.com: NOERROR, 1 answer"). Any thread may call. Does not
 * record the round in any health table.
 */
void canary_run_round(struct resolver *resolver, unsigned server_index,
                      const struct canary_options *opts,
                      struct health_canary_round *round, char *detail,
                      size_t detail_len);

/*
 * Record a step outcome reported by the resolver's observer in health.
 * Matches resolver_observer_fn with health as arg, so it can be set as
 * the observer directly.
 */
void canary_observe_step(void *health, unsigned server_index,
                         const struct route_step *step);

/* Map one step to a health outcome. */
enum health_outcome canary_step_outcome(const struct route_step *step);

struct canary_runner;

/*
 * Start the runner thread. resolver and health must outlive the runner;
 * the option strings are copied. Returns NULL with a message in err.
 */
struct canary_runner *canary_runner_start(struct resolver *resolver,
                                          struct health *health,
                                          const struct canary_options *opts,
                                          char *err, size_t errlen);

/* Stop the runner thread and wait for it; NULL is a no-op. */
void canary_runner_stop(struct canary_runner *runner);

#endif /* MXW_CANARY_H */
