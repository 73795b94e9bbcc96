/*
 * decide.c - the decision service: lookup, health, confirmation, policy.
 */
#include "config.h"

#include "decide.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "canary.h"
#include "log.h"

/* Negative answers that a repeat confirmed, direct-mapped by domain hash,
 * so a cache hit of one is not repeated for every recipient. */
#define DECIDER_CONFIRMED_SLOTS 1024
#define DECIDER_DOMAIN_MAX 256

/* One confirmed answer, named by the lookup that produced it: a cache hit
 * matches only while the cache entry that lookup filled still serves. */
struct confirmed_slot {
    char domain[DECIDER_DOMAIN_MAX]; /* "" when empty */
    enum route_verdict verdict;
    uint64_t lookup_id;
};

struct decider {
    struct resolver *resolver;
    /* Set once after the resolver exists; the observer reads it from the
     * event thread, so it is atomic. NULL drops early step outcomes. */
    _Atomic(struct health *) health;
    struct canary_runner *canary;
    struct canary_options canary_options;
    struct policy policy;
    unsigned rcpt_deadline_ms;
    unsigned max_inflight;
    /* Suppressor for the max_inflight warning: logged when it starts,
     * then summarized. */
    struct log_repeat limit_warnings;
    pthread_mutex_t confirmed_lock; /* guards confirmed */
    struct confirmed_slot confirmed[DECIDER_CONFIRMED_SLOTS];
};

static uint64_t
decider_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int decider_server_index(struct decider *decider, const char *server);

static void
decider_observe(void *arg, unsigned server_index, const struct route_step *step)
{
    struct decider *decider = arg;
    struct health *health = atomic_load(&decider->health);

    if (health != NULL)
        canary_observe_step(health, server_index, step);
}

/* Log each health transition once, with its reason. */
static void
decider_log_transition(void *arg, const char *server, enum health_state from,
                       enum health_state to, bool trusted, const char *reason)
{
    enum mxw_log_level level =
        to == HEALTH_HEALTHY && trusted ? MXW_LOG_NOTICE : MXW_LOG_WARNING;

    (void)arg;
    log_write(level, "resolver %s: health %s -> %s, negative answers %s: %s",
              server, health_state_name(from), health_state_name(to),
              trusted ? "trusted" : "not trusted", reason);
}

static void
decider_resolver_options(const struct mxw_config *cfg,
                         struct resolver_options *ro)
{
    resolver_options_init(ro);
    ro->server_count = 0;
    for (size_t i = 0; i < cfg->servers.count && i < RESOLVER_MAX_SERVERS; i++)
        ro->servers[ro->server_count++] = cfg->servers.items[i];
    ro->step_timeout_ms = (unsigned)cfg->step_timeout_ms;
    ro->edns_ladder_count = 0;
    for (size_t i = 0; i < cfg->edns_ladder.count && i < RESOLVER_MAX_LADDER;
         i++)
        ro->edns_ladder[ro->edns_ladder_count++] =
            (uint16_t)cfg->edns_ladder.items[i];
    ro->tcp_fallback = cfg->tcp_fallback;
    ro->edns_memory_s = (unsigned)cfg->edns_memory_s;
    ro->cache_size = (unsigned)cfg->cache_size;
    ro->ttl_min_s = (unsigned)cfg->ttl_min_s;
    ro->ttl_max_s = (unsigned)cfg->ttl_max_s;
    ro->negative_ttl_min_s = (unsigned)cfg->negative_ttl_min_s;
    ro->negative_ttl_max_s = (unsigned)cfg->negative_ttl_max_s;
    ro->temp_error_ttl_s = (unsigned)cfg->temp_error_ttl_s;
    ro->stale_window_s = (unsigned)cfg->stale_window_s;
    ro->max_inflight = (unsigned)cfg->max_inflight;
    ro->cname_max = (unsigned)cfg->cname_max;
}

/* Fill the policy table from the reply_* keys; the configuration check
 * already validated every reply, so a parse failure here is a bug. */
