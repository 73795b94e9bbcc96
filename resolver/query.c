/*
 * query.c - DNS steps over c-ares, the socket wrapper, and questions run
 * through the EDNS ladder.
 *
 * Each server has two channels: UDP without ARES_FLAG_EDNS and TCP
 * (ARES_FLAG_USEVC), each with tries=1, the step timeout,
 * ARES_FLAG_NOCHECKRESP and no search list.  Queries are built here with
 * a random id and the rung's OPT record, and sent with ares_send.
 *
 * The socket wrapper reads every UDP datagram itself.  A datagram from
 * the server whose id and question match a step in flight (or an error
 * rcode without a question) is kept as that step's reply, and c-ares is
 * handed a minimal NOERROR copy of the query instead.  c-ares 1.18.1 then
 * completes the query without acting on the reply.  So it never switches
 * to TCP on its own and never applies its channel-wide EDNS downgrade on
 * FORMERR.  It never cuts a reply over 512 bytes, and never drops a
 * FORMERR without a question as mismatched.  Every other datagram goes to
 * c-ares unchanged, which drops it.  TCP replies come back through c-ares.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine_internal.h"

/* Receive buffer asked for each UDP socket. */
#define UDP_RCVBUF_BYTES (4 * 1024 * 1024)

/* ---- servers ---- */

int
server_parse(const char *text, struct server *server, char *err, size_t errlen)
{
    char host[INET6_ADDRSTRLEN + 1];
    const char *port_text = NULL;
    unsigned long port = 53;
    struct sockaddr_in *sin = (struct sockaddr_in *)&server->addr;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&server->addr;
    size_t n;

    memset(&server->addr, 0, sizeof(server->addr));
    if (text[0] == '[') {
        const char *end = strchr(text, ']');

        if (!end || (size_t)(end - text - 1) >= sizeof(host))
            goto invalid;
        n = (size_t)(end - text - 1);
        memcpy(host, text + 1, n);
        host[n] = '\0';
        if (end[1] == ':')
            port_text = end + 2;
        else if (end[1] != '\0')
            goto invalid;
    } else {
        const char *colon = strchr(text, ':');

        /* More than one colon without brackets is a bare IPv6 address. */
        if (colon && strchr(colon + 1, ':'))
            colon = NULL;
        n = colon ? (size_t)(colon - text) : strlen(text);
        if (n >= sizeof(host))
            goto invalid;
        memcpy(host, text, n);
        host[n] = '\0';
        if (colon)
            port_text = colon + 1;
    }
    if (port_text) {
        char *end;

        errno = 0;
        port = strtoul(port_text, &end, 10);
        if (errno || *end || end == port_text || port == 0 || port > 65535)
            goto invalid;
    }
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        server->addrlen = sizeof(*sin);
        snprintf(server->text, sizeof(server->text), "%s:%lu", host, port);
        return 0;
    }
    if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
        char canon[INET6_ADDRSTRLEN];

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        server->addrlen = sizeof(*sin6);
        inet_ntop(AF_INET6, &sin6->sin6_addr, canon, sizeof(canon));
        snprintf(server->text, sizeof(server->text), "[%s]:%lu", canon, port);
        return 0;
    }
invalid:
    snprintf(err, errlen,
             "invalid server \"%s\": expected ADDRESS[:PORT] with an IPv4 "
             "address or an IPv6 address in brackets",
             text);
    return -1;
}

/* ---- socket wrapper ---- */

/*
 * c-ares 1.18.1 ends every query of a TCP connection that failed with
 * ARES_ECONNREFUSED, whether the connect was refused or the server
 * accepted and then closed or reset the connection.  The wrapper keeps
 * the first failure of each connection, so steps can tell them apart.
 */
static void
tcp_failure_seen(struct channel *ch, const char *word)
{
    if (ch->tcp && !ch->tcp_failure)
        ch->tcp_failure = word;
}

