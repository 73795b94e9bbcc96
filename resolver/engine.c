/*
 * engine.c - the resolver object, its event thread, submissions,
 * single-flight merging and waiter deadlines.
 *
 * Submitting threads normalize the domain and try the cache themselves;
 * only misses are queued for the event thread (a mutex-guarded list plus
 * an eventfd wakeup).  Before queuing, a miss must be admitted against
 * max_inflight (admission.h), so the queue and the lookups in flight
 * stay bounded together.  The event thread owns the c-ares channels, the
 * table of lookups in flight (so identical domains merge into one) and a
 * min-heap of waiter deadlines.  c-ares reports the sockets to watch
 * through ARES_OPT_SOCK_STATE_CB, and the event thread registers them
 * with epoll.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "engine_internal.h"
#include "result.h"

/* Tag of the eventfd in epoll data; channel sockets carry index << 32. */
#define EVENT_FD_TAG UINT64_MAX
/* How long a blocking caller waits past its deadline for the event
 * thread's own deadline result before giving up on its own. */
#define SYNC_GRACE_MS 2000

/* ---- clocks and small helpers ---- */

uint64_t
engine_monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
engine_monotonic_ms(void)
{
    return engine_monotonic_ns() / 1000000u;
}

uint64_t
engine_clock_ms(const struct resolver *r)
{
    if (r->options.clock)
        return r->options.clock(r->options.clock_arg);
    return engine_monotonic_ms();
}

uint32_t
engine_hash(const char *text)
{
    uint32_t h = 2166136261u;

    for (; *text; text++) {
        h ^= (unsigned char)*text;
        h *= 16777619u;
    }
    return h;
}

void
resolver_options_init(struct resolver_options *o)
{
    memset(o, 0, sizeof(*o));
    o->step_timeout_ms = 1000;
    o->edns_ladder[0] = 1232;
    o->edns_ladder[1] = 512;
    o->edns_ladder_count = 2;
    o->tcp_fallback = true;
    o->edns_memory_s = 900;
    o->cache_size = 10000;
    o->ttl_min_s = 60;
    o->ttl_max_s = 86400;
    o->negative_ttl_min_s = 30;
    o->negative_ttl_max_s = 3600;
    o->temp_error_ttl_s = 5;
    o->stale_window_s = 3600;
    o->host_cache_slots = 4096;
    o->max_inflight = 1000;
    o->max_exchanges = 10;
    o->cname_max = 8;
}

/* ---- deadline heap (event thread) ---- */

static void
heap_swap(struct resolver *r, size_t a, size_t b)
{
    struct waiter *t = r->heap[a];

    r->heap[a] = r->heap[b];
    r->heap[b] = t;
    r->heap[a]->heap_index = a;
    r->heap[b]->heap_index = b;
}

static void
heap_up(struct resolver *r, size_t i)
{
    while (i > 0) {
        size_t parent = (i - 1) / 2;

        if (r->heap[parent]->deadline_ms <= r->heap[i]->deadline_ms)
            break;
        heap_swap(r, i, parent);
        i = parent;
    }
}

static void
heap_down(struct resolver *r, size_t i)
{
    for (;;) {
        size_t left = 2 * i + 1, right = left + 1, least = i;

        if (left < r->heap_count &&
            r->heap[left]->deadline_ms < r->heap[least]->deadline_ms)
            least = left;
        if (right < r->heap_count &&
            r->heap[right]->deadline_ms < r->heap[least]->deadline_ms)
            least = right;
        if (least == i)
            return;
        heap_swap(r, i, least);
        i = least;
    }
}

static int
heap_push(struct resolver *r, struct waiter *w)
{
    if (r->heap_count == r->heap_capacity) {
        size_t cap = r->heap_capacity ? r->heap_capacity * 2 : 64;
        struct waiter **heap = realloc(r->heap, cap * sizeof(*heap));

        if (!heap)
            return -1;
        r->heap = heap;
        r->heap_capacity = cap;
    }
    w->heap_index = r->heap_count;
    r->heap[r->heap_count++] = w;
    heap_up(r, w->heap_index);
    return 0;
}