static int
decider_policy_options(const struct mxw_config *cfg, struct policy *policy,
                       char *err, size_t errlen)
{
    const struct mxw_strlist *rows[ROUTE_VERDICT_COUNT] = {
        [ROUTE_MX] = &cfg->reply_mx,
        [ROUTE_IMPLICIT_MX] = &cfg->reply_implicit_mx,
        [ROUTE_NULL_MX] = &cfg->reply_null_mx,
        [ROUTE_NO_DOMAIN] = &cfg->reply_no_domain,
        [ROUTE_NO_MAIL_HOSTS] = &cfg->reply_no_mail_hosts,
        [ROUTE_TEMP_ERROR] = &cfg->reply_temp_error,
        [ROUTE_ADDRESS_LITERAL] = &cfg->reply_address_literal,
        [ROUTE_INVALID] = &cfg->reply_invalid,
    };

    policy_init(policy);
    policy->monitor = cfg->mode == MXW_MODE_MONITOR;
    for (int v = 0; v < ROUTE_VERDICT_COUNT; v++) {
        const struct mxw_strlist *row = rows[v];

        if (row->count != 2 ||
            !policy_reply_parse(row->items[0], &policy->rows[v].trusted, err,
                                errlen) ||
            !policy_reply_parse(row->items[1], &policy->rows[v].untrusted, err,
                                errlen))
            return -1;
    }
    if (!policy_set_protected(policy,
                              (const char *const *)cfg->protected_domains.items,
                              cfg->protected_domains.count, err, errlen))
        return -1;
    return 0;
}

static struct decider *
decider_create(const struct mxw_config *cfg, bool with_runner, char *err,
               size_t errlen)
{
    struct decider *decider = calloc(1, sizeof(*decider));
    struct resolver_options ro;
    struct health_options ho;
    struct canary_options *co;
    const char *names[RESOLVER_MAX_SERVERS];
    struct health *health;
    unsigned count;

    if (decider == NULL) {
        snprintf(err, errlen, "out of memory creating the decider");
        return NULL;
    }
    log_repeat_init(&decider->limit_warnings, MXW_LOG_WARNING, 60000);
    pthread_mutex_init(&decider->confirmed_lock, NULL);
    decider->rcpt_deadline_ms = (unsigned)cfg->rcpt_deadline_ms;
    decider->max_inflight = (unsigned)cfg->max_inflight;
    if (decider_policy_options(cfg, &decider->policy, err, errlen) != 0)
        goto fail;

    /* Step 1: the resolver, whose normalized server names key health. */
    decider_resolver_options(cfg, &ro);
    ro.observer = decider_observe;
    ro.observer_arg = decider;
    decider->resolver = resolver_new(&ro, err, errlen);
    if (decider->resolver == NULL)
        goto fail;

    /* Step 2: the health table for the same servers. */
    count = resolver_server_count(decider->resolver);
    for (unsigned i = 0; i < count; i++)
        names[i] = resolver_server_name(decider->resolver, i);
    health_options_init(&ho);
    ho.window_s = (unsigned)cfg->health_window_s;
    ho.min_samples = (unsigned)cfg->health_min_samples;
    ho.suspect_pct = (unsigned)cfg->health_suspect_pct;
    ho.recover_rounds = (unsigned)cfg->health_recover_rounds;
    ho.canary_interval_s = (unsigned)cfg->canary_interval_s;
    ho.retry_interval_s = cfg->canary_retry_s > 0
                              ? (unsigned)cfg->canary_retry_s
                              : (unsigned)cfg->canary_interval_s;
    ho.on_transition = decider_log_transition;
    health = health_new(&ho, names, count, err, errlen);
    if (health == NULL)
        goto fail;
    atomic_store(&decider->health, health);

    /* Step 3: the canary runner, which starts with a round per server.
     * The options keep pointers into cfg; the runner copies them, and a
     * one-shot decider keeps them only while cfg lives. */
    canary_options_init(&decider->canary_options);
    co = &decider->canary_options;
    for (size_t i = 0; i < cfg->canary_domains.count && i < CANARY_MAX_DOMAINS;
         i++)
        co->domains[co->domain_count++] = cfg->canary_domains.items[i];
    co->nxdomain_zone = cfg->canary_nxdomain_zone;
    co->timeout_ms = (unsigned)cfg->canary_timeout_ms;
    if (!with_runner)
        return decider;
    decider->canary =
        canary_runner_start(decider->resolver, health, co, err, errlen);
    if (decider->canary == NULL)
        goto fail;
    return decider;

fail:
    decider_free(decider);
    return NULL;
}