/*
 * c-ares 1.18.1 also ends a UDP query with ARES_ECONNREFUSED whatever
 * failed on the socket: a read or write error (ECONNREFUSED after an ICMP
 * port unreachable, or a network error) or a socket that could not be
 * opened.  On a read error it ends every query of the channel's socket.
 * So the wrapper marks each step in flight with the failure, and the
 * step that ends with ARES_ECONNREFUSED reports that word.
 */
static void
udp_failure_seen(struct channel *ch, const char *word)
{
    if (ch->tcp)
        return;
    for (size_t i = 0; i < STEP_BUCKETS; i++)
        for (struct step *s = ch->steps[i]; s; s = s->hash_next)
            s->socket_error = word;
}

static bool
errno_is_transient(int err)
{
    return err == EAGAIN || err == EWOULDBLOCK || err == EINTR ||
           err == EINPROGRESS;
}

/* Record a failed connect or send on the channel, TCP or UDP, unless the
 * error only means "try again". */
static void
send_failure_seen(struct channel *ch, int err)
{
    if (errno_is_transient(err))
        return;
    tcp_failure_seen(ch, classify_tcp_errno(err));
    udp_failure_seen(ch, classify_udp_errno(err));
}

static ares_socket_t
wrap_socket(int domain, int type, int protocol, void *data)
{
    struct channel *ch = data;
    int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);

    /* c-ares opens one TCP socket per connection, so a new socket starts
     * a new failure record. */
    if (type == SOCK_STREAM) {
        ch->tcp_failure = NULL;
        if (fd < 0)
            tcp_failure_seen(ch, "network");
    } else if (fd < 0) {
        udp_failure_seen(ch, "network");
    }
    if (fd >= 0 && type == SOCK_STREAM) {
        int one = 1;

        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (fd >= 0 && type == SOCK_DGRAM) {
        /* One UDP socket carries every reply for its server.  With the
         * 208 KiB default a burst of a few hundred small replies overflows
         * it (seen as RcvbufErrors in the benchmark), and each lost reply
         * costs a step timeout.  The kernel caps this at
         * net.core.rmem_max. */
        int size = UDP_RCVBUF_BYTES;

        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    }
    return fd < 0 ? ARES_SOCKET_BAD : fd;
}

static int
wrap_close(ares_socket_t fd, void *data)
{
    (void)data;
    return close(fd);
}

static int
wrap_connect(ares_socket_t fd, const struct sockaddr *addr, ares_socklen_t len,
             void *data)
{
    struct channel *ch = data;
    int rc = connect(fd, addr, len);
    int err = errno;

    if (rc < 0)
        send_failure_seen(ch, err);
    errno = err;
    return rc;
}

static ares_ssize_t
wrap_sendv(ares_socket_t fd, const struct iovec *vec, int count, void *data)
{
    struct channel *ch = data;
    ares_ssize_t n = writev(fd, vec, count);
    int err = errno;

    if (n < 0)
        send_failure_seen(ch, err);
    errno = err;
    return n;
}

static struct step **
step_slot(struct channel *ch, uint16_t id)
{
    struct step **slot = &ch->steps[id % STEP_BUCKETS];

    while (*slot && (*slot)->id != id)
        slot = &(*slot)->hash_next;
    return slot;
}

static bool
same_address(const struct server *server, const struct sockaddr *from,
             socklen_t fromlen)
{
    if (from->sa_family != server->addr.ss_family)
        return false;
    if (from->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)from;
        const struct sockaddr_in *b = (const struct sockaddr_in *)&server->addr;

        return fromlen >= sizeof(*a) && a->sin_port == b->sin_port &&
               a->sin_addr.s_addr == b->sin_addr.s_addr;
    }
    if (from->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from;
        const struct sockaddr_in6 *b =
            (const struct sockaddr_in6 *)&server->addr;

        return fromlen >= sizeof(*a) && a->sin6_port == b->sin6_port &&
               memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0;
    }
    return false;
}

/* Decide whether a datagram is the reply of a step in flight and keep it
 * there; returns the step or NULL. */
