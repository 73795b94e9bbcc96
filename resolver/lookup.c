/*
 * lookup.c - the phases of a route lookup and the raw queries, run on
 * the event thread.
 *
 * A route lookup sends an MX query for the domain.  Depending on the
 * answer it then queries A and AAAA of every exchange in parallel (MX),
 * A and AAAA of the domain (NODATA: implicit MX), or A of the domain
 * (NXDOMAIN: a NOERROR there contradicts the NXDOMAIN).  Each phase counts its
 * questions and moves on when the last one is done.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"
#include "result.h"

static void lookup_advance(struct lookup *l);

static void
lookup_release(struct lookup *l)
{
    if (--l->outstanding == 0)
        lookup_advance(l);
}

static bool
is_address_type(uint16_t type)
{
    return type == DNS_TYPE_A || type == DNS_TYPE_AAAA;
}

static void
lookup_question_done(struct question *q)
{
    struct lookup *l = q->owner;

    /* Lookups confined to one server confirm that server's word, so
     * they neither read nor fill the shared exchange cache. */
    if (q->outcome.answered && is_address_type(q->type) && l->only_server < 0)
        host_cache_put(l->resolver->hosts, q->asked, q->type,
                       &q->outcome.answer, engine_clock_ms(l->resolver));
    lookup_release(l);
}

struct lookup *
lookup_new(struct resolver *r, const char *domain)
{
    struct lookup *l = calloc(1, sizeof(*l));

    if (!l)
        return NULL;
    l->resolver = r;
    l->only_server = -1;
    snprintf(l->domain, sizeof(l->domain), "%s", domain);
    l->hash = engine_hash(l->domain);
    return l;
}

void
lookup_free(struct lookup *l)
{
    if (!l)
        return;
    question_free(l->mx);
    question_free(l->check);
    question_free(l->implicit[0]);
    question_free(l->implicit[1]);
    for (size_t i = 0; i < l->exchange_count; i++) {
        free(l->exchanges[i].name);
        question_free(l->exchanges[i].questions[0]);
        question_free(l->exchanges[i].questions[1]);
    }
    free(l->exchanges);
    step_log_clear(&l->log);
    if (l->admitted)
        admission_leave(l->resolver->admission,
                        l->only_server >= 0 ? NULL : l->domain);
    free(l);
}

/* Start a question owned by the lookup; a failed allocation counts as a
 * question that is already done, so the phase still completes. */
static struct question *
lookup_ask(struct lookup *l, const char *name, uint16_t type)
{
    struct question *q = question_new(l->resolver, name, type, l->only_server,
                                      &l->log, lookup_question_done, l);
    struct answer cached;

    /* An exchange another lookup resolved recently needs no query.  The
     * NXDOMAIN check asks afresh: it tests the resolver's answer now. */
    if (q && is_address_type(type) && l->only_server < 0 &&
        l->phase != PHASE_NXDOMAIN_CHECK &&
        host_cache_get(l->resolver->hosts, name, type,
                       engine_clock_ms(l->resolver), &cached)) {
        q->outcome.answered = true;
        q->outcome.answer = cached;
        q->outcome.rcode = cached.rcode;
        q->outcome.from_cache = true;
        return q;
    }

    l->outstanding++;
    if (!q) {
        l->outstanding--;
        return NULL;
    }
    q->tcp_only = l->tcp_only;
    question_start(q);
    return q;
}

void
lookup_run(struct lookup *l)
{
    l->phase = PHASE_MX;
    l->outstanding = 1;
    l->mx = lookup_ask(l, l->domain, DNS_TYPE_MX);
    lookup_release(l);
}

/* ---- building the result ---- */

static uint32_t
min32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* Text of every address found for an exchange, in A then AAAA order. */
static size_t
exchange_addresses(struct question *const qs[2], char **out, size_t max)
{
    size_t n = 0;

    for (int i = 0; i < 2; i++) {
        const struct question *q = qs[i];

        if (!q || !q->outcome.answered || q->outcome.answer.kind != ANSWER_DATA)
            continue;
        for (size_t j = 0; j < q->outcome.answer.count && n < max; j++) {
            const struct answer_item *item = &q->outcome.answer.items[j];
            char text[INET6_ADDRSTRLEN];

            inet_ntop(item->family, item->addr, text, sizeof(text));
            out[n] = strdup(text);
            if (out[n])
                n++;
        }
    }
    return n;
}

