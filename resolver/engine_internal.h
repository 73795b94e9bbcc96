/*
 * engine_internal.h - state shared by the engine's files (private).
 *
 * Everything below the "event thread only" marks is touched only by the
 * event thread, which owns every c-ares channel (a c-ares 1.18 channel is
 * not thread-safe).
 */
#ifndef MXW_ENGINE_INTERNAL_H
#define MXW_ENGINE_INTERNAL_H

#include <ares.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "admission.h"
#include "cache.h"
#include "classify.h"
#include "dnsmsg.h"
#include "hostcache.h"
#include "ladder.h"
#include "name.h"
#include "resolver.h"

#define STEP_BUCKETS 256
#define PENDING_BUCKETS 4096
/* Largest UDP reply read by the socket wrapper (the UDP maximum). */
#define UDP_REPLY_MAX 65536

struct step;
struct server;

/* One c-ares channel: one server, one transport. */
struct channel {
    struct resolver *resolver;
    struct server *server;
    unsigned index; /* in resolver->channels */
    bool tcp;       /* ARES_FLAG_USEVC channel */
    ares_channel ares;
    bool ares_ready;
    struct step *steps[STEP_BUCKETS]; /* in flight, by query id */
    unsigned active;                  /* steps in flight */
    /* TCP only: the step error word of the first failure the socket
     * wrapper saw on the current connection, NULL before one. */
    const char *tcp_failure;
};

struct server {
    unsigned index;
    char text[64]; /* "127.0.0.1:53", "[::1]:53" */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    struct channel udp, tcp;
    struct ladder_memory memory; /* EDNS rung that last answered */
};

/* One evidence entry; route_step.name points at name. */
struct step_record {
    struct route_step step;
    char *name;
    unsigned server_index;
};

struct step_log {
    struct step_record *items;
    size_t count, capacity;
};

struct question;
typedef void (*question_done_fn)(struct question *question);

/* One question (name, type) run through the ladder over the servers,
 * following CNAMEs the reply leaves unanswered. */
struct question {
    struct resolver *resolver;
    char *name;  /* current name (a CNAME target later) */
    char *asked; /* the name first asked */
    uint16_t type;
    int only_server; /* -1: every server in order */
    bool tcp_only;   /* every step over TCP, no EDNS */
    unsigned server_pos;
    unsigned rung;
    int truncated_rung; /* UDP rung that returned TC, or -1 */
    unsigned attempts;
    unsigned cname_links_total; /* over every re-ask */
    const char *last_error;
    int last_rcode;
    int last_server;
    bool keep_answers; /* raw queries: format the answers */
    bool last_aa;
    char **answers;
    size_t answer_count;
    struct step_log *log;  /* owner's evidence */
    question_done_fn done; /* called once, outcome filled */
    void *owner;
    struct question_outcome outcome;
};

struct step {
    struct question *question;
    struct channel *channel;
    struct step *hash_next;
    uint16_t id;
    uint16_t payload;
    unsigned rung;
    unsigned attempt;
    size_t query_len;
    unsigned char query[DNS_QUERY_MAX];
    unsigned char *reply; /* UDP reply captured by the wrapper */
    size_t reply_len;
    bool mismatch_seen;
    /* UDP only: the error word of the last socket failure the wrapper
     * saw on this step's channel while the step was in flight, or NULL.
     * c-ares 1.18.1 reports every such failure as ARES_ECONNREFUSED. */
    const char *socket_error;
    uint64_t started_ns;
};

/* A waiter of a route lookup: one per submission. */
struct waiter {
    char domain[NAME_MAX_TEXT + 1];
    uint64_t deadline_ms; /* real monotonic clock */
    resolver_done_fn done;
    void *arg;
    size_t heap_index;
    struct lookup *lookup;
    struct waiter *prev, *next; /* in lookup->waiters */
};

/* A submission queued for the event thread. */
struct request {
    struct request *next;
    struct waiter *waiter; /* route lookup, or NULL for raw */
    int only_server;       /* route lookup on one server, or -1 */
    bool tcp_only;
    unsigned server_index; /* raw query */
    char *name;
    uint16_t type;
    resolver_raw_done_fn raw_done;
    void *arg;
};