static struct step *
capture_reply(struct channel *ch, const unsigned char *buf, size_t len,
              const struct sockaddr *from, socklen_t fromlen)
{
    uint16_t id, qdcount;
    bool qr;
    int rcode;
    struct step *step;
    struct dns_reply reply;
    enum dnsmsg_status status;

    if (!dnsmsg_peek_header(buf, len, &id, &qr, &rcode, &qdcount) || !qr)
        return NULL;
    if (!from || !same_address(ch->server, from, fromlen))
        return NULL;
    step = *step_slot(ch, id);
    if (!step || step->reply)
        return NULL;

    status = dnsmsg_parse(buf, len, id, step->question->name,
                          step->question->type, &reply);
    dnsmsg_reply_clear(&reply);
    if (status == DNSMSG_ID_MISMATCH || status == DNSMSG_QUESTION_MISMATCH ||
        status == DNSMSG_NOT_REPLY) {
        /* Not ours: c-ares drops it and the step keeps waiting. */
        step->mismatch_seen = true;
        return NULL;
    }
    step->reply = malloc(len);
    if (!step->reply)
        return NULL;
    memcpy(step->reply, buf, len);
    step->reply_len = len;
    return step;
}

static ares_ssize_t
wrap_recvfrom(ares_socket_t fd, void *buf, size_t len, int flags,
              struct sockaddr *from, ares_socklen_t *fromlen, void *data)
{
    struct channel *ch = data;
    unsigned char *own = ch->resolver->udp_buffer;
    ares_ssize_t n;
    struct step *step;

    if (ch->tcp) {
        int err;

        n = recvfrom(fd, buf, len, flags, from, fromlen);
        err = errno;
        /* End of stream: the server accepted the connection and closed
         * it before the whole reply arrived. */
        if (n == 0 && len > 0)
            tcp_failure_seen(ch, classify_tcp_errno(0));
        else if (n < 0 && !errno_is_transient(err))
            tcp_failure_seen(ch, classify_tcp_errno(err));
        errno = err;
        return n;
    }

    n = recvfrom(fd, own, UDP_REPLY_MAX, flags, from, fromlen);
    if (n < 0) {
        int err = errno;

        if (!errno_is_transient(err))
            udp_failure_seen(ch, classify_udp_errno(err));
        errno = err;
        return n;
    }
    step = capture_reply(ch, own, (size_t)n, from, fromlen ? *fromlen : 0);
    if (step && step->query_len <= len) {
        /* A NOERROR echo of the query completes it inside c-ares. */
        memcpy(buf, step->query, step->query_len);
        ((unsigned char *)buf)[2] |= 0x80;
        ((unsigned char *)buf)[2] &= (unsigned char)~0x02;
        ((unsigned char *)buf)[3] &= 0xf0;
        return (ares_ssize_t)step->query_len;
    }
    if ((size_t)n > len)
        n = (ares_ssize_t)len;
    memcpy(buf, own, (size_t)n);
    return n;
}

static const struct ares_socket_functions socket_functions = {
    wrap_socket, wrap_close, wrap_connect, wrap_recvfrom, wrap_sendv,
};

/* ---- channels ---- */

