/*
 * health.c - per-server resolver health bookkeeping.
 *
 * Every server starts suspect, so nothing it says becomes a 5xx until
 * recover_rounds clean canary rounds have checked it. States and their
 * transitions:
 *
 *   healthy   -> suspect    failure ratio over suspect_pct, a failed or
 *                           lying canary round, or a negative answer for
 *                           a protected domain; a canary round is
 *                           requested at once
 *   suspect   -> unhealthy  a failed canary round
 *   suspect,
 *   unhealthy -> healthy    recover_rounds consecutive clean rounds
 *
 * Recovery clears the outcome window, so a recovered server is judged on
 * what it does next, not on the failures that made it suspect.
 */
#include "config.h"

#include "health.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Outcomes kept per server; older ones fall out even inside the window.
 * At 512 the ratio stays meaningful for bursts of a few hundred steps a
 * second without letting memory grow with traffic. */
#define HEALTH_RING_SIZE 512

struct health_sample {
    uint64_t at_ms;
    unsigned rtt_ms;
    enum health_outcome outcome;
};

struct health_server {
    char *name;
    enum health_state state;
    bool lying; /* caught rewriting NXDOMAIN or denying a protected domain */
    unsigned clean_rounds;
    bool canary_requested;
    bool canary_running;
    uint64_t next_canary_ms;
    char reason[160];

    struct health_sample ring[HEALTH_RING_SIZE];
    size_t ring_next;  /* slot for the next sample */
    size_t ring_count; /* valid samples, at most HEALTH_RING_SIZE */
};

struct health {
    struct health_options opts;
    pthread_mutex_t lock; /* guards servers[] and everything in them */
    size_t nservers;
    struct health_server *servers;
};

/* A state change to report once the lock is released. */
struct health_change {
    bool pending;
    char server[128];
    enum health_state from;
    enum health_state to;
    bool trusted;
    char reason[160];
};