struct decider *
decider_new(const struct mxw_config *cfg, char *err, size_t errlen)
{
    return decider_create(cfg, true, err, errlen);
}

struct decider *
decider_new_oneshot(const struct mxw_config *cfg, char *err, size_t errlen)
{
    return decider_create(cfg, false, err, errlen);
}

void
decider_run_canaries(struct decider *decider, unsigned max_rounds, FILE *detail)
{
    struct health *health = atomic_load(&decider->health);

    for (unsigned round = 0; round < max_rounds; round++) {
        size_t due[RESOLVER_MAX_SERVERS];
        size_t count = health_canaries_due(health, due, RESOLVER_MAX_SERVERS);

        if (count == 0)
            return;
        for (size_t i = 0; i < count; i++) {
            const char *name = health_server_name(health, due[i]);
            int index = decider_server_index(decider, name);
            struct health_canary_round result;
            char lines[4096];

            if (index < 0)
                continue;
            canary_run_round(decider->resolver, (unsigned)index,
                             &decider->canary_options, &result, lines,
                             sizeof(lines));
            health_record_canary(health, name, &result);
            if (detail != NULL)
                fprintf(detail, "canary round %u on %s:\n%s", round + 1, name,
                        lines);
        }
    }
}

void
decider_free(struct decider *decider)
{
    struct health *health;

    if (decider == NULL)
        return;
    /* The runner uses the resolver and health; the resolver's observer
     * uses health: stop them in that order. */
    canary_runner_stop(decider->canary);
    health = atomic_exchange(&decider->health, NULL);
    resolver_free(decider->resolver);
    health_free(health);
    log_repeat_destroy(&decider->limit_warnings);
    pthread_mutex_destroy(&decider->confirmed_lock);
    free(decider);
}

static struct decider *
decider_fixed_acquire(void *arg, void **token)
{
    *token = NULL;
    return arg;
}

static void
decider_fixed_release(void *arg, void *token)
{
    (void)arg;
    (void)token;
}

void
decider_source_fixed(struct decider_source *source, struct decider *decider)
{
    source->acquire = decider_fixed_acquire;
    source->release = decider_fixed_release;
    source->arg = decider;
}

static int
decider_server_index(struct decider *decider, const char *server)
{
    unsigned count = resolver_server_count(decider->resolver);

    for (unsigned i = 0; i < count; i++)
        if (strcmp(resolver_server_name(decider->resolver, i), server) == 0)
            return (int)i;
    return -1;
}

static struct confirmed_slot *
decider_confirmed_slot(struct decider *decider, const char *domain)
{
    return &decider->confirmed[resolver_domain_hash(domain) %
                               DECIDER_CONFIRMED_SLOTS];
}

/* Remember that a repeat confirmed result, a negative answer. */
static void
decider_confirmed_remember(struct decider *decider,
                           const struct route_result *result)
{
    struct confirmed_slot *slot;

    if (strlen(result->domain) >= DECIDER_DOMAIN_MAX || result->lookup_id == 0)
        return;
    pthread_mutex_lock(&decider->confirmed_lock);
    slot = decider_confirmed_slot(decider, result->domain);
    snprintf(slot->domain, sizeof(slot->domain), "%s", result->domain);
    slot->verdict = result->verdict;
    slot->lookup_id = result->lookup_id;
    pthread_mutex_unlock(&decider->confirmed_lock);
}

/* Forget a confirmation of domain, after a repeat failed to confirm it. */
static void
decider_confirmed_forget(struct decider *decider, const char *domain)
{
    struct confirmed_slot *slot;

    pthread_mutex_lock(&decider->confirmed_lock);
    slot = decider_confirmed_slot(decider, domain);
    if (strcmp(slot->domain, domain) == 0)
        slot->domain[0] = '\0';
    pthread_mutex_unlock(&decider->confirmed_lock);
}

/* Return true when result is a cache hit of the very answer that a repeat
 * confirmed, so the cache entry it came from has not expired since. */