static int
channel_init(struct resolver *r, struct server *server, struct channel *ch,
             bool tcp, char *err, size_t errlen)
{
    struct ares_options opts;
    int mask;
    int rc;
    char csv[80];
    static char *no_domains[1];

    memset(&opts, 0, sizeof(opts));
    ch->resolver = r;
    ch->server = server;
    ch->tcp = tcp;

    /* STAYOPEN keeps c-ares from closing a channel's sockets whenever its
     * last query ends, so the UDP source port stays the same and no
     * socket is opened and registered again for each burst. */
    opts.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_NOSEARCH |
                 ARES_FLAG_NOALIASES | ARES_FLAG_STAYOPEN |
                 (tcp ? ARES_FLAG_USEVC : 0);
    opts.timeout = (int)r->options.step_timeout_ms;
    opts.tries = 1;
    opts.ndots = 1;
    opts.domains = no_domains;
    opts.ndomains = 0;
    opts.sock_state_cb = engine_sock_state;
    opts.sock_state_cb_data = ch;
    /* /dev/null reads as an empty resolv.conf: servers come only from
     * the configuration. */
    opts.resolvconf_path = (char *)"/dev/null";
    /* DNS only: c-ares then has no reason to read /etc/nsswitch.conf. */
    opts.lookups = (char *)"b";
    mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
           ARES_OPT_NDOTS | ARES_OPT_DOMAINS | ARES_OPT_SOCK_STATE_CB |
           ARES_OPT_RESOLVCONF | ARES_OPT_NOROTATE | ARES_OPT_LOOKUPS;

    rc = ares_init_options(&ch->ares, &opts, mask);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares channel setup failed: %s",
                 ares_strerror(rc));
        return -1;
    }
    ch->ares_ready = true;
    ares_set_socket_functions(ch->ares, &socket_functions, ch);
    snprintf(csv, sizeof(csv), "%s", server->text);
    rc = ares_set_servers_ports_csv(ch->ares, csv);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errlen, "c-ares rejected server %s: %s", server->text,
                 ares_strerror(rc));
        return -1;
    }
    ch->index = r->channel_count;
    r->channels[r->channel_count++] = ch;
    return 0;
}

int
channels_init(struct resolver *r, char *err, size_t errlen)
{
    for (unsigned i = 0; i < r->server_count; i++) {
        struct server *s = &r->servers[i];

        if (channel_init(r, s, &s->udp, false, err, errlen) < 0)
            return -1;
        if (channel_init(r, s, &s->tcp, true, err, errlen) < 0)
            return -1;
    }
    return 0;
}

void
channels_destroy(struct resolver *r)
{
    /* ares_destroy ends every query in flight with ARES_EDESTRUCTION, so
     * questions fail with "shutdown" and their owners complete. */
    for (unsigned i = 0; i < r->channel_count; i++) {
        struct channel *ch = r->channels[i];

        if (ch->ares_ready) {
            ares_destroy(ch->ares);
            ch->ares_ready = false;
        }
    }
}

/* ---- evidence ---- */

static int
step_log_append(struct step_log *log, const struct route_step *s,
                unsigned server_index)
{
    struct step_record *rec;

    if (log->count == log->capacity) {
        size_t cap = log->capacity ? log->capacity * 2 : 8;
        struct step_record *items = realloc(log->items, cap * sizeof(*items));

        if (!items)
            return -1;
        log->items = items;
        log->capacity = cap;
    }
    rec = &log->items[log->count];
    rec->step = *s;
    rec->name = strdup(s->name);
    if (!rec->name)
        return -1;
    rec->step.name = rec->name;
    rec->server_index = server_index;
    log->count++;
    return 0;
}

void
step_log_clear(struct step_log *log)
{
    for (size_t i = 0; i < log->count; i++)
        free(log->items[i].name);
    free(log->items);
    memset(log, 0, sizeof(*log));
}

/* ---- questions ---- */

struct question *
question_new(struct resolver *r, const char *name, uint16_t type,
             int only_server, struct step_log *log, question_done_fn done,
             void *owner)
{
    struct question *q = calloc(1, sizeof(*q));

    if (!q)
        return NULL;
    q->name = strdup(name);
    q->asked = strdup(name);
    if (!q->name || !q->asked) {
        free(q->name);
        free(q->asked);
        free(q);
        return NULL;
    }
    q->resolver = r;
    q->type = type;
    q->only_server = only_server;
    q->truncated_rung = -1;
    q->last_rcode = ROUTE_RCODE_NONE;
    q->last_server = -1;
    q->log = log;
    q->done = done;
    q->owner = owner;
    q->outcome.server_index = -1;
    q->outcome.rcode = ROUTE_RCODE_NONE;
    return q;
}