static void
heap_remove(struct resolver *r, struct waiter *w)
{
    size_t i = w->heap_index;

    r->heap_count--;
    if (i != r->heap_count) {
        r->heap[i] = r->heap[r->heap_count];
        r->heap[i]->heap_index = i;
        heap_down(r, i);
        heap_up(r, i);
    }
}

/* ---- pending lookups (event thread) ---- */

static struct lookup **
pending_slot(struct resolver *r, const char *domain, uint32_t hash)
{
    struct lookup **slot = &r->pending[hash % PENDING_BUCKETS];

    while (*slot &&
           ((*slot)->hash != hash || strcmp((*slot)->domain, domain) != 0))
        slot = &(*slot)->hash_next;
    return slot;
}

static void
waiter_deliver(struct waiter *w, struct route_result *result)
{
    w->done(w->arg, result);
    free(w);
}

void
engine_lookup_finished(struct lookup *l, struct route_result *result)
{
    struct resolver *r = l->resolver;
    struct lookup **slot = pending_slot(r, l->domain, l->hash);
    struct waiter *w = l->waiters;

    if (l->shared && *slot == l) {
        *slot = l->hash_next;
        r->pending_count--;
        atomic_fetch_sub_explicit(&r->stat_inflight, 1, memory_order_relaxed);
    }
    /* The place under max_inflight is given back before any waiter
     * learns the result, so a caller that submits again at once finds
     * it free. */
    if (l->admitted) {
        admission_leave(r->admission, l->only_server >= 0 ? NULL : l->domain);
        l->admitted = false;
    }
    while (w) {
        struct waiter *next = w->next;

        heap_remove(r, w);
        waiter_deliver(w, route_result_ref(result));
        w = next;
    }
    route_result_unref(result);
    lookup_free(l);
}

/* Deliver the deadline result: the stale route when the cache has one. */
static void
waiter_expire(struct resolver *r, struct waiter *w)
{
    struct route_result *result = NULL;

    if (r->cache)
        result = route_cache_get_stale(r->cache, w->domain, engine_clock_ms(r),
                                       "deadline");
    if (result)
        atomic_fetch_add_explicit(&r->stat_stale, 1, memory_order_relaxed);
    else
        result = route_result_simple(ROUTE_TEMP_ERROR, w->domain, "deadline");
    waiter_deliver(w, result);
}

static void
expire_waiters(struct resolver *r)
{
    uint64_t now = engine_monotonic_ms();

    while (r->heap_count > 0 && r->heap[0]->deadline_ms <= now) {
        struct waiter *w = r->heap[0];
        struct lookup *l = w->lookup;

        heap_remove(r, w);
        if (w->prev)
            w->prev->next = w->next;
        else
            l->waiters = w->next;
        if (w->next)
            w->next->prev = w->prev;
        waiter_expire(r, w);
    }
}

/*
 * Attach a waiter to the lookup of its domain, starting one if needed.
 * Takes over the admission reference of the request: a new lookup keeps
 * it, and otherwise it is released before the waiter learns a result.
 * The submitting thread already admitted the domain, so the lookups in
 * flight stay within max_inflight here.
 */
static void
route_request(struct resolver *r, struct waiter *w)
{
    uint32_t hash = engine_hash(w->domain);
    struct lookup **slot = pending_slot(r, w->domain, hash);
    struct lookup *l = *slot;
    struct route_result *cached = NULL;

    if (l) {
        /* The lookup in flight has its own reference. */
        admission_leave(r->admission, w->domain);
        atomic_fetch_add_explicit(&r->stat_merged, 1, memory_order_relaxed);
    } else {
        /* Another lookup may have filled the cache since the submitting
         * thread looked. */
        if (r->cache && route_cache_get(r->cache, w->domain, engine_clock_ms(r),
                                        &cached) != CACHE_MISS) {
            admission_leave(r->admission, w->domain);
            atomic_fetch_add_explicit(&r->stat_hits, 1, memory_order_relaxed);
            waiter_deliver(w, cached);
            return;
        }
        l = lookup_new(r, w->domain);
        if (!l) {
            admission_leave(r->admission, w->domain);
            waiter_deliver(
                w, route_result_simple(ROUTE_TEMP_ERROR, w->domain, "nomem"));
            return;
        }
        l->hash_next = NULL;
        l->shared = true;
        l->admitted = true;
        *slot = l;
        r->pending_count++;
        atomic_fetch_add_explicit(&r->stat_inflight, 1, memory_order_relaxed);
    }

    if (heap_push(r, w) < 0) {
        waiter_deliver(
            w, route_result_simple(ROUTE_TEMP_ERROR, w->domain, "nomem"));
        if (!l->waiters && l->outstanding == 0 && !l->mx) {
            *slot = l->hash_next;
            r->pending_count--;
            atomic_fetch_sub_explicit(&r->stat_inflight, 1,
                                      memory_order_relaxed);
            lookup_free(l);
        }
        return;
    }
    w->lookup = l;
    w->prev = NULL;
    w->next = l->waiters;
    if (l->waiters)
        l->waiters->prev = w;
    l->waiters = w;

    if (!l->mx && l->outstanding == 0)
        lookup_run(l);
}

