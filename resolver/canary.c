/*
 * canary.c - canary rounds and the thread that runs them.
 */
#include "config.h"

#include "canary.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define CANARY_TYPE_A 1
#define CANARY_TYPE_MX 15
#define CANARY_RCODE_NOERROR 0
#define CANARY_RCODE_NXDOMAIN 3

void
canary_options_init(struct canary_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->timeout_ms = 5000;
    opts->poll_ms = 1000;
}

/*
 * One round in flight. The waiter and every outstanding query hold a
 * reference, so a query that completes after the waiter gave up still
 * finds the round alive. The last reference frees it.
 */
struct canary_round_state {
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t done_cond;
    unsigned refs;
    unsigned pending;
    size_t query_count;
    struct canary_query {
        char name[300];
        uint16_t type;
        bool done;
        int status;
        int rcode;
        size_t answer_count;
        unsigned mx_answers; /* answers of type MX */
    } queries[CANARY_MAX_DOMAINS + 1];
};

struct canary_callback_arg {
    struct canary_round_state *state;
    size_t index;
};

static void
canary_round_state_unref_locked(struct canary_round_state *state)
{
    bool last = --state->refs == 0;

    pthread_mutex_unlock(&state->lock);
    if (last) {
        pthread_cond_destroy(&state->done_cond);
        pthread_mutex_destroy(&state->lock);
        free(state);
    }
}

/* Count answer records of type MX; answers are "owner TTL TYPE RDATA". */
static unsigned
canary_count_mx(const struct resolver_raw_result *raw)
{
    unsigned count = 0;

    for (size_t i = 0; i < raw->answer_count; i++) {
        char owner[300], type[16];
        unsigned long ttl;

        if (sscanf(raw->answers[i], "%299s %lu %15s", owner, &ttl, type) == 3 &&
            strcmp(type, "MX") == 0)
            count++;
    }
    return count;
}

static void
canary_query_done(void *arg, struct resolver_raw_result *raw)
{
    struct canary_callback_arg *cb = arg;
    struct canary_round_state *state = cb->state;
    struct canary_query *q = &state->queries[cb->index];

    pthread_mutex_lock(&state->lock);
    q->done = true;
    q->status = raw != NULL ? raw->status : -1;
    q->rcode = raw != NULL ? raw->rcode : ROUTE_RCODE_NONE;
    q->answer_count = raw != NULL ? raw->answer_count : 0;
    q->mx_answers = raw != NULL ? canary_count_mx(raw) : 0;
    state->pending--;
    pthread_cond_broadcast(&state->done_cond);
    canary_round_state_unref_locked(state);
    resolver_raw_result_free(raw);
    free(cb);
}

/* Write a random label such as "mxw-canary-3f9a0c12d4e5b678". */
static void
canary_random_label(char *buf, size_t len)
{
    unsigned char bytes[8] = {0};
    ssize_t got = getrandom(bytes, sizeof(bytes), GRND_NONBLOCK);

    if (got != (ssize_t)sizeof(bytes)) {
        /* No entropy yet is harmless here: the label only has to be
         * unlikely to exist, not unpredictable. */
        uint64_t t = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)buf;

        memcpy(bytes, &t, sizeof(bytes));
    }
    snprintf(buf, len, "mxw-canary-%02x%02x%02x%02x%02x%02x%02x%02x", bytes[0],
             bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6],
             bytes[7]);
}

/* Condition variables here wait against CLOCK_MONOTONIC deadlines, so a
 * wall-clock step cannot stretch or cut a round. */