static bool
decider_confirmed_recall(struct decider *decider,
                         const struct route_result *result)
{
    struct confirmed_slot *slot;
    bool found;

    if (result->cache != ROUTE_CACHE_HIT || result->lookup_id == 0)
        return false;
    pthread_mutex_lock(&decider->confirmed_lock);
    slot = decider_confirmed_slot(decider, result->domain);
    found = strcmp(slot->domain, result->domain) == 0 &&
            slot->verdict == result->verdict &&
            slot->lookup_id == result->lookup_id;
    pthread_mutex_unlock(&decider->confirmed_lock);
    return found;
}

/*
 * Repeat a negative lookup before it may become a 5xx: on another server
 * that is healthy and trusted when there is one, otherwise on the same
 * server over TCP, which rules out a forged or damaged UDP reply.
 */
static enum decision_confirm
decider_confirm(struct decider *decider, const struct route_result *first,
                unsigned budget_ms, struct route_result **repeat)
{
    struct health *health = atomic_load(&decider->health);
    unsigned count = resolver_server_count(decider->resolver);
    int deciding = decider_server_index(decider, first->server);
    int other = -1;
    struct route_result *again;
    enum decision_confirm method;

    for (unsigned i = 0; i < count && other < 0; i++) {
        struct health_report report;

        if ((int)i == deciding)
            continue;
        if (health_get(health, resolver_server_name(decider->resolver, i),
                       &report) &&
            report.state == HEALTH_HEALTHY && report.trusted_for_negatives)
            other = (int)i;
    }
    if (other >= 0) {
        method = DECISION_CONFIRM_OTHER_SERVER;
        again = resolver_route_lookup_on(decider->resolver, first->domain,
                                         (unsigned)other, false, budget_ms);
    } else if (deciding >= 0) {
        method = DECISION_CONFIRM_TCP;
        again = resolver_route_lookup_on(decider->resolver, first->domain,
                                         (unsigned)deciding, true, budget_ms);
    } else {
        return DECISION_CONFIRM_FAILED;
    }
    if (again == NULL || again->verdict != first->verdict)
        method = DECISION_CONFIRM_FAILED;
    *repeat = again;
    return method;
}

/* Return true when max_inflight cut result short (a stale copy too). */
static bool
decider_hit_limit(const struct route_result *result)
{
    return result != NULL && result->reason != NULL &&
           strcmp(result->reason, "inflight_limit") == 0;
}

void
decider_decide(struct decider *decider, const char *domain,
               unsigned deadline_ms, struct decision *out)
{
    struct health *health = atomic_load(&decider->health);
    uint64_t start_ms = decider_now_ms();
    struct route_result *result;
    struct policy_input input;

    memset(out, 0, sizeof(*out));
    result = resolver_route_lookup(decider->resolver, domain, deadline_ms);
    out->result = result;

    /* Step 1: the health of the server whose reply decided. */
    out->health.state = HEALTH_HEALTHY;
    out->health.trusted_for_negatives = true;
    if (result->server != NULL)
        health_get(health, result->server, &out->health);
    out->protected_domain =
        policy_is_protected(&decider->policy, result->domain);

    /* Step 2: a negative answer for a protected domain is evidence
     * against the resolver; any other negative answer from a trusted
     * resolver is repeated before it can become a 5xx. */
    if (policy_verdict_is_negative(result->verdict) && result->server != NULL) {
        uint64_t spent_ms = decider_now_ms() - start_ms;

        if (out->protected_domain) {
            health_record_protected_negative(health, result->server,
                                             result->domain);
            health_get(health, result->server, &out->health);
        } else if (out->health.state == HEALTH_HEALTHY &&
                   out->health.trusted_for_negatives &&
                   spent_ms < deadline_ms) {
            if (decider_confirmed_recall(decider, result)) {
                out->confirm = DECISION_CONFIRM_EARLIER;
            } else {
                out->confirm = decider_confirm(decider, result,
                                               deadline_ms - (unsigned)spent_ms,
                                               &out->repeat);
                if (out->confirm == DECISION_CONFIRM_OTHER_SERVER ||
                    out->confirm == DECISION_CONFIRM_TCP)
                    decider_confirmed_remember(decider, result);
                else
                    decider_confirmed_forget(decider, result->domain);
            }
        }
    }

    if (decider_hit_limit(result) || decider_hit_limit(out->repeat))
        log_repeat(&decider->limit_warnings,
                   "max_inflight (%u DNS route lookups) reached: new "
                   "lookups get 451 4.4.3, or a stale route, until some "
                   "finish",
                   decider->max_inflight);

    /* Step 3: the policy. */
    input.result = result;
    input.health = out->health.state;
    input.trusted_for_negatives = out->health.trusted_for_negatives;
    input.lying = out->health.lying;
    input.confirmed = out->confirm == DECISION_CONFIRM_OTHER_SERVER ||
                      out->confirm == DECISION_CONFIRM_TCP ||
                      out->confirm == DECISION_CONFIRM_EARLIER;
    input.confirm_failure = NULL;
    if (out->confirm == DECISION_CONFIRM_FAILED && out->repeat != NULL &&
        out->repeat->verdict == ROUTE_TEMP_ERROR)
        input.confirm_failure = out->repeat->reason;
    policy_decide(&decider->policy, &input, &out->policy);
}