/* Start a private lookup on one server for a single waiter.  Takes over
 * the admission reference of the request, like route_request. */
static void
route_request_on(struct resolver *r, struct waiter *w, unsigned server_index,
                 bool tcp_only)
{
    struct lookup *l;

    if (server_index >= r->server_count) {
        admission_leave(r->admission, NULL);
        waiter_deliver(
            w, route_result_simple(ROUTE_TEMP_ERROR, w->domain, "no_server"));
        return;
    }
    l = lookup_new(r, w->domain);
    if (!l || heap_push(r, w) < 0) {
        lookup_free(l);
        admission_leave(r->admission, NULL);
        waiter_deliver(
            w, route_result_simple(ROUTE_TEMP_ERROR, w->domain, "nomem"));
        return;
    }
    l->only_server = (int)server_index;
    l->tcp_only = tcp_only;
    l->admitted = true;
    w->lookup = l;
    w->prev = w->next = NULL;
    l->waiters = w;
    lookup_run(l);
}

static void
drain_queue(struct resolver *r)
{
    struct request *req;

    pthread_mutex_lock(&r->queue_lock);
    req = r->queue_head;
    r->queue_head = r->queue_tail = NULL;
    pthread_mutex_unlock(&r->queue_lock);

    while (req) {
        struct request *next = req->next;

        if (req->waiter && req->only_server >= 0) {
            route_request_on(r, req->waiter, (unsigned)req->only_server,
                             req->tcp_only);
            free(req);
        } else if (req->waiter) {
            route_request(r, req->waiter);
            free(req);
        } else {
            raw_start(r, req);
        }
        req = next;
    }
}

/* ---- the event loop ---- */

