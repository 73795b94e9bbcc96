/*
 * decide.h - the decision service every front end shares: route lookup,
 * resolver health, confirmation of negative answers, and the policy.
 *
 * One struct decider per process owns the resolver, the health table,
 * the canary runner and the policy table. The milter, the policy service,
 * the delivery-status socketmap and mxwarden-probe call decider_decide
 * for each recipient domain and get back everything they need to reply,
 * log and write the diagnostic header.
 */
#ifndef MXW_DECIDE_H
#define MXW_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "health.h"
#include "log.h"
#include "mxw_config.h"
#include "policy.h"
#include "resolver.h"
#include "route.h"

struct decider;

/* The method that confirmed a negative verdict before it could become a
 * 5xx. */
enum decision_confirm {
    DECISION_CONFIRM_NONE = 0,     /* not a negative verdict, or not tried */
    DECISION_CONFIRM_OTHER_SERVER, /* a second server gave the same verdict */
    DECISION_CONFIRM_TCP,          /* the same server, again over TCP */
    DECISION_CONFIRM_FAILED,       /* the repeat gave another verdict or
                                      no answer */
    DECISION_CONFIRM_EARLIER,      /* a cache hit of a negative answer that
                                      a repeat confirmed within its TTL */
};

/* Everything known about one recipient domain's decision. */
struct decision {
    struct route_result *result; /* owned: released by decision_release */
    struct health_report health; /* of result->server; a healthy report
                                    when no server answered */
    bool protected_domain;
    enum decision_confirm confirm;
    /* The repeated lookup that confirm describes (its steps are the
     * evidence of the confirmation), or NULL when none ran. Owned. */
    struct route_result *repeat;
    struct policy_decision policy;
};

/*
 * Create the decision service from a loaded configuration: start the
 * resolver's event thread and the canary runner. Health transitions are
 * logged through log.h. Returns NULL with a message in err.
 */
struct decider *decider_new(const struct mxw_config *cfg, char *err,
                            size_t errlen);

/*
 * Create a decision service for a one-shot tool such as mxwarden-probe:
 * no canary thread, so health changes only through the outcomes of its
 * own lookups and decider_run_canaries.
 */
struct decider *decider_new_oneshot(const struct mxw_config *cfg, char *err,
                                    size_t errlen);

/*
 * Run the canary rounds that are due (all servers at start, then those a
 * failed round asked to repeat) on the calling thread, at most max_rounds
 * times over, and record them in the health table. When detail is not
 * NULL, each round's queries and answers are written to it.
 */
void decider_run_canaries(struct decider *decider, unsigned max_rounds,
                          FILE *detail);

/* Stop the threads and free everything; NULL is a no-op. No decision may
 * be running and no other reference may exist. */
void decider_free(struct decider *decider);

/*
 * The supplier of the decider a front end uses for one request. The daemon's
 * source
 * hands out the decider of the current configuration and keeps it alive
 * until release, so a reload never frees a decider a request still uses.
 * acquire never returns NULL; token is passed back to release.
 */
struct decider_source {
    struct decider *(*acquire)(void *arg, void **token);
    void (*release)(void *arg, void *token);
    void *arg;
};

/* Fill source with one that always hands out decider, which must outlive
 * every request (tools and tests without reloads). */
void decider_source_fixed(struct decider_source *source,
                          struct decider *decider);

/*
 * Decide the recipient domain domain (envelope text: any case, UTF-8 or
 * A-label, or an address literal) within deadline_ms in total, lookup and
 * confirmation together. Any thread may call, concurrently. Always fills
 * out; call decision_release when done with it.
 */
void decider_decide(struct decider *decider, const char *domain,
                    unsigned deadline_ms, struct decision *out);

/* Drop the result reference held by d; safe on a zeroed struct. */
void decision_release(struct decision *d);

/* The RCPT deadline from the configuration, in milliseconds. */
unsigned decider_rcpt_deadline_ms(const struct decider *decider);

/* The resolver and health table, for the probe's --health and metrics. */
struct resolver *decider_resolver(struct decider *decider);
struct health *decider_health(struct decider *decider);
const struct policy *decider_policy(const struct decider *decider);

/*
 * Write the diagnostic header value for d into buf, for example
 *   domain=example.org verdict=mx exchange=mx1.example.org rcode=NOERROR
 *   edns=1232 transport=udp rtt_ms=4 cache=miss server=127.0.0.1:53
 *   health=healthy action=accept
 * (one line). Names are written only when they consist of letters,
 * digits, '-', '_' and '.', so nothing from the envelope or a reply is
 * copied raw. Returns false when buf was too small.
 */
bool decision_header_value(const struct decision *d, char *buf, size_t buflen);

/*
 * Add the decision fields of a log line, in this fixed order: domain,
 * verdict, reason, rcode, rung, transport, server, rtt_ms, cache,
 * health, confirm, action, would (monitor mode only), reply. The caller
 * starts the line with the queue id and the recipient.
 */
void decision_log_fields(const struct decision *d, struct log_line *line);

/* Return "none", "other_server", "tcp" or "failed". */
const char *decision_confirm_name(enum decision_confirm confirm);

#endif /* MXW_DECIDE_H */