static void
canary_monotonic_cond_init(pthread_cond_t *cond)
{
    pthread_condattr_t attr;

    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

static void
canary_deadline(struct timespec *ts, unsigned timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void
canary_detail_append(char *detail, size_t len, const struct canary_query *q)
{
    size_t used = strlen(detail);
    const char *rcode =
        q->rcode == ROUTE_RCODE_NONE ? "no reply" : route_rcode_name(q->rcode);

    if (used >= len)
        return;
    if (!q->done)
        snprintf(detail + used, len - used, "%s %s: timed out\n",
                 route_type_name(q->type), q->name);
    else
        snprintf(detail + used, len - used, "%s %s: %s, %zu answers\n",
                 route_type_name(q->type), q->name, rcode, q->answer_count);
}

/* Judge the finished (or timed-out) queries; the caller holds the lock. */
static void
canary_judge_locked(const struct canary_round_state *state, size_t domain_count,
                    bool with_nxdomain, struct health_canary_round *round,
                    char *detail, size_t detail_len)
{
    memset(round, 0, sizeof(*round));
    if (detail_len > 0)
        detail[0] = '\0';
    round->mx_total = (unsigned)domain_count;
    for (size_t i = 0; i < domain_count; i++) {
        const struct canary_query *q = &state->queries[i];
        bool ok = q->done && q->status == 0 &&
                  q->rcode == CANARY_RCODE_NOERROR && q->mx_answers > 0;

        if (!ok)
            round->mx_failed++;
        /* NXDOMAIN, or NOERROR without an MX record, for a domain that
         * must have one is a denial rather than a failure to answer. */
        if (q->done && q->status == 0 &&
            (q->rcode == CANARY_RCODE_NXDOMAIN ||
             (q->rcode == CANARY_RCODE_NOERROR && q->mx_answers == 0)))
            round->mx_denied = true;
        canary_detail_append(detail, detail_len, q);
    }
    if (with_nxdomain) {
        const struct canary_query *q = &state->queries[domain_count];

        round->nxdomain_checked = true;
        if (!q->done || q->status != 0)
            round->nxdomain_failed = true;
        else if (q->rcode == CANARY_RCODE_NOERROR)
            /* Data, or NODATA, for a name that cannot exist. */
            round->nxdomain_rewritten = true;
        else if (q->rcode != CANARY_RCODE_NXDOMAIN)
            round->nxdomain_failed = true;
        canary_detail_append(detail, detail_len, q);
    }
}

void
canary_run_round(struct resolver *resolver, unsigned server_index,
                 const struct canary_options *opts,
                 struct health_canary_round *round, char *detail,
                 size_t detail_len)
{
    struct canary_round_state *state = calloc(1, sizeof(*state));
    bool with_nxdomain =
        opts->nxdomain_zone != NULL && opts->nxdomain_zone[0] != '\0';
    size_t domain_count = opts->domain_count < CANARY_MAX_DOMAINS
                              ? opts->domain_count
                              : CANARY_MAX_DOMAINS;
    struct timespec deadline;

    if (state == NULL) {
        /* Without memory for the round, report it as failed rather than
         * clean: a clean round could wrongly restore trust. */
        memset(round, 0, sizeof(*round));
        round->mx_total = round->mx_failed = 1;
        snprintf(detail, detail_len, "out of memory\n");
        return;
    }
    canary_monotonic_cond_init(&state->done_cond);
    pthread_mutex_init(&state->lock, NULL);
    state->refs = 1;

    /* Step 1: describe every query before sending any, so a callback that
     * runs at once finds its slot filled in. */
    for (size_t i = 0; i < domain_count; i++) {
        snprintf(state->queries[i].name, sizeof(state->queries[i].name), "%s",
                 opts->domains[i]);
        state->queries[i].type = CANARY_TYPE_MX;
    }
    if (with_nxdomain) {
        struct canary_query *q = &state->queries[domain_count];
        char label[64];

        canary_random_label(label, sizeof(label));
        snprintf(q->name, sizeof(q->name), "%s.%s", label, opts->nxdomain_zone);
        q->type = CANARY_TYPE_A;
    }
    state->query_count = domain_count + (with_nxdomain ? 1 : 0);

    /* Step 2: send them all in parallel. */
    for (size_t i = 0; i < state->query_count; i++) {
        struct canary_callback_arg *cb = malloc(sizeof(*cb));

        if (cb == NULL)
            continue; /* that query stays "not done" and counts failed */
        cb->state = state;
        cb->index = i;
        pthread_mutex_lock(&state->lock);
        state->refs++;
        state->pending++;
        pthread_mutex_unlock(&state->lock);
        resolver_raw_query_async(resolver, server_index, state->queries[i].name,
                                 state->queries[i].type, canary_query_done, cb);
    }

    /* Step 3: wait for all of them or the round's deadline. */
    canary_deadline(&deadline, opts->timeout_ms);
    pthread_mutex_lock(&state->lock);
    while (state->pending > 0) {
        int rc =
            pthread_cond_timedwait(&state->done_cond, &state->lock, &deadline);

        if (rc == ETIMEDOUT)
            break;
    }
    canary_judge_locked(state, domain_count, with_nxdomain, round, detail,
                        detail_len);
    canary_round_state_unref_locked(state);
}

enum health_outcome
canary_step_outcome(const struct route_step *step)
{
    switch (step->rcode) {
    case 0: /* NOERROR */
    case 3: /* NXDOMAIN */
        if (step->error == NULL)
            return HEALTH_OUTCOME_OK;
        break;
    case 2:
        return HEALTH_OUTCOME_SERVFAIL;
    case 5:
        return HEALTH_OUTCOME_REFUSED;
    case 1:  /* FORMERR */
    case 4:  /* NOTIMP */
    case 16: /* BADVERS */
        if (step->edns_payload != ROUTE_EDNS_NONE)
            return HEALTH_OUTCOME_EDNS_FALLBACK;
        return HEALTH_OUTCOME_MALFORMED;
    default:
        break;
    }
    if (step->error == NULL)
        return HEALTH_OUTCOME_OK;
    if (strcmp(step->error, "timeout") == 0)
        return HEALTH_OUTCOME_TIMEOUT;
    if (strcmp(step->error, "truncated") == 0)
        return HEALTH_OUTCOME_EDNS_FALLBACK;
    if (strcmp(step->error, "connection_refused") == 0 ||
        strcmp(step->error, "connection_closed") == 0 ||
        strcmp(step->error, "port_unreachable") == 0 ||
        strcmp(step->error, "network") == 0)
        return HEALTH_OUTCOME_NETWORK;
    if (strcmp(step->error, "servfail") == 0)
        return HEALTH_OUTCOME_SERVFAIL;
    if (strcmp(step->error, "refused") == 0)
        return HEALTH_OUTCOME_REFUSED;
    return HEALTH_OUTCOME_MALFORMED;
}

void
canary_observe_step(void *health, unsigned server_index,
                    const struct route_step *step)
{
    (void)server_index;
    /* Running out of memory or shutting down says nothing about the
     * server. */
    if (step->error != NULL && (strcmp(step->error, "nomem") == 0 ||
                                strcmp(step->error, "shutdown") == 0))
        return;
    if (step->server != NULL)
        health_record_outcome(health, step->server, canary_step_outcome(step),
                              step->rtt_ms);
}

struct canary_runner {
    struct resolver *resolver;
    struct health *health;
    struct canary_options opts;
    char *strings[CANARY_MAX_DOMAINS + 1]; /* owned copies for opts */
    pthread_t thread;
    pthread_mutex_t lock; /* guards stopping */
    pthread_cond_t stop_cond;
    bool stopping;
};

static void *
canary_runner_main(void *arg)
{
    struct canary_runner *runner = arg;

    for (;;) {
        size_t due[RESOLVER_MAX_SERVERS];
        size_t count;
        struct timespec wake;

        count = health_canaries_due(runner->health, due, RESOLVER_MAX_SERVERS);
        for (size_t i = 0; i < count; i++) {
            struct health_canary_round round;
            char detail[2048];
            const char *name = health_server_name(runner->health, due[i]);
            int index = -1;

            /* Health and resolver list the same servers in the same
             * order, but look the index up by name to be safe. */
            for (unsigned s = 0; s < resolver_server_count(runner->resolver);
                 s++)
                if (name != NULL &&
                    strcmp(resolver_server_name(runner->resolver, s), name) ==
                        0)
                    index = (int)s;
            if (index < 0)
                continue;
            canary_run_round(runner->resolver, (unsigned)index, &runner->opts,
                             &round, detail, sizeof(detail));
            health_record_canary(runner->health, name, &round);
        }

        pthread_mutex_lock(&runner->lock);
        canary_deadline(&wake, runner->opts.poll_ms);
        while (!runner->stopping &&
               pthread_cond_timedwait(&runner->stop_cond, &runner->lock,
                                      &wake) != ETIMEDOUT)
            ;
        if (runner->stopping) {
            pthread_mutex_unlock(&runner->lock);
            return NULL;
        }
        pthread_mutex_unlock(&runner->lock);
    }
}

static void
canary_runner_free(struct canary_runner *runner)
{
    for (size_t i = 0; i <= CANARY_MAX_DOMAINS; i++)
        free(runner->strings[i]);
    pthread_cond_destroy(&runner->stop_cond);
    pthread_mutex_destroy(&runner->lock);
    free(runner);
}

struct canary_runner *
canary_runner_start(struct resolver *resolver, struct health *health,
                    const struct canary_options *opts, char *err, size_t errlen)
{
    struct canary_runner *runner = calloc(1, sizeof(*runner));
    int rc;

    if (runner == NULL) {
        snprintf(err, errlen, "out of memory starting the canary runner");
        return NULL;
    }
    runner->resolver = resolver;
    runner->health = health;
    runner->opts = *opts;
    if (runner->opts.domain_count > CANARY_MAX_DOMAINS)
        runner->opts.domain_count = CANARY_MAX_DOMAINS;
    if (runner->opts.poll_ms == 0)
        runner->opts.poll_ms = 1000;
    for (size_t i = 0; i < runner->opts.domain_count; i++) {
        runner->strings[i] = strdup(opts->domains[i]);
        runner->opts.domains[i] = runner->strings[i];
    }
    if (opts->nxdomain_zone != NULL) {
        runner->strings[CANARY_MAX_DOMAINS] = strdup(opts->nxdomain_zone);
        runner->opts.nxdomain_zone = runner->strings[CANARY_MAX_DOMAINS];
    }
    pthread_mutex_init(&runner->lock, NULL);
    canary_monotonic_cond_init(&runner->stop_cond);

    rc = pthread_create(&runner->thread, NULL, canary_runner_main, runner);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the canary thread: %s",
                 strerror(rc));
        canary_runner_free(runner);
        return NULL;
    }
    return runner;
}

void
canary_runner_stop(struct canary_runner *runner)
{
    if (runner == NULL)
        return;
    pthread_mutex_lock(&runner->lock);
    runner->stopping = true;
    pthread_cond_broadcast(&runner->stop_cond);
    pthread_mutex_unlock(&runner->lock);
    pthread_join(runner->thread, NULL);
    canary_runner_free(runner);
}