void
engine_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    struct channel *ch = data;
    struct resolver *r = ch->resolver;
    struct epoll_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
    ev.data.u64 = ((uint64_t)ch->index << 32) | (uint32_t)fd;
    if (!readable && !writable) {
        epoll_ctl(r->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
        return;
    }
    if (epoll_ctl(r->epoll_fd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
        epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

static int
next_timeout_ms(struct resolver *r)
{
    uint64_t best_us = UINT64_MAX;

    for (unsigned i = 0; i < r->channel_count; i++) {
        struct channel *ch = r->channels[i];
        struct timeval tv, *tvp;

        if (ch->active == 0)
            continue;
        tvp = ares_timeout(ch->ares, NULL, &tv);
        if (tvp) {
            uint64_t us =
                (uint64_t)tvp->tv_sec * 1000000u + (uint64_t)tvp->tv_usec;

            if (us < best_us)
                best_us = us;
        }
    }
    if (r->heap_count > 0) {
        uint64_t now = engine_monotonic_ms();
        uint64_t d = r->heap[0]->deadline_ms;
        uint64_t us = d > now ? (d - now) * 1000u : 0;

        if (us < best_us)
            best_us = us;
    }
    if (best_us == UINT64_MAX)
        return -1;
    /* Round up so a timer is never polled for just before it is due. */
    return (int)((best_us + 999) / 1000);
}

static void *
event_thread(void *arg)
{
    struct resolver *r = arg;
    struct epoll_event events[64];

    for (;;) {
        int timeout = next_timeout_ms(r);
        int n = epoll_wait(r->epoll_fd, events, 64, timeout);
        bool stop;

        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            uint64_t tag = events[i].data.u64;
            struct channel *ch;
            int fd;
            uint32_t ev = events[i].events;

            if (tag == EVENT_FD_TAG) {
                uint64_t count;

                if (read(r->event_fd, &count, sizeof(count)) < 0 &&
                    errno != EAGAIN)
                    break;
                continue;
            }
            ch = r->channels[tag >> 32];
            fd = (int)(uint32_t)tag;
            ares_process_fd(
                ch->ares,
                (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? fd : ARES_SOCKET_BAD,
                (ev & EPOLLOUT) ? fd : ARES_SOCKET_BAD);
        }

        pthread_mutex_lock(&r->queue_lock);
        stop = r->stopping;
        pthread_mutex_unlock(&r->queue_lock);
        if (stop) {
            atomic_store(&r->stop_seen, true);
            break;
        }
        drain_queue(r);

        /* Timeouts: c-ares checks them on every process call. */
        for (unsigned i = 0; i < r->channel_count; i++) {
            if (r->channels[i]->active > 0)
                ares_process_fd(r->channels[i]->ares, ARES_SOCKET_BAD,
                                ARES_SOCKET_BAD);
        }
        expire_waiters(r);
    }
    return NULL;
}

/* ---- construction ---- */

struct resolver *
resolver_new(const struct resolver_options *options, char *err, size_t errlen)
{
    struct resolver *r;
    struct epoll_event ev;
    int rc;

    if (!options || options->server_count == 0 ||
        options->server_count > RESOLVER_MAX_SERVERS) {
        snprintf(err, errlen, "between 1 and %d servers are required",
                 RESOLVER_MAX_SERVERS);
        return NULL;
    }
    if (options->edns_ladder_count > RESOLVER_MAX_LADDER) {
        snprintf(err, errlen, "at most %d EDNS payloads are allowed",
                 RESOLVER_MAX_LADDER);
        return NULL;
    }
    for (unsigned i = 0; i < options->edns_ladder_count; i++) {
        if (options->edns_ladder[i] < 512) {
            snprintf(err, errlen,
                     "EDNS payload %u is below 512 bytes (RFC 6891)",
                     options->edns_ladder[i]);
            return NULL;
        }
    }
    if (options->step_timeout_ms == 0) {
        snprintf(err, errlen, "step timeout must be at least 1 ms");
        return NULL;
    }
    rc = ares_library_init(ARES_LIB_INIT_ALL);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares initialization failed: %s",
                 ares_strerror(rc));
        return NULL;
    }

    r = calloc(1, sizeof(*r));
    if (!r) {
        snprintf(err, errlen, "out of memory");
        ares_library_cleanup();
        return NULL;
    }
    r->options = *options;
    r->epoll_fd = r->event_fd = -1;
    pthread_mutex_init(&r->queue_lock, NULL);
    atomic_init(&r->stop_seen, false);

    for (unsigned i = 0; i < options->server_count; i++) {
        r->server_copies[i] = strdup(options->servers[i]);
        r->options.servers[i] = r->server_copies[i];
        if (!r->server_copies[i]) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        r->servers[i].index = i;
        if (server_parse(options->servers[i], &r->servers[i], err, errlen) < 0)
            goto fail;
    }
    r->server_count = options->server_count;

    r->ladder.payload_count = options->edns_ladder_count;
    memcpy(r->ladder.payloads, options->edns_ladder,
           sizeof(r->ladder.payloads));
    r->ladder.tcp = options->tcp_fallback;
    r->ladder.memory_ms = options->edns_memory_s * 1000u;
    r->limits.ttl_min_s = options->ttl_min_s;
    r->limits.ttl_max_s = options->ttl_max_s;
    r->limits.negative_ttl_min_s = options->negative_ttl_min_s;
    r->limits.negative_ttl_max_s = options->negative_ttl_max_s;
    r->limits.temp_error_ttl_s = options->temp_error_ttl_s;
    if (r->options.max_exchanges == 0)
        r->options.max_exchanges = 1;

    if (options->cache_size > 0) {
        r->cache = route_cache_new(options->cache_size,
                                   (uint64_t)options->stale_window_s * 1000,
                                   (uint64_t)options->temp_error_ttl_s * 1000);
        if (!r->cache) {
            snprintf(err, errlen, "out of memory for the cache");
            goto fail;
        }
    }

    r->admission = admission_new(options->max_inflight);
    if (!r->admission) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }

    if (options->host_cache_slots > 0) {
        r->hosts =
            host_cache_new(options->host_cache_slots, options->ttl_max_s);
        if (!r->hosts) {
            snprintf(err, errlen, "out of memory for the exchange cache");
            goto fail;
        }
    }

    r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    r->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->epoll_fd < 0 || r->event_fd < 0) {
        snprintf(err, errlen, "epoll or eventfd setup failed: %s",
                 strerror(errno));
        goto fail;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.u64 = EVENT_FD_TAG;
    if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, r->event_fd, &ev) < 0) {
        snprintf(err, errlen, "epoll setup failed: %s", strerror(errno));
        goto fail;
    }

    if (channels_init(r, err, errlen) < 0)
        goto fail;

    rc = pthread_create(&r->thread, NULL, event_thread, r);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the event thread: %s",
                 strerror(rc));
        goto fail;
    }
    r->thread_started = true;
    return r;