/* Failure to judge when a question could not even be allocated. */
static const struct question_outcome *
outcome_of(const struct question *q)
{
    static const struct question_outcome nomem = {
        .answered = false,
        .error = "nomem",
        .server_index = -1,
        .rcode = ROUTE_RCODE_NONE,
    };

    return q ? &q->outcome : &nomem;
}

static void
lookup_finish(struct lookup *l, enum route_verdict verdict, const char *reason,
              uint32_t raw_ttl, bool ttl_known)
{
    struct resolver *r = l->resolver;
    struct route_result src;
    struct route_exchange *exchanges = NULL;
    struct route_step *steps = NULL;
    char **addresses = NULL;
    size_t address_total = 0, address_used = 0;
    size_t exchange_total = l->exchange_count;
    struct lookup_exchange implicit;
    struct lookup_exchange *xs = l->exchanges;
    struct route_result *result = NULL;
    const struct question_outcome *mx = outcome_of(l->mx);

    /* Implicit MX shows the domain itself as the only host. */
    if (l->phase == PHASE_IMPLICIT) {
        memset(&implicit, 0, sizeof(implicit));
        implicit.name = l->domain;
        implicit.questions[0] = l->implicit[0];
        implicit.questions[1] = l->implicit[1];
        classify_implicit_host(outcome_of(l->implicit[0]),
                               outcome_of(l->implicit[1]), &implicit.eval);
        xs = &implicit;
        exchange_total = 1;
    }

    memset(&src, 0, sizeof(src));
    src.lookup_id = ++r->last_lookup_id;
    src.verdict = verdict;
    src.domain = l->domain;
    src.reason = reason;
    src.ttl_s = classify_clamp_ttl(&r->limits, verdict, raw_ttl, ttl_known);
    src.rcode = mx->rcode;
    if (mx->server_index >= 0)
        src.server = r->servers[mx->server_index].text;

    for (size_t i = 0; i < exchange_total; i++) {
        for (int k = 0; k < 2; k++) {
            const struct question *q = xs[i].questions[k];

            if (q && q->outcome.answered)
                address_total += q->outcome.answer.count;
        }
    }
    exchanges = calloc(exchange_total ? exchange_total : 1, sizeof(*exchanges));
    addresses = calloc(address_total ? address_total : 1, sizeof(char *));
    steps = calloc(l->log.count ? l->log.count : 1, sizeof(*steps));
    if (!exchanges || !addresses || !steps)
        goto nomem;

    for (size_t i = 0; i < exchange_total; i++) {
        struct route_exchange *x = &exchanges[i];
        size_t n = exchange_addresses(xs[i].questions, addresses + address_used,
                                      address_total - address_used);

        x->name = xs[i].name;
        x->preference = xs[i].preference;
        x->addresses = (const char *const *)(addresses + address_used);
        x->address_count = n;
        address_used += n;
        x->usable = xs[i].static_why == NULL && xs[i].eval.usable;
        x->why_unusable =
            xs[i].static_why ? xs[i].static_why : xs[i].eval.why_unusable;
        x->lookup_error = xs[i].static_why ? NULL : xs[i].eval.lookup_error;
    }
    src.exchanges = exchanges;
    src.exchange_count = exchange_total;

    for (size_t i = 0; i < l->log.count; i++)
        steps[i] = l->log.items[i].step;
    src.steps = steps;
    src.step_count = l->log.count;

    result = route_result_pack(&src, ROUTE_CACHE_MISS, true);
    if (!result)
        goto nomem;

    /* A shutdown is no fact about the domain, so it stays out of the
     * cache. */
    if (r->cache && l->shared &&
        !(verdict == ROUTE_TEMP_ERROR && reason &&
          strcmp(reason, "shutdown") == 0)) {
        struct route_result *stale =
            route_cache_put(r->cache, result, engine_clock_ms(r));

        if (stale) {
            atomic_fetch_add_explicit(&r->stat_stale, 1, memory_order_relaxed);
            route_result_unref(result);
            result = stale;
        }
    }
    goto done;

nomem:
    result = route_result_simple(ROUTE_TEMP_ERROR, l->domain, "nomem");
done:
    for (size_t i = 0; i < address_used; i++)
        free(addresses[i]);
    free(addresses);
    free(exchanges);
    free(steps);
    /* engine_lookup_finished frees l. */
    engine_lookup_finished(l, result);
}

/* ---- phases ---- */