void
question_free(struct question *q)
{
    if (!q)
        return;
    if (q->outcome.answered)
        answer_clear(&q->outcome.answer);
    for (size_t i = 0; i < q->answer_count; i++)
        free(q->answers[i]);
    free(q->answers);
    free(q->name);
    free(q->asked);
    free(q);
}

static unsigned
current_server(const struct question *q)
{
    return q->only_server >= 0 ? (unsigned)q->only_server : q->server_pos;
}

static void
question_fail(struct question *q, const char *error)
{
    q->outcome.answered = false;
    q->outcome.error = error;
    q->outcome.server_index = q->last_server;
    q->outcome.rcode = q->last_rcode;
    q->outcome.cname_links = q->cname_links_total;
    q->done(q);
}

/* Query ids come from arc4random (getrandom-backed in glibc 2.36), drawn
 * in batches so that a busy event thread does not make one system call
 * per query.  Event thread only. */
static uint16_t
random_id(void)
{
    static uint16_t pool[256];
    static size_t left;

    if (left == 0) {
        arc4random_buf(pool, sizeof(pool));
        left = sizeof(pool) / sizeof(pool[0]);
    }
    return pool[--left];
}

static void question_send(struct question *q);
static void step_callback(void *arg, int status, int timeouts,
                          unsigned char *abuf, int alen);

static void
question_send(struct question *q)
{
    struct resolver *r = q->resolver;
    struct server *server = &r->servers[current_server(q)];
    bool tcp = q->tcp_only || ladder_rung_is_tcp(&r->ladder, q->rung);
    struct channel *ch = tcp ? &server->tcp : &server->udp;
    struct step *step;

    if (atomic_load_explicit(&r->stop_seen, memory_order_relaxed)) {
        question_fail(q, "shutdown");
        return;
    }
    step = calloc(1, sizeof(*step));
    if (!step) {
        question_fail(q, "nomem");
        return;
    }
    step->question = q;
    step->channel = ch;
    step->rung = q->rung;
    step->payload = q->tcp_only ? 0 : ladder_rung_payload(&r->ladder, q->rung);
    /* Random ids, unique among this channel's steps in flight. */
    do {
        step->id = random_id();
    } while (*step_slot(ch, step->id));
    step->query_len =
        dnsmsg_build_query(step->query, sizeof(step->query), step->id, q->name,
                           q->type, step->payload);
    if (step->query_len == 0) {
        free(step);
        question_fail(q, "invalid_name");
        return;
    }
    *step_slot(ch, step->id) = step;
    ch->active++;
    step->attempt = ++q->attempts;
    step->started_ns = engine_monotonic_ns();
    atomic_fetch_add_explicit(&r->stat_queries, 1, memory_order_relaxed);

    /* c-ares may call step_callback before ares_send returns; nothing
     * here touches step afterwards. */
    ares_send(ch->ares, step->query, (int)step->query_len, step_callback, step);
}

/* Turn the formatted answer section into the raw query's answer list. */
static void
keep_answers(struct question *q, const struct dns_reply *reply)
{
    size_t n = 0;

    for (size_t i = 0; i < reply->rr_count; i++) {
        if (reply->rrs[i].section == DNS_ANSWER)
            n++;
    }
    q->answers = calloc(n + 1, sizeof(char *));
    if (!q->answers)
        return;
    for (size_t i = 0; i < reply->rr_count; i++) {
        char text[2200];

        if (reply->rrs[i].section != DNS_ANSWER)
            continue;
        dnsmsg_format_rr(&reply->rrs[i], text, sizeof(text));
        q->answers[q->answer_count] = strdup(text);
        if (q->answers[q->answer_count])
            q->answer_count++;
    }
    q->last_aa = reply->aa;
}

static const char *
rcode_word(int rcode)
{
    switch (rcode) {
    case DNS_RCODE_FORMERR:
        return "formerr";
    case DNS_RCODE_SERVFAIL:
        return "servfail";
    case DNS_RCODE_NOTIMP:
        return "notimp";
    case DNS_RCODE_REFUSED:
        return "refused";
    case DNS_RCODE_BADVERS:
        return "badvers";
    default:
        return "rcode";
    }
}