static uint64_t
health_clock_monotonic(void *arg)
{
    struct timespec ts;

    (void)arg;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t
health_now(const struct health *health)
{
    return health->opts.now_ms(health->opts.clock_arg);
}

void
health_options_init(struct health_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->window_s = 60;
    opts->min_samples = 10;
    opts->suspect_pct = 50;
    opts->recover_rounds = 2;
    opts->canary_interval_s = 60;
    opts->retry_interval_s = 10;
}

struct health *
health_new(const struct health_options *opts, const char *const *servers,
           size_t nservers, char *err, size_t errlen)
{
    struct health *health;

    if (opts->window_s == 0 || opts->suspect_pct == 0 ||
        opts->suspect_pct > 100 || opts->recover_rounds == 0) {
        snprintf(err, errlen,
                 "invalid health options: window_s, suspect_pct (1-100) "
                 "and recover_rounds must be positive");
        return NULL;
    }
    health = calloc(1, sizeof(*health));
    if (health == NULL)
        goto nomem;
    health->opts = *opts;
    if (health->opts.now_ms == NULL)
        health->opts.now_ms = health_clock_monotonic;
    health->servers = calloc(nservers ? nservers : 1, sizeof(*health->servers));
    if (health->servers == NULL)
        goto nomem;
    health->nservers = nservers;
    for (size_t i = 0; i < nservers; i++) {
        struct health_server *s = &health->servers[i];

        s->name = strdup(servers[i]);
        if (s->name == NULL)
            goto nomem;
        /* Not trusted until canary rounds have checked it: a negative
         * answer in the first seconds must not become a 5xx. */
        s->state = HEALTH_SUSPECT;
        s->canary_requested = true;
        snprintf(s->reason, sizeof(s->reason),
                 "not checked by a canary round yet");
    }
    pthread_mutex_init(&health->lock, NULL);
    return health;

nomem:
    snprintf(err, errlen, "out of memory creating the health table");
    if (health != NULL && health->servers != NULL) {
        for (size_t i = 0; i < nservers; i++)
            free(health->servers[i].name);
        free(health->servers);
    }
    free(health);
    return NULL;
}

void
health_free(struct health *health)
{
    if (health == NULL)
        return;
    for (size_t i = 0; i < health->nservers; i++)
        free(health->servers[i].name);
    free(health->servers);
    pthread_mutex_destroy(&health->lock);
    free(health);
}

int
health_server_index(const struct health *health, const char *server)
{
    for (size_t i = 0; i < health->nservers; i++)
        if (strcmp(health->servers[i].name, server) == 0)
            return (int)i;
    return -1;
}

size_t
health_server_count(const struct health *health)
{
    return health->nservers;
}

const char *
health_server_name(const struct health *health, size_t index)
{
    return index < health->nservers ? health->servers[index].name : NULL;
}

static bool
health_outcome_failed(enum health_outcome outcome)
{
    switch (outcome) {
    case HEALTH_OUTCOME_TIMEOUT:
    case HEALTH_OUTCOME_SERVFAIL:
    case HEALTH_OUTCOME_REFUSED:
    case HEALTH_OUTCOME_NETWORK:
    case HEALTH_OUTCOME_MALFORMED:
        return true;
    default:
        return false;
    }
}

/* Count the samples inside the window; the caller holds health->lock. */
static void
health_window_count_locked(const struct health *health,
                           const struct health_server *s, uint64_t now_ms,
                           unsigned *samples, unsigned *failures,
                           unsigned *rtt_avg_ms)
{
    uint64_t window_ms = (uint64_t)health->opts.window_s * 1000;
    uint64_t rtt_sum = 0;
    unsigned ok = 0;

    *samples = 0;
    *failures = 0;
    for (size_t i = 0; i < s->ring_count; i++) {
        const struct health_sample *sample = &s->ring[i];

        if (now_ms - sample->at_ms > window_ms)
            continue;
        (*samples)++;
        if (health_outcome_failed(sample->outcome))
            (*failures)++;
        if (sample->outcome == HEALTH_OUTCOME_OK) {
            rtt_sum += sample->rtt_ms;
            ok++;
        }
    }
    *rtt_avg_ms = ok ? (unsigned)(rtt_sum / ok) : 0;
}

static bool
health_trusted_locked(const struct health_server *s)
{
    return s->state == HEALTH_HEALTHY && !s->lying;
}

/* Move s to state `to`, keeping what the callback must report. */
static void
health_transition_locked(struct health_server *s, enum health_state to,
                         bool lying, const char *reason,
                         struct health_change *change)
{
    bool was_trusted = health_trusted_locked(s);
    enum health_state from = s->state;

    s->state = to;
    s->lying = lying;
    snprintf(s->reason, sizeof(s->reason), "%s", reason);
    if (from == to && was_trusted == health_trusted_locked(s))
        return;
    change->pending = true;
    snprintf(change->server, sizeof(change->server), "%s", s->name);
    change->from = from;
    change->to = to;
    change->trusted = health_trusted_locked(s);
    snprintf(change->reason, sizeof(change->reason), "%s", reason);
}

static void
health_report_change(struct health *health, const struct health_change *c)
{
    if (c->pending && health->opts.on_transition != NULL)
        health->opts.on_transition(health->opts.transition_arg, c->server,
                                   c->from, c->to, c->trusted, c->reason);
}

static struct health_server *
health_find_locked(struct health *health, const char *server)
{
    int index = health_server_index(health, server);

    return index < 0 ? NULL : &health->servers[index];
}

void
health_record_outcome(struct health *health, const char *server,
                      enum health_outcome outcome, unsigned rtt_ms)
{
    struct health_change change = {0};
    struct health_server *s;
    unsigned samples, failures, rtt_avg;
    uint64_t now = health_now(health);

    pthread_mutex_lock(&health->lock);
    s = health_find_locked(health, server);
    if (s == NULL || outcome >= HEALTH_OUTCOME_COUNT)
        goto done;

    s->ring[s->ring_next] = (struct health_sample){now, rtt_ms, outcome};
    s->ring_next = (s->ring_next + 1) % HEALTH_RING_SIZE;
    if (s->ring_count < HEALTH_RING_SIZE)
        s->ring_count++;

    /* Only a healthy server can be pushed to suspect by the ratio; a
     * suspect or unhealthy one is judged by its canary rounds. */
    if (s->state != HEALTH_HEALTHY)
        goto done;
    health_window_count_locked(health, s, now, &samples, &failures, &rtt_avg);
    if (samples >= health->opts.min_samples &&
        failures * 100 >= health->opts.suspect_pct * samples) {
        char reason[160];

        snprintf(reason, sizeof(reason),
                 "%u of %u queries failed in the last %u s", failures, samples,
                 health->opts.window_s);
        s->clean_rounds = 0;
        s->canary_requested = true;
        health_transition_locked(s, HEALTH_SUSPECT, s->lying, reason, &change);
    }

done:
    pthread_mutex_unlock(&health->lock);
    health_report_change(health, &change);
}

void
health_record_protected_negative(struct health *health, const char *server,
                                 const char *domain)
{
    struct health_change change = {0};
    struct health_server *s;
    char reason[160];

    pthread_mutex_lock(&health->lock);
    s = health_find_locked(health, server);
    if (s != NULL) {
        enum health_state to =
            s->state == HEALTH_UNHEALTHY ? HEALTH_UNHEALTHY : HEALTH_SUSPECT;

        snprintf(reason, sizeof(reason),
                 "negative answer for protected domain %.100s", domain);
        s->clean_rounds = 0;
        s->canary_requested = true;
        health_transition_locked(s, to, true, reason, &change);
    }
    pthread_mutex_unlock(&health->lock);
    health_report_change(health, &change);
}

/* Describe why a canary round failed; empty when it was clean. */
static void
health_canary_failure(const struct health_canary_round *round, char *why,
                      size_t whylen, bool *lied)
{
    *lied = false;
    why[0] = '\0';
    if (round->nxdomain_checked && round->nxdomain_rewritten) {
        *lied = true;
        snprintf(why, whylen,
                 "canary: a random nonexistent name got an answer "
                 "(NXDOMAIN rewriting)");
    } else if (round->mx_denied) {
        *lied = true;
        snprintf(why, whylen,
                 "canary: a domain that must exist got NXDOMAIN or NODATA");
    } else if (round->mx_total > 0 && round->mx_failed == round->mx_total) {
        snprintf(why, whylen, "canary: all %u MX lookups failed",
                 round->mx_total);
    } else if (round->mx_failed * 2 > round->mx_total) {
        snprintf(why, whylen, "canary: %u of %u MX lookups failed",
                 round->mx_failed, round->mx_total);
    } else if (round->nxdomain_checked && round->nxdomain_failed) {
        snprintf(why, whylen,
                 "canary: the NXDOMAIN check got no definitive answer");
    }
}

void
health_record_canary(struct health *health, const char *server,
                     const struct health_canary_round *round)
{
    struct health_change change = {0};
    struct health_server *s;
    char why[160];
    bool lied;
    uint64_t now = health_now(health);

    pthread_mutex_lock(&health->lock);
    s = health_find_locked(health, server);
    if (s == NULL)
        goto done;
    s->canary_running = false;

    health_canary_failure(round, why, sizeof(why), &lied);
    if (why[0] != '\0') {
        /* A failure while healthy is a suspect signal: confirm it with an
         * immediate second round before calling the server unhealthy. */
        bool lying = s->lying || lied;

        s->clean_rounds = 0;
        if (s->state == HEALTH_HEALTHY) {
            s->canary_requested = true;
            health_transition_locked(s, HEALTH_SUSPECT, lying, why, &change);
        } else {
            health_transition_locked(s, HEALTH_UNHEALTHY, lying, why, &change);
        }
        goto done;
    }

    if (s->state == HEALTH_HEALTHY && !s->lying)
        goto done;
    s->clean_rounds++;
    if (s->clean_rounds < health->opts.recover_rounds) {
        /* Ask for the next round now rather than a full interval later,
         * so recovery takes recover_rounds rounds, not minutes. */
        s->canary_requested = true;
        goto done;
    }
    snprintf(why, sizeof(why), "%u consecutive clean canary rounds",
             s->clean_rounds);
    s->clean_rounds = 0;
    s->ring_count = 0;
    s->ring_next = 0;
    health_transition_locked(s, HEALTH_HEALTHY, false, why, &change);

done:
    if (s != NULL) {
        unsigned next_s = s->state == HEALTH_HEALTHY
                              ? health->opts.canary_interval_s
                              : health->opts.retry_interval_s;

        s->next_canary_ms = now + (uint64_t)next_s * 1000;
    }
    pthread_mutex_unlock(&health->lock);
    health_report_change(health, &change);
}

size_t
health_canaries_due(struct health *health, size_t *due, size_t ndue)
{
    size_t n = 0;
    uint64_t now = health_now(health);

    pthread_mutex_lock(&health->lock);
    for (size_t i = 0; i < health->nservers && n < ndue; i++) {
        struct health_server *s = &health->servers[i];
        unsigned interval_s = s->state == HEALTH_HEALTHY
                                  ? health->opts.canary_interval_s
                                  : health->opts.retry_interval_s;
        bool scheduled = interval_s > 0 && now >= s->next_canary_ms;

        if (s->canary_running || !(s->canary_requested || scheduled))
            continue;
        s->canary_requested = false;
        s->canary_running = true;
        due[n++] = i;
    }
    pthread_mutex_unlock(&health->lock);
    return n;
}

void
health_request_canaries(struct health *health)
{
    pthread_mutex_lock(&health->lock);
    for (size_t i = 0; i < health->nservers; i++)
        health->servers[i].canary_requested = true;
    pthread_mutex_unlock(&health->lock);
}

bool
health_get(struct health *health, const char *server,
           struct health_report *report)
{
    struct health_server *s;
    uint64_t now = health_now(health);

    pthread_mutex_lock(&health->lock);
    s = health_find_locked(health, server);
    if (s != NULL) {
        report->state = s->state;
        report->trusted_for_negatives = health_trusted_locked(s);
        report->lying = s->lying;
        report->clean_rounds = s->clean_rounds;
        snprintf(report->reason, sizeof(report->reason), "%s", s->reason);
        health_window_count_locked(health, s, now, &report->samples,
                                   &report->failures, &report->rtt_avg_ms);
    }
    pthread_mutex_unlock(&health->lock);
    return s != NULL;
}

const char *
health_state_name(enum health_state state)
{
    switch (state) {
    case HEALTH_HEALTHY:
        return "healthy";
    case HEALTH_SUSPECT:
        return "suspect";
    case HEALTH_UNHEALTHY:
        return "unhealthy";
    }
    return "unknown";
}

const char *
health_outcome_name(enum health_outcome outcome)
{
    static const char *const names[HEALTH_OUTCOME_COUNT] = {
        [HEALTH_OUTCOME_OK] = "ok",
        [HEALTH_OUTCOME_TIMEOUT] = "timeout",
        [HEALTH_OUTCOME_SERVFAIL] = "servfail",
        [HEALTH_OUTCOME_REFUSED] = "refused",
        [HEALTH_OUTCOME_NETWORK] = "network_error",
        [HEALTH_OUTCOME_MALFORMED] = "malformed",
        [HEALTH_OUTCOME_EDNS_FALLBACK] = "edns_fallback",
    };

    return outcome < HEALTH_OUTCOME_COUNT ? names[outcome] : "unknown";
}