/* An exchange of a route lookup and its address questions. */
struct lookup_exchange {
    char *name;
    uint16_t preference;
    const char *static_why;        /* "ip_literal", "localhost",
                                      "not_checked", or NULL */
    struct question *questions[2]; /* A, AAAA */
    struct exchange_eval eval;
};

enum lookup_phase {
    PHASE_MX = 0,
    PHASE_NXDOMAIN_CHECK,
    PHASE_IMPLICIT,
    PHASE_EXCHANGES,
};

/* One route lookup in flight, shared by every waiter of its domain. */
struct lookup {
    struct resolver *resolver;
    int only_server; /* -1, or the one server to ask */
    bool tcp_only;
    bool shared;   /* in the pending table, cached */
    bool admitted; /* holds an admission reference, released when the
                      lookup is freed */
    struct lookup *hash_next;
    uint32_t hash;
    char domain[NAME_MAX_TEXT + 1];
    struct waiter *waiters;
    enum lookup_phase phase;
    unsigned outstanding; /* questions not done, plus one while
                             a phase is starting */
    struct step_log log;
    struct question *mx;
    struct question *check; /* A for the NXDOMAIN check */
    struct question *implicit[2];
    struct lookup_exchange *exchanges;
    size_t exchange_count;
};

struct resolver {
    struct resolver_options options;
    char *server_copies[RESOLVER_MAX_SERVERS];
    struct ladder_config ladder;
    struct ttl_limits limits;
    struct server servers[RESOLVER_MAX_SERVERS];
    unsigned server_count;
    struct channel *channels[RESOLVER_MAX_SERVERS * 2];
    unsigned channel_count;

    uint64_t last_lookup_id; /* event thread only; see route_result */

    int epoll_fd;
    int event_fd; /* wakes the event thread */
    pthread_t thread;
    bool thread_started;

    pthread_mutex_t queue_lock; /* guards queue_head/tail and stopping */
    struct request *queue_head, *queue_tail;
    bool stopping;
    atomic_bool stop_seen; /* read by the event thread unlocked */

    struct route_cache *cache; /* thread-safe itself */
    /* Route lookups queued or in flight against max_inflight; thread-safe
     * itself. */
    struct admission *admission;
    struct host_cache *hosts; /* exchange addresses; event thread */

    /* Counters (relaxed atomics). */
    atomic_ullong stat_lookups, stat_hits, stat_stale, stat_merged;
    atomic_ullong stat_limited, stat_queries;
    atomic_uint stat_inflight;

    /* Event thread only. */
    struct lookup *pending[PENDING_BUCKETS];
    unsigned pending_count;
    struct waiter **heap; /* async deadlines, min-heap */
    size_t heap_count, heap_capacity;
    unsigned char udp_buffer[UDP_REPLY_MAX];
};

/* Clock of the options, in milliseconds (cache and rung memory). */
uint64_t engine_clock_ms(const struct resolver *resolver);
/* Real monotonic time for network timing. */
uint64_t engine_monotonic_ns(void);
uint64_t engine_monotonic_ms(void);

/* query.c: channels and questions (event thread, except init/destroy). */
int channels_init(struct resolver *resolver, char *err, size_t errlen);
void channels_destroy(struct resolver *resolver);
int server_parse(const char *text, struct server *server, char *err,
                 size_t errlen);
struct question *question_new(struct resolver *resolver, const char *name,
                              uint16_t type, int only_server,
                              struct step_log *log, question_done_fn done,
                              void *owner);
void question_start(struct question *question);
void question_free(struct question *question);
void step_log_clear(struct step_log *log);

/* engine.c: the socket-state callback registers fds with epoll. */
void engine_sock_state(void *data, ares_socket_t fd, int readable,
                       int writable);
/* engine.c: hand a finished lookup's result to its waiters and free the
 * lookup.  Takes over the caller's reference of result. */
void engine_lookup_finished(struct lookup *lookup, struct route_result *result);
uint32_t engine_hash(const char *text);

/* lookup.c: allocate a route lookup (NULL when memory ran out).  The
 * engine registers it and its first waiter, then runs it.  It may finish
 * inside lookup_run.  Event thread only. */
struct lookup *lookup_new(struct resolver *resolver, const char *domain);
void lookup_run(struct lookup *lookup);
void lookup_free(struct lookup *lookup);
/* lookup.c: start a raw query from a request (event thread). */
void raw_start(struct resolver *resolver, struct request *request);

#endif