/* Classify a step's reply bytes into a ladder outcome. */
static enum ladder_outcome
judge_reply(struct step *step, const unsigned char *buf, size_t len,
            struct dns_reply *reply, struct route_step *rec)
{
    struct question *q = step->question;
    enum dnsmsg_status status;

    rec->size_bytes = (uint32_t)len;
    status = dnsmsg_parse(buf, len, step->id, q->name, q->type, reply);
    if (status != DNSMSG_OK) {
        rec->error = dnsmsg_status_word(status);
        return LADDER_MALFORMED;
    }
    rec->rcode = reply->rcode;
    rec->answer_count = reply->ancount;
    if (reply->tc) {
        rec->error = "truncated";
        return LADDER_TRUNCATED;
    }
    if (reply->rcode == DNS_RCODE_NOERROR || reply->rcode == DNS_RCODE_NXDOMAIN)
        return LADDER_ANSWER;
    rec->error = rcode_word(reply->rcode);
    if (step->payload != 0 &&
        (reply->rcode == DNS_RCODE_FORMERR ||
         reply->rcode == DNS_RCODE_NOTIMP || reply->rcode == DNS_RCODE_BADVERS))
        return LADDER_EDNS_REJECTED;
    return LADDER_SERVER_FAILURE;
}

/* The answer was accepted: analyze it, follow a CNAME the reply left
 * unanswered, or complete the question. */
static void
question_answered(struct question *q, struct step *step,
                  const struct dns_reply *reply)
{
    struct resolver *r = q->resolver;
    struct server *server = &r->servers[current_server(q)];
    unsigned cname_max = r->options.cname_max;
    unsigned budget =
        q->cname_links_total < cname_max ? cname_max - q->cname_links_total : 0;
    struct answer an;

    /* Remember the UDP rung that produced a reply: a TCP answer after
     * TC=1 does not count against that rung. */
    if (!q->tcp_only)
        ladder_remember(&r->ladder, &server->memory,
                        q->truncated_rung >= 0 ? (unsigned)q->truncated_rung
                                               : step->rung,
                        engine_clock_ms(r));

    if (answer_analyze(reply, q->name, q->type, budget, &an) < 0) {
        question_fail(q, "nomem");
        return;
    }
    q->cname_links_total += an.cname_links;

    if (an.kind == ANSWER_CNAME_PENDING && q->cname_links_total < cname_max) {
        /* Ask again for the chain's end, from the first server. */
        free(q->name);
        q->name = an.final_name;
        an.final_name = NULL;
        answer_clear(&an);
        q->server_pos = 0;
        q->truncated_rung = -1;
        q->rung =
            ladder_start_rung(&r->ladder, &r->servers[current_server(q)].memory,
                              engine_clock_ms(r));
        question_send(q);
        return;
    }
    if (an.kind == ANSWER_CNAME_PENDING)
        an.kind = ANSWER_CNAME_CHAIN;
    if (q->keep_answers)
        keep_answers(q, reply);
    q->outcome.answered = true;
    q->outcome.answer = an;
    q->outcome.error = NULL;
    q->outcome.server_index = (int)current_server(q);
    q->outcome.rcode = reply->rcode;
    q->outcome.cname_links = q->cname_links_total;
    q->done(q);
}