static int
compare_exchanges(const void *a, const void *b)
{
    const struct lookup_exchange *x = a, *y = b;

    if (x->preference != y->preference)
        return x->preference < y->preference ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Build the exchange list from the MX answer: real targets only, sorted
 * by preference, each name once at its lowest preference. */
static int
collect_exchanges(struct lookup *l)
{
    const struct answer *an = &l->mx->outcome.answer;
    size_t n = 0;

    l->exchanges = calloc(an->count ? an->count : 1, sizeof(*l->exchanges));
    if (!l->exchanges)
        return -1;
    for (size_t i = 0; i < an->count; i++) {
        const struct answer_item *item = &an->items[i];
        bool duplicate = false;

        if (item->name[0] == '\0')
            continue; /* a null MX among real ones is ignored */
        for (size_t j = 0; j < n; j++) {
            if (strcmp(l->exchanges[j].name, item->name) == 0) {
                if (item->preference < l->exchanges[j].preference)
                    l->exchanges[j].preference = item->preference;
                duplicate = true;
            }
        }
        if (duplicate)
            continue;
        l->exchanges[n].name = strdup(item->name);
        if (!l->exchanges[n].name)
            return -1;
        l->exchanges[n].preference = item->preference;
        n++;
        l->exchange_count = n;
    }
    qsort(l->exchanges, n, sizeof(*l->exchanges), compare_exchanges);
    return 0;
}

static void
start_exchanges(struct lookup *l)
{
    struct resolver *r = l->resolver;

    l->phase = PHASE_EXCHANGES;
    if (collect_exchanges(l) < 0) {
        lookup_finish(l, ROUTE_TEMP_ERROR, "nomem", 0, false);
        return;
    }
    l->outstanding = 1;
    for (size_t i = 0; i < l->exchange_count; i++) {
        struct lookup_exchange *x = &l->exchanges[i];

        x->static_why = classify_exchange_name(x->name);
        if (!x->static_why && i >= r->options.max_exchanges)
            x->static_why = "not_checked";
        if (x->static_why)
            continue;
        x->questions[0] = lookup_ask(l, x->name, DNS_TYPE_A);
        x->questions[1] = lookup_ask(l, x->name, DNS_TYPE_AAAA);
    }
    lookup_release(l);
}

static void
after_mx(struct lookup *l)
{
    const struct question_outcome *mx = outcome_of(l->mx);
    const char *reason = NULL;
    enum mx_plan plan = classify_mx(mx, &reason);

    switch (plan) {
    case MX_PLAN_TEMP_ERROR:
        lookup_finish(l, ROUTE_TEMP_ERROR, reason, 0, false);
        return;
    case MX_PLAN_NULL_MX:
        lookup_finish(l, ROUTE_NULL_MX, NULL, mx->answer.ttl_s, true);
        return;
    case MX_PLAN_NO_MAIL_HOSTS:
        lookup_finish(l, ROUTE_NO_MAIL_HOSTS, reason, mx->answer.ttl_s, true);
        return;
    case MX_PLAN_CHECK_NXDOMAIN:
        l->phase = PHASE_NXDOMAIN_CHECK;
        l->outstanding = 1;
        l->check = lookup_ask(l, l->domain, DNS_TYPE_A);
        lookup_release(l);
        return;
    case MX_PLAN_IMPLICIT:
        l->phase = PHASE_IMPLICIT;
        l->outstanding = 1;
        l->implicit[0] = lookup_ask(l, l->domain, DNS_TYPE_A);
        l->implicit[1] = lookup_ask(l, l->domain, DNS_TYPE_AAAA);
        lookup_release(l);
        return;
    case MX_PLAN_EXCHANGES:
        start_exchanges(l);
        return;
    }
}

static void
after_nxdomain_check(struct lookup *l)
{
    const struct question_outcome *mx = outcome_of(l->mx);
    const char *reason = NULL;
    enum route_verdict v =
        classify_nxdomain_check(mx, outcome_of(l->check), &reason);

    lookup_finish(l, v, reason, mx->answer.ttl_s, mx->answer.neg_ttl_known);
}

static void
after_implicit(struct lookup *l)
{
    const struct question_outcome *mx = outcome_of(l->mx);
    struct exchange_eval eval;
    const char *reason = NULL;
    enum route_verdict v;
    uint32_t ttl;
    bool known;

    classify_implicit_host(outcome_of(l->implicit[0]),
                           outcome_of(l->implicit[1]), &eval);
    v = classify_implicit(&eval, &reason);

    /* The route lasts while both the NODATA for MX and the addresses
     * hold. */
    known = eval.ttl_known || mx->answer.neg_ttl_known;
    ttl = UINT32_MAX;
    if (eval.ttl_known)
        ttl = eval.ttl_s;
    if (mx->answer.neg_ttl_known)
        ttl = min32(ttl, mx->answer.ttl_s);
    lookup_finish(l, v, reason, known ? ttl : 0, known);
}

static void
after_exchanges(struct lookup *l)
{
    const struct question_outcome *mx = outcome_of(l->mx);
    struct exchange_eval *evals;
    const char *reason = NULL;
    enum route_verdict v;
    uint32_t ttl = mx->answer.ttl_s;

    evals = calloc(l->exchange_count ? l->exchange_count : 1, sizeof(*evals));
    if (!evals) {
        lookup_finish(l, ROUTE_TEMP_ERROR, "nomem", 0, false);
        return;
    }
    for (size_t i = 0; i < l->exchange_count; i++) {
        struct lookup_exchange *x = &l->exchanges[i];

        if (x->static_why) {
            x->eval.why_unusable = x->static_why;
            /* An exchange past the limit was never asked about, so it
             * cannot make "no usable host" definitive. */
            if (strcmp(x->static_why, "not_checked") == 0) {
                x->eval.temporary = true;
                x->eval.lookup_error = "not_checked";
            }
        } else {
            classify_exchange(outcome_of(x->questions[0]),
                              outcome_of(x->questions[1]), &x->eval);
        }
        evals[i] = x->eval;
    }
    v = classify_exchanges(evals, l->exchange_count, &reason);

    /* The verdict lasts while the MX RRset and the addresses it relied on
     * hold: usable exchanges for mx, every answered one otherwise. */
    for (size_t i = 0; i < l->exchange_count; i++) {
        if (!evals[i].ttl_known)
            continue;
        if (v != ROUTE_MX || evals[i].usable)
            ttl = min32(ttl, evals[i].ttl_s);
    }
    free(evals);
    lookup_finish(l, v, reason, ttl, true);
}

static void
lookup_advance(struct lookup *l)
{
    switch (l->phase) {
    case PHASE_MX:
        after_mx(l);
        break;
    case PHASE_NXDOMAIN_CHECK:
        after_nxdomain_check(l);
        break;
    case PHASE_IMPLICIT:
        after_implicit(l);
        break;
    case PHASE_EXCHANGES:
        after_exchanges(l);
        break;
    }
}

/* ---- raw queries ---- */

static void
raw_question_done(struct question *q)
{
    struct request *req = q->owner;
    struct resolver_raw_result *raw = calloc(1, sizeof(*raw));
    struct step_log *log = q->log;

    if (raw) {
        raw->status = q->outcome.answered ? 0 : -1;
        raw->rcode = q->outcome.answered ? q->outcome.rcode : q->last_rcode;
        raw->authoritative = q->last_aa;
        raw->answers = q->answers;
        raw->answer_count = q->answer_count;
        q->answers = NULL;
        q->answer_count = 0;
        if (!raw->answers)
            raw->answers = calloc(1, sizeof(char *));
        raw->steps = calloc(log->count ? log->count : 1, sizeof(*raw->steps));
        if (raw->steps) {
            for (size_t i = 0; i < log->count; i++) {
                raw->steps[i] = log->items[i].step;
                raw->steps[i].name = strdup(log->items[i].step.name);
                raw->steps[i].server = strdup(log->items[i].step.server);
                raw->step_count++;
            }
        }
    }
    req->raw_done(req->arg, raw);
    step_log_clear(log);
    free(log);
    question_free(q);
    free(req->name);
    free(req);
}

void
raw_start(struct resolver *r, struct request *req)
{
    struct step_log *log = calloc(1, sizeof(*log));
    struct question *q = NULL;

    if (log)
        q = question_new(r, req->name, req->type, (int)req->server_index, log,
                         raw_question_done, req);
    if (!q) {
        free(log);
        req->raw_done(req->arg, NULL);
        free(req->name);
        free(req);
        return;
    }
    q->keep_answers = true;
    question_start(q);
}

void
resolver_raw_result_free(struct resolver_raw_result *raw)
{
    if (!raw)
        return;
    for (size_t i = 0; i < raw->answer_count; i++)
        free(raw->answers[i]);
    free(raw->answers);
    for (size_t i = 0; i < raw->step_count; i++) {
        free((char *)raw->steps[i].name);
        free((char *)raw->steps[i].server);
    }
    free(raw->steps);
    free(raw);
}