void
decision_release(struct decision *d)
{
    route_result_unref(d->result);
    route_result_unref(d->repeat);
    d->result = NULL;
    d->repeat = NULL;
}

unsigned
decider_rcpt_deadline_ms(const struct decider *decider)
{
    return decider->rcpt_deadline_ms;
}

struct resolver *
decider_resolver(struct decider *decider)
{
    return decider->resolver;
}

struct health *
decider_health(struct decider *decider)
{
    return atomic_load(&decider->health);
}

const struct policy *
decider_policy(const struct decider *decider)
{
    return &decider->policy;
}

/* True for a DNS name made only of LDH characters, '_' and dots. */
static bool
decision_name_safe(const char *name)
{
    if (name == NULL || name[0] == '\0' || strlen(name) > 253)
        return false;
    for (const char *p = name; *p != '\0'; p++) {
        char c = *p;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* True for "ADDRESS:PORT" or "[ADDRESS]:PORT" made of address characters. */
static bool
decision_server_safe(const char *server)
{
    if (server == NULL || server[0] == '\0' || strlen(server) > 64)
        return false;
    for (const char *p = server; *p != '\0'; p++)
        if (strchr("0123456789abcdefABCDEF.:[]", *p) == NULL)
            return false;
    return true;
}

/* True for an address literal in the engine's canonical form:
 * "[192.0.2.1]" or "[IPv6:2001:db8::1]". */
static bool
decision_literal_safe(const char *literal)
{
    size_t len = literal != NULL ? strlen(literal) : 0;

    if (len < 3 || len > 64 || literal[0] != '[' || literal[len - 1] != ']')
        return false;
    if (strncmp(literal, "[IPv6:", 6) == 0)
        literal += 5;
    for (const char *p = literal + 1; *p != ']'; p++)
        if (strchr("0123456789abcdefABCDEF.:", *p) == NULL)
            return false;
    return true;
}

/* The domain as the header may show it; "invalid" for anything else. */
static const char *
decision_domain_text(const struct route_result *r)
{
    if (r->verdict == ROUTE_ADDRESS_LITERAL)
        return decision_literal_safe(r->domain) ? r->domain : "invalid";
    return decision_name_safe(r->domain) ? r->domain : "invalid";
}

/* The step that best describes the route: the last accepted reply to
 * the MX query of the domain, or else the last step taken. */
static const struct route_step *
decision_route_step(const struct route_result *result)
{
    const struct route_step *chosen = NULL;

    for (size_t i = 0; i < result->step_count; i++) {
        const struct route_step *step = &result->steps[i];

        if (step->type == 15 && step->error == NULL)
            chosen = step;
    }
    if (chosen == NULL && result->step_count > 0)
        chosen = &result->steps[result->step_count - 1];
    return chosen;
}

/* Append formatted text at *used; false when it does not fit. */
static bool decision_appendf(char *buf, size_t buflen, size_t *used,
                             const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool
decision_appendf(char *buf, size_t buflen, size_t *used, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf + *used, buflen - *used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= buflen - *used)
        return false;
    *used += (size_t)n;
    return true;
}

bool
decision_header_value(const struct decision *d, char *buf, size_t buflen)
{
    const struct route_result *r = d->result;
    const struct route_step *step = decision_route_step(r);
    const char *exchange = NULL;
    size_t used = 0;
    bool ok;

    if (buflen == 0)
        return false;
    buf[0] = '\0';
    for (size_t i = 0; i < r->exchange_count && exchange == NULL; i++)
        if (r->exchanges[i].usable)
            exchange = r->exchanges[i].name;

    ok = decision_appendf(buf, buflen, &used, "domain=%s verdict=%s",
                          decision_domain_text(r),
                          route_verdict_name(r->verdict));
    if (ok && decision_name_safe(exchange))
        ok = decision_appendf(buf, buflen, &used, " exchange=%s", exchange);
    if (ok && r->rcode != ROUTE_RCODE_NONE)
        ok = decision_appendf(buf, buflen, &used, " rcode=%s",
                              route_rcode_name(r->rcode));
    if (ok && step != NULL && step->edns_payload == ROUTE_EDNS_NONE)
        ok = decision_appendf(buf, buflen, &used, " edns=none");
    else if (ok && step != NULL)
        ok = decision_appendf(buf, buflen, &used, " edns=%u",
                              (unsigned)step->edns_payload);
    if (ok && step != NULL)
        ok = decision_appendf(buf, buflen, &used, " transport=%s rtt_ms=%u",
                              step->transport == ROUTE_TRANSPORT_TCP ? "tcp"
                                                                     : "udp",
                              (unsigned)step->rtt_ms);
    if (ok)
        ok = decision_appendf(buf, buflen, &used, " cache=%s",
                              route_cache_state_name(r->cache));
    if (ok && decision_server_safe(r->server))
        ok = decision_appendf(buf, buflen, &used, " server=%s", r->server);
    if (ok)
        ok = decision_appendf(buf, buflen, &used, " health=%s action=%s",
                              health_state_name(d->health.state),
                              policy_action_name(d->policy.would));
    return ok;
}

void
decision_log_fields(const struct decision *d, struct log_line *line)
{
    const struct route_result *r = d->result;
    const struct route_step *step = decision_route_step(r);
    char reply[sizeof(d->policy.text) + 32];

    log_line_add(line, "domain", r->domain[0] != '\0' ? r->domain : "-");
    log_line_add(line, "verdict", route_verdict_name(r->verdict));
    if (r->reason != NULL)
        log_line_add(line, "reason", r->reason);
    log_line_add(line, "rcode",
                 r->rcode != ROUTE_RCODE_NONE ? route_rcode_name(r->rcode)
                                              : "none");
    if (step != NULL) {
        if (step->edns_payload == ROUTE_EDNS_NONE)
            log_line_add(line, "rung", "none");
        else
            log_line_add_int(line, "rung", step->edns_payload);
        log_line_add(line, "transport",
                     step->transport == ROUTE_TRANSPORT_TCP ? "tcp" : "udp");
    }
    log_line_add(line, "server", r->server != NULL ? r->server : "none");
    if (step != NULL)
        log_line_add_int(line, "rtt_ms", step->rtt_ms);
    log_line_add(line, "cache", route_cache_state_name(r->cache));
    log_line_add(line, "health", health_state_name(d->health.state));
    log_line_add(line, "confirm", decision_confirm_name(d->confirm));
    /* A confirmation that disagreed shows what the repeat found. */
    if (d->confirm == DECISION_CONFIRM_FAILED && d->repeat != NULL) {
        log_line_add(line, "confirm_verdict",
                     route_verdict_name(d->repeat->verdict));
        if (d->repeat->reason != NULL)
            log_line_add(line, "confirm_reason", d->repeat->reason);
    }
    log_line_add(line, "action", policy_action_name(d->policy.action));
    if (d->policy.would != d->policy.action)
        log_line_add(line, "would", policy_action_name(d->policy.would));
    if (d->policy.reply.accept)
        log_line_add(line, "reply", "none");
    else {
        snprintf(reply, sizeof(reply), "%s %s %s", d->policy.reply.code,
                 d->policy.reply.dsn, d->policy.text);
        log_line_add(line, "reply", reply);
    }
}

const char *
decision_confirm_name(enum decision_confirm confirm)
{
    switch (confirm) {
    case DECISION_CONFIRM_NONE:
        return "none";
    case DECISION_CONFIRM_OTHER_SERVER:
        return "other_server";
    case DECISION_CONFIRM_TCP:
        return "tcp";
    case DECISION_CONFIRM_FAILED:
        return "failed";
    case DECISION_CONFIRM_EARLIER:
        return "earlier";
    }
    return "unknown";
}