static void
step_callback(void *arg, int status, int timeouts, unsigned char *abuf,
              int alen)
{
    struct step *step = arg;
    struct question *q = step->question;
    struct channel *ch = step->channel;
    struct resolver *r = ch->resolver;
    struct route_step rec;
    struct dns_reply reply;
    enum ladder_outcome outcome = LADDER_NETWORK;
    enum ladder_action action;
    unsigned next_rung = step->rung;
    bool have_reply = false;

    (void)timeouts;
    memset(&reply, 0, sizeof(reply));
    *step_slot(ch, step->id) = step->hash_next;
    ch->active--;

    memset(&rec, 0, sizeof(rec));
    rec.name = q->name;
    rec.type = q->type;
    rec.server = ch->server->text;
    rec.transport = ch->tcp ? ROUTE_TRANSPORT_TCP : ROUTE_TRANSPORT_UDP;
    rec.edns_payload = step->payload;
    rec.rcode = ROUTE_RCODE_NONE;
    rec.rtt_ms =
        (uint32_t)((engine_monotonic_ns() - step->started_ns) / 1000000u);
    rec.attempts = (uint16_t)step->attempt;

    switch (status) {
    case ARES_SUCCESS:
        if (!ch->tcp && !step->reply) {
            rec.error = "malformed";
            outcome = LADDER_MALFORMED;
        } else {
            outcome = judge_reply(step, ch->tcp ? abuf : step->reply,
                                  ch->tcp ? (size_t)alen : step->reply_len,
                                  &reply, &rec);
            have_reply = outcome != LADDER_MALFORMED;
        }
        break;
    case ARES_ETIMEOUT:
        rec.error = step->mismatch_seen ? "mismatch" : "timeout";
        outcome = LADDER_TIMEOUT;
        break;
    case ARES_ECONNREFUSED:
        /* The wrapper saw which failure it was.  A UDP step that ends so
         * while the wrapper saw no socket failure is a network error. */
        if (ch->tcp)
            rec.error =
                ch->tcp_failure ? ch->tcp_failure : "connection_refused";
        else
            rec.error = step->socket_error ? step->socket_error : "network";
        outcome = LADDER_NETWORK;
        break;
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED:
        rec.error = "shutdown";
        outcome = LADDER_NETWORK;
        break;
    case ARES_ENOMEM:
        rec.error = "nomem";
        outcome = LADDER_NETWORK;
        break;
    default:
        rec.error = "network";
        outcome = LADDER_NETWORK;
        break;
    }

    q->last_error = rec.error;
    q->last_rcode = rec.rcode;
    q->last_server = (int)ch->server->index;
    if (q->log)
        step_log_append(q->log, &rec, ch->server->index);
    if (r->options.observer)
        r->options.observer(r->options.observer_arg, ch->server->index, &rec);

    if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED ||
        atomic_load_explicit(&r->stop_seen, memory_order_relaxed)) {
        dnsmsg_reply_clear(&reply);
        free(step->reply);
        free(step);
        question_fail(q, "shutdown");
        return;
    }

    if (outcome == LADDER_TRUNCATED && !ch->tcp)
        q->truncated_rung = (int)step->rung;
    action = ladder_next(&r->ladder, step->rung, outcome, &next_rung);
    if (q->tcp_only && action == LADDER_NEXT_RUNG)
        action = LADDER_NEXT_SERVER;

    if (action == LADDER_DONE) {
        question_answered(q, step, &reply);
        dnsmsg_reply_clear(&reply);
        free(step->reply);
        free(step);
        return;
    }
    (void)have_reply;
    dnsmsg_reply_clear(&reply);
    free(step->reply);
    free(step);

    if (action == LADDER_NEXT_RUNG) {
        q->rung = next_rung;
        question_send(q);
        return;
    }
    /* Next server, starting at its own remembered rung. */
    if (q->only_server >= 0 || q->server_pos + 1 >= r->server_count) {
        question_fail(q, q->last_error ? q->last_error : "timeout");
        return;
    }
    q->server_pos++;
    q->truncated_rung = -1;
    q->rung = ladder_start_rung(
        &r->ladder, &r->servers[current_server(q)].memory, engine_clock_ms(r));
    question_send(q);
}

void
question_start(struct question *q)
{
    struct resolver *r = q->resolver;

    q->server_pos = 0;
    q->rung = ladder_start_rung(
        &r->ladder, &r->servers[current_server(q)].memory, engine_clock_ms(r));
    question_send(q);
}