fail:
    resolver_free(r);
    return NULL;
}

static void
wake(struct resolver *r)
{
    uint64_t one = 1;

    /* EAGAIN means the counter is already non-zero: a wakeup is due. */
    if (write(r->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
        return;
}

void
resolver_free(struct resolver *r)
{
    if (!r)
        return;
    if (r->thread_started) {
        pthread_mutex_lock(&r->queue_lock);
        r->stopping = true;
        pthread_mutex_unlock(&r->queue_lock);
        wake(r);
        pthread_join(r->thread, NULL);
        r->thread_started = false;
    }
    atomic_store(&r->stop_seen, true);

    /* The event thread is gone: this thread owns everything now.  Queued
     * requests and every lookup in flight end with "shutdown". */
    drain_queue(r);
    channels_destroy(r);
    while (r->heap_count > 0) {
        struct waiter *w = r->heap[0];

        heap_remove(r, w);
        waiter_deliver(
            w, route_result_simple(ROUTE_TEMP_ERROR, w->domain, "shutdown"));
    }
    for (unsigned i = 0; i < PENDING_BUCKETS; i++) {
        while (r->pending[i]) {
            struct lookup *l = r->pending[i];

            r->pending[i] = l->hash_next;
            lookup_free(l);
        }
    }

    if (r->epoll_fd >= 0)
        close(r->epoll_fd);
    if (r->event_fd >= 0)
        close(r->event_fd);
    route_cache_free(r->cache);
    host_cache_free(r->hosts);
    /* Freed after every lookup, because freeing a lookup releases its
     * admission reference. */
    admission_free(r->admission);
    free(r->heap);
    for (unsigned i = 0; i < RESOLVER_MAX_SERVERS; i++)
        free(r->server_copies[i]);
    pthread_mutex_destroy(&r->queue_lock);
    free(r);
    ares_library_cleanup();
}

/* ---- submission ---- */

/* Append a request for the event thread.  Route lookups are admitted
 * first (route_admit), which bounds the queue by max_inflight.  Raw
 * queries are not counted. */
static int
enqueue(struct resolver *r, struct request *req)
{
    bool stopping;
    bool was_empty = false;

    pthread_mutex_lock(&r->queue_lock);
    stopping = r->stopping;
    if (!stopping) {
        req->next = NULL;
        was_empty = r->queue_head == NULL;
        if (r->queue_tail)
            r->queue_tail->next = req;
        else
            r->queue_head = req;
        r->queue_tail = req;
    }
    pthread_mutex_unlock(&r->queue_lock);
    if (stopping)
        return -1;
    /* A queue that was not empty already has a wakeup on its way: the
     * event thread empties the whole queue after each wakeup. */
    if (was_empty)
        wake(r);
    return 0;
}

/*
 * Return the result of a route lookup that needs no event thread: address
 * literals, invalid names and cache hits (also stale routes during a
 * failed refresh).  Returns NULL, with the normalized domain in
 * normalized, when a lookup must run.
 */
static struct route_result *
answer_immediately(struct resolver *r, const char *domain, int only_server,
                   char *normalized)
{
    const char *reason = NULL;
    struct route_result *result = NULL;
    enum name_kind kind;

    atomic_fetch_add_explicit(&r->stat_lookups, 1, memory_order_relaxed);
    kind = name_normalize(domain, normalized, NAME_MAX_TEXT + 1, &reason);
    if (kind == NAME_ADDRESS_LITERAL)
        return route_result_simple(ROUTE_ADDRESS_LITERAL, normalized, NULL);
    if (kind == NAME_INVALID) {
        result = route_result_simple(ROUTE_INVALID, "", reason);
        normalized[0] = '\0';
        return result;
    }
    if (r->cache && only_server < 0) {
        enum cache_lookup c =
            route_cache_get(r->cache, normalized, engine_clock_ms(r), &result);

        if (c == CACHE_FRESH)
            atomic_fetch_add_explicit(&r->stat_hits, 1, memory_order_relaxed);
        else if (c == CACHE_STALE)
            atomic_fetch_add_explicit(&r->stat_stale, 1, memory_order_relaxed);
    }
    return result;
}

/*
 * Count a lookup of normalized (on one server when only_server >= 0)
 * against max_inflight before it is queued.  Returns NULL when it is
 * admitted, which holds an admission reference that the request carries
 * to the event thread.  Otherwise returns the result that completes the
 * submission at once.  Past the limit that is the stale route when the
 * cache has one, else temp_error "inflight_limit".  Out of memory it is
 * temp_error "nomem".  A domain already queued or in flight is always admitted.
 */
static struct route_result *
route_admit(struct resolver *r, const char *normalized, int only_server)
{
    switch (
        admission_enter(r->admission, only_server >= 0 ? NULL : normalized)) {
    case ADMISSION_NEW:
    case ADMISSION_MERGED:
        return NULL;
    case ADMISSION_FULL:
        atomic_fetch_add_explicit(&r->stat_limited, 1, memory_order_relaxed);
        /* The limit is reached when DNS is slow, which is when a stale
         * known-good route matters most. */
        if (r->cache && only_server < 0) {
            struct route_result *stale = route_cache_get_stale(
                r->cache, normalized, engine_clock_ms(r), "inflight_limit");

            if (stale) {
                atomic_fetch_add_explicit(&r->stat_stale, 1,
                                          memory_order_relaxed);
                return stale;
            }
        }
        return route_result_simple(ROUTE_TEMP_ERROR, normalized,
                                   "inflight_limit");
    case ADMISSION_NOMEM:
        break;
    }
    return route_result_simple(ROUTE_TEMP_ERROR, normalized, "nomem");
}

/* Release the admission reference of a lookup that was never queued. */
static void
route_unadmit(struct resolver *r, const char *normalized, int only_server)
{
    admission_leave(r->admission, only_server >= 0 ? NULL : normalized);
}

/* Queue an admitted lookup of an already normalized domain for the event
 * thread.  done runs exactly once.  When queuing fails it runs here, after
 * the admission reference is released. */
static void
queue_route(struct resolver *r, const char *normalized, unsigned deadline_ms,
            int only_server, bool tcp_only, resolver_done_fn done, void *arg)
{
    struct waiter *w = calloc(1, sizeof(*w));
    struct request *req = calloc(1, sizeof(*req));

    if (!w || !req) {
        free(w);
        free(req);
        route_unadmit(r, normalized, only_server);
        done(arg, route_result_simple(ROUTE_TEMP_ERROR, normalized, "nomem"));
        return;
    }
    memcpy(w->domain, normalized, strlen(normalized) + 1);
    w->deadline_ms = engine_monotonic_ms() + deadline_ms;
    w->done = done;
    w->arg = arg;
    req->waiter = w;
    req->only_server = only_server;
    req->tcp_only = tcp_only;
    if (enqueue(r, req) < 0) {
        free(w);
        free(req);
        route_unadmit(r, normalized, only_server);
        done(arg,
             route_result_simple(ROUTE_TEMP_ERROR, normalized, "shutdown"));
    }
}

static void
submit_route(struct resolver *r, const char *domain, unsigned deadline_ms,
             int only_server, bool tcp_only, resolver_done_fn done, void *arg)
{
    char normalized[NAME_MAX_TEXT + 1];
    struct route_result *result;

    result = answer_immediately(r, domain, only_server, normalized);
    if (!result)
        result = route_admit(r, normalized, only_server);
    if (result) {
        done(arg, result);
        return;
    }
    queue_route(r, normalized, deadline_ms, only_server, tcp_only, done, arg);
}

void
resolver_route_lookup_async(struct resolver *r, const char *domain,
                            unsigned deadline_ms, resolver_done_fn done,
                            void *arg)
{
    submit_route(r, domain, deadline_ms, -1, false, done, arg);
}

/* A blocking caller's rendezvous with the callback. */
struct sync_wait {
    pthread_mutex_t lock; /* guards result, finished and abandoned */
    pthread_cond_t cond;
    struct route_result *result;
    bool finished;
    bool abandoned;
    atomic_uint refs; /* caller and callback */
};

static void
sync_wait_unref(struct sync_wait *s)
{
    if (atomic_fetch_sub(&s->refs, 1) == 1) {
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cond);
        free(s);
    }
}

static void
sync_done(void *arg, struct route_result *result)
{
    struct sync_wait *s = arg;

    pthread_mutex_lock(&s->lock);
    if (s->abandoned) {
        route_result_unref(result);
    } else {
        s->result = result;
        s->finished = true;
        pthread_cond_signal(&s->cond);
    }
    pthread_mutex_unlock(&s->lock);
    sync_wait_unref(s);
}

static struct route_result *
lookup_blocking(struct resolver *r, const char *domain, unsigned deadline_ms,
                int only_server, bool tcp_only)
{
    char normalized[NAME_MAX_TEXT + 1];
    struct sync_wait *s;
    pthread_condattr_t attr;
    struct timespec until;
    struct route_result *result;
    uint64_t total_ms = (uint64_t)deadline_ms + SYNC_GRACE_MS;

    /* Cache hits and lookups past max_inflight never touch the event
     * thread or allocate a rendezvous. */
    result = answer_immediately(r, domain, only_server, normalized);
    if (!result)
        result = route_admit(r, normalized, only_server);
    if (result)
        return result;

    s = calloc(1, sizeof(*s));
    if (!s) {
        route_unadmit(r, normalized, only_server);
        return route_result_simple(ROUTE_TEMP_ERROR, normalized, "nomem");
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &attr);
    pthread_condattr_destroy(&attr);
    atomic_init(&s->refs, 2);

    queue_route(r, normalized, deadline_ms, only_server, tcp_only, sync_done,
                s);

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(total_ms / 1000);
    until.tv_nsec += (long)(total_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }

    pthread_mutex_lock(&s->lock);
    while (!s->finished) {
        if (pthread_cond_timedwait(&s->cond, &s->lock, &until) == ETIMEDOUT)
            break;
    }
    result = s->result;
    if (!s->finished)
        s->abandoned = true;
    pthread_mutex_unlock(&s->lock);
    sync_wait_unref(s);

    /* The event thread missed the deadline by the whole grace period, or
     * memory ran out, so the deadline result is made here. */
    if (!result)
        result = route_result_simple(ROUTE_TEMP_ERROR, normalized, "deadline");
    return result;
}

struct route_result *
resolver_route_lookup(struct resolver *r, const char *domain,
                      unsigned deadline_ms)
{
    return lookup_blocking(r, domain, deadline_ms, -1, false);
}

struct route_result *
resolver_route_lookup_on(struct resolver *r, const char *domain,
                         unsigned server_index, bool tcp_only,
                         unsigned deadline_ms)
{
    if (server_index >= r->server_count)
        return route_result_simple(ROUTE_TEMP_ERROR, "", "no_server");
    return lookup_blocking(r, domain, deadline_ms, (int)server_index, tcp_only);
}

int
resolver_raw_query_async(struct resolver *r, unsigned server_index,
                         const char *name, uint16_t type,
                         resolver_raw_done_fn done, void *arg)
{
    char normalized[NAME_MAX_TEXT + 1];
    const char *reason;
    struct request *req;

    if (server_index >= r->server_count ||
        name_normalize(name, normalized, sizeof(normalized), &reason) !=
            NAME_DOMAIN) {
        struct resolver_raw_result *raw = calloc(1, sizeof(*raw));

        if (raw) {
            raw->status = -1;
            raw->rcode = ROUTE_RCODE_NONE;
            raw->answers = calloc(1, sizeof(char *));
        }
        done(arg, raw);
        return -1;
    }
    req = calloc(1, sizeof(*req));
    if (req)
        req->name = strdup(normalized);
    if (!req || !req->name) {
        if (req)
            free(req);
        done(arg, NULL);
        return -1;
    }
    req->only_server = -1;
    req->server_index = server_index;
    req->type = type;
    req->raw_done = done;
    req->arg = arg;
    if (enqueue(r, req) < 0) {
        free(req->name);
        free(req);
        done(arg, NULL);
        return -1;
    }
    return 0;
}

struct raw_wait {
    pthread_mutex_t lock; /* guards raw, finished and abandoned */
    pthread_cond_t cond;
    struct resolver_raw_result *raw;
    bool finished;
    bool abandoned;
    atomic_uint refs;
};

static void
raw_wait_unref(struct raw_wait *w)
{
    if (atomic_fetch_sub(&w->refs, 1) == 1) {
        pthread_mutex_destroy(&w->lock);
        pthread_cond_destroy(&w->cond);
        free(w);
    }
}

static void
raw_sync_done(void *arg, struct resolver_raw_result *raw)
{
    struct raw_wait *w = arg;

    pthread_mutex_lock(&w->lock);
    if (w->abandoned) {
        resolver_raw_result_free(raw);
    } else {
        w->raw = raw;
        w->finished = true;
        pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
    raw_wait_unref(w);
}

struct resolver_raw_result *
resolver_raw_query(struct resolver *r, unsigned server_index, const char *name,
                   uint16_t type, unsigned deadline_ms)
{
    struct raw_wait *w = calloc(1, sizeof(*w));
    pthread_condattr_t attr;
    struct timespec until;
    struct resolver_raw_result *raw;

    if (!w)
        return NULL;
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cond, &attr);
    pthread_condattr_destroy(&attr);
    atomic_init(&w->refs, 2);

    resolver_raw_query_async(r, server_index, name, type, raw_sync_done, w);

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(deadline_ms / 1000);
    until.tv_nsec += (long)(deadline_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->lock);
    while (!w->finished) {
        if (pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT)
            break;
    }
    raw = w->raw;
    if (!w->finished)
        w->abandoned = true;
    pthread_mutex_unlock(&w->lock);
    raw_wait_unref(w);
    return raw;
}

uint32_t
resolver_domain_hash(const char *domain)
{
    return engine_hash(domain);
}

const char *
resolver_server_name(const struct resolver *r, unsigned server_index)
{
    if (!r || server_index >= r->server_count)
        return NULL;
    return r->servers[server_index].text;
}

unsigned
resolver_server_count(const struct resolver *r)
{
    return r ? r->server_count : 0;
}

void
resolver_get_stats(struct resolver *r, struct resolver_stats *stats)
{
    memset(stats, 0, sizeof(*stats));
    stats->lookups =
        atomic_load_explicit(&r->stat_lookups, memory_order_relaxed);
    stats->cache_hits =
        atomic_load_explicit(&r->stat_hits, memory_order_relaxed);
    stats->cache_stale =
        atomic_load_explicit(&r->stat_stale, memory_order_relaxed);
    stats->merged = atomic_load_explicit(&r->stat_merged, memory_order_relaxed);
    stats->inflight_limited =
        atomic_load_explicit(&r->stat_limited, memory_order_relaxed);
    stats->queries_sent =
        atomic_load_explicit(&r->stat_queries, memory_order_relaxed);
    stats->inflight =
        atomic_load_explicit(&r->stat_inflight, memory_order_relaxed);
    stats->admitted = admission_count(r->admission);
    stats->cache_entries = r->cache ? route_cache_count(r->cache) : 0;
}
