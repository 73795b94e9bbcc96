#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "answer.h"
#include "rules.h"
#include "server.h"

/* Open TCP connections served at once; more are reset on accept.
 * NOTE: connections have no idle timeout, so a client that never closes
 * one (tcp=hang) holds a slot until the server stops. */
#define SERVER_MAX_CONNS 128
#define SERVER_PORT_ATTEMPTS 50
#define TCP_MAX_MESSAGE_BYTES 65535

enum { FAMILY_V4 = 0, FAMILY_V6 = 1 };

struct conn {
    int fd;
    unsigned long id;
    uint8_t in[2 + TCP_MAX_MESSAGE_BYTES];
    size_t in_len;
    struct wire_buf out;
    size_t out_sent;
    int pending; /* delayed replies still queued for this connection */
    bool eof;    /* the client closed its side */
    bool hang;   /* never reply on this connection again */
    struct conn *next;
};

/* A reply waiting for its delay to pass. */
struct pending {
    long long due_ms; /* CLOCK_MONOTONIC */
    int udp_fd;       /* -1 for TCP */
    struct sockaddr_storage to;
    socklen_t to_len;
    unsigned long conn_id;
    struct wire_buf wire;
    struct pending *next;
};

struct server {
    const struct zone_set *zones;
    const struct server_config *cfg;
    struct rule_set *rules;
    unsigned long generation;
    int port;
    int udp_fd[2];
    int tcp_fd[2];
    /* Sockets bound to the TCP port that never listen: they keep the port
     * while tcp=refuse has closed the listeners. */
    int tcp_hold_fd[2];
    bool have_v6;
    enum tcp_listen tcp_listen;
    struct conn *conns;
    size_t conn_count;
    unsigned long next_conn_id;
    struct pending *pending; /* sorted by due_ms */
};

static int signal_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_hup;
static volatile sig_atomic_t got_term;

static void
on_signal(int sig)
{
    int saved = errno;
    char byte = 0;

    if (sig == SIGHUP)
        got_hup = 1;
    else
        got_term = 1;
    if (write(signal_pipe[1], &byte, 1) < 0) {
        /* The pipe is full, so the loop wakes anyway. */
    }
    errno = saved;
}

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
set_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void
close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Build the loopback address of FAMILY at PORT. */
static socklen_t
loopback_addr(int family, int port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (family == FAMILY_V4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;

        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        sin6->sin6_addr = in6addr_loopback;
        return sizeof(*sin6);
    }
}

/* Open and bind one socket, and listen on it when it is a TCP socket and
 * LISTENING is set.  Returns the fd, or -1 with errno set. */
static int
bind_socket(int family, int type, int port, bool listening)
{
    struct sockaddr_storage ss;
    socklen_t len = loopback_addr(family, port, &ss);
    int one = 1;
    int fd;

    fd = socket(family == FAMILY_V4 ? AF_INET : AF_INET6, type, 0);
    if (fd < 0)
        return -1;
    if (type == SOCK_STREAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == FAMILY_V6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || set_nonblock(fd) != 0 ||
        (type == SOCK_STREAM && listening && listen(fd, 64) != 0)) {
        int saved = errno;

        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int
open_socket(int family, int type, int port)
{
    return bind_socket(family, type, port, true);
}

static int
bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void
close_listeners(struct server *s)
{
    close_fd(&s->tcp_fd[FAMILY_V4]);
    close_fd(&s->tcp_fd[FAMILY_V6]);
}

static int
open_listeners(struct server *s)
{
    s->tcp_fd[FAMILY_V4] = open_socket(FAMILY_V4, SOCK_STREAM, s->port);
    if (s->tcp_fd[FAMILY_V4] < 0)
        return -1;
    if (s->have_v6) {
        s->tcp_fd[FAMILY_V6] = open_socket(FAMILY_V6, SOCK_STREAM, s->port);
        if (s->tcp_fd[FAMILY_V6] < 0) {
            close_listeners(s);
            return -1;
        }
    }
    return 0;
}

/* Bind UDP and TCP on one port for both loopback addresses.  With port 0
 * the kernel picks the UDP port and the rest follow it, retrying when
 * another program uses that port for TCP or IPv6. */
static int
bind_all(struct server *s)
{
    int attempt;

    for (attempt = 0; attempt < SERVER_PORT_ATTEMPTS; attempt++) {
        int fd = open_socket(FAMILY_V4, SOCK_DGRAM, s->cfg->port);

        if (fd < 0)
            break;
        s->udp_fd[FAMILY_V4] = fd;
        s->port = bound_port(fd);
        s->have_v6 = false;
        if (!s->cfg->ipv4_only) {
            fd = open_socket(FAMILY_V6, SOCK_DGRAM, s->port);
            if (fd >= 0) {
                s->udp_fd[FAMILY_V6] = fd;
                s->have_v6 = true;
            } else if (errno == EADDRINUSE) {
                goto retry;
            } else if (attempt == 0) {
                fprintf(stderr,
                        "faultdns: IPv6 loopback unavailable (%s); "
                        "serving 127.0.0.1 only\n",
                        strerror(errno));
            }
        }
        if (open_listeners(s) == 0)
            return 0;
    retry:
        close_fd(&s->udp_fd[FAMILY_V4]);
        close_fd(&s->udp_fd[FAMILY_V6]);
        if (s->cfg->port != 0)
            break;
    }
    fprintf(stderr, "faultdns: cannot bind port %d on loopback: %s\n",
            s->cfg->port, strerror(errno));
    return -1;
}

/* Write TEXT to PATH through a temporary file and rename, so a reader
 * never sees a partial file. */
static int
write_file_atomic(const char *path, const char *text)
{
    char tmp[4096];
    FILE *fp;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fp = fopen(tmp, "w");
    if (fp == NULL)
        return -1;
    fputs(text, fp);
    if (fclose(fp) != 0)
        return -1;
    return rename(tmp, path);
}

/* Close the listeners so that connections are refused, and hold their port
 * with bound sockets that never listen.  Linux gives no bound port to an
 * outgoing connection, so the listeners can reopen on it later. */
static void
refuse_connections(struct server *s)
{
    int f;

    close_listeners(s);
    for (f = 0; f < 2; f++) {
        if (f == FAMILY_V6 && !s->have_v6)
            continue;
        s->tcp_hold_fd[f] = bind_socket(f, SOCK_STREAM, s->port, false);
        if (s->tcp_hold_fd[f] < 0)
            fprintf(stderr, "faultdns: cannot hold TCP port %d: %s\n", s->port,
                    strerror(errno));
    }
}

static void
apply_tcp_listen(struct server *s)
{
    enum tcp_listen want = rule_set_tcp_listen(s->rules);

    if (want == TCP_LISTEN_REFUSE && s->tcp_fd[FAMILY_V4] >= 0)
        refuse_connections(s);
    if (want != TCP_LISTEN_REFUSE && s->tcp_fd[FAMILY_V4] < 0) {
        close_fd(&s->tcp_hold_fd[FAMILY_V4]);
        close_fd(&s->tcp_hold_fd[FAMILY_V6]);
        if (open_listeners(s) != 0)
            fprintf(stderr, "faultdns: cannot reopen TCP port %d: %s\n",
                    s->port, strerror(errno));
    }
    s->tcp_listen = want;
}

/* Re-read the control file.  A file with errors leaves the old rules in
 * force; either way the status file records the outcome. */
static void
reload_rules(struct server *s)
{
    char err[512] = "";
    char status[1024];
    struct rule_set *rs = NULL;

    s->generation++;
    if (s->cfg->control_path != NULL)
        rs = rule_set_load(s->cfg->control_path, err, sizeof(err));
    else
        rs = rule_set_parse("", err, sizeof(err));

    if (rs != NULL) {
        rule_set_free(s->rules);
        s->rules = rs;
        apply_tcp_listen(s);
        snprintf(status, sizeof(status), "generation=%lu status=ok rules=%zu\n",
                 s->generation, rule_set_count(rs));
    } else {
        fprintf(stderr, "faultdns: %s: %s; keeping the previous rules\n",
                s->cfg->control_path, err);
        snprintf(status, sizeof(status),
                 "generation=%lu status=error message=%s\n", s->generation,
                 err);
    }
    if (s->cfg->status_path != NULL &&
        write_file_atomic(s->cfg->status_path, status) != 0)
        fprintf(stderr, "faultdns: cannot write %s: %s\n", s->cfg->status_path,
                strerror(errno));
}

static void
queue_pending(struct server *s, struct pending *p)
{
    struct pending **at = &s->pending;

    while (*at != NULL && (*at)->due_ms <= p->due_ms)
        at = &(*at)->next;
    p->next = *at;
    *at = p;
}

static struct conn *
find_conn(struct server *s, unsigned long id)
{
    struct conn *c;

    for (c = s->conns; c != NULL; c = c->next) {
        if (c->id == id)
            return c;
    }
    return NULL;
}

static void
conn_close(struct server *s, struct conn *c)
{
    struct conn **at = &s->conns;

    while (*at != c)
        at = &(*at)->next;
    *at = c->next;
    close(c->fd);
    wire_buf_free(&c->out);
    free(c);
    s->conn_count--;
}

static bool
conn_done(const struct conn *c)
{
    return c->eof && c->pending == 0 && c->out_sent == c->out.len;
}

/* Send what is buffered; returns -1 when the connection must close. */
static int
conn_flush(struct conn *c)
{
    while (c->out_sent < c->out.len) {
        ssize_t n = send(c->fd, c->out.data + c->out_sent,
                         c->out.len - c->out_sent, MSG_NOSIGNAL);

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0)
            return -1;
        c->out_sent += (size_t)n;
    }
    c->out.len = c->out_sent = 0;
    return 0;
}

/* Append WIRE with its 2-byte length prefix (RFC 1035 section 4.2.2). */
static int
conn_queue_reply(struct conn *c, const struct wire_buf *wire)
{
    size_t need = c->out.len + 2 + wire->len;

    if (need > c->out.cap) {
        uint8_t *grown = realloc(c->out.data, need);

        if (grown == NULL)
            return -1;
        c->out.data = grown;
        c->out.cap = need;
    }
    c->out.data[c->out.len] = (uint8_t)(wire->len >> 8);
    c->out.data[c->out.len + 1] = (uint8_t)wire->len;
    memcpy(c->out.data + c->out.len + 2, wire->data, wire->len);
    c->out.len = need;
    return conn_flush(c);
}

static void
send_udp(int fd, const struct sockaddr *to, socklen_t to_len,
         const struct wire_buf *wire)
{
    if (sendto(fd, wire->data, wire->len, 0, to, to_len) < 0)
        fprintf(stderr, "faultdns: UDP send failed: %s\n", strerror(errno));
}

/* Queue REPLY->wire for later; takes over its buffer. */
static void
defer_reply(struct server *s, struct reply *reply, int udp_fd,
            const struct sockaddr *to, socklen_t to_len, struct conn *c)
{
    struct pending *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return;
    p->due_ms = now_ms() + reply->delay_ms;
    p->udp_fd = udp_fd;
    if (to != NULL) {
        memcpy(&p->to, to, to_len);
        p->to_len = to_len;
    }
    if (c != NULL) {
        p->conn_id = c->id;
        c->pending++;
    }
    p->wire = reply->wire;
    memset(&reply->wire, 0, sizeof(reply->wire));
    queue_pending(s, p);
}

static void
handle_udp(struct server *s, int fd)
{
    static uint8_t buf[65536];
    struct sockaddr_storage from;
    struct reply reply;
    socklen_t from_len = sizeof(from);
    ssize_t n;

    n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &from_len);
    if (n < 0)
        return;
    memset(&reply, 0, sizeof(reply));
    answer_query(s->zones, s->rules, TRANSPORT_UDP, (struct sockaddr *)&from,
                 buf, (size_t)n, &reply);
    if (reply.action == REPLY_SEND) {
        if (reply.delay_ms > 0)
            defer_reply(s, &reply, fd, (struct sockaddr *)&from, from_len,
                        NULL);
        else
            send_udp(fd, (struct sockaddr *)&from, from_len, &reply.wire);
    }
    wire_buf_free(&reply.wire);
}

static void
handle_accept(struct server *s, int listen_fd)
{
    struct conn *c;
    int fd = accept(listen_fd, NULL, NULL);

    if (fd < 0)
        return;
    if (s->tcp_listen == TCP_LISTEN_RESET ||
        s->conn_count >= SERVER_MAX_CONNS) {
        /* A zero linger time makes close() send RST. */
        struct linger lg = {1, 0};

        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(fd);
        return;
    }
    if (s->tcp_listen == TCP_LISTEN_CLOSE) {
        close(fd);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL || set_nonblock(fd) != 0) {
        free(c);
        close(fd);
        return;
    }
    c->fd = fd;
    c->id = ++s->next_conn_id;
    c->next = s->conns;
    s->conns = c;
    s->conn_count++;
}

/* Reply to every complete message in C's input.  Returns -1 when C must
 * close. */
static int
conn_process(struct server *s, struct conn *c)
{
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof(peer);

    memset(&peer, 0, sizeof(peer));
    getpeername(c->fd, (struct sockaddr *)&peer, &peer_len);

    while (c->in_len >= 2) {
        size_t msg_len = (size_t)(c->in[0] << 8 | c->in[1]);
        struct reply reply;
        int rc = 0;

        if (c->in_len < 2 + msg_len)
            break;
        memset(&reply, 0, sizeof(reply));
        if (!c->hang)
            answer_query(s->zones, s->rules, TRANSPORT_TCP,
                         (struct sockaddr *)&peer, c->in + 2, msg_len, &reply);
        else
            reply.action = REPLY_HANG;
        memmove(c->in, c->in + 2 + msg_len, c->in_len - 2 - msg_len);
        c->in_len -= 2 + msg_len;

        switch (reply.action) {
        case REPLY_SEND:
            if (reply.delay_ms > 0)
                defer_reply(s, &reply, -1, NULL, 0, c);
            else
                rc = conn_queue_reply(c, &reply.wire);
            break;
        case REPLY_CLOSE:
            rc = -1;
            break;
        case REPLY_HANG:
            c->hang = true;
            break;
        case REPLY_DROP:
        default:
            break;
        }
        wire_buf_free(&reply.wire);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static void
handle_conn_read(struct server *s, struct conn *c)
{
    ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (n <= 0) {
        c->eof = true;
        if (conn_done(c) || n < 0 || c->hang)
            conn_close(s, c);
        return;
    }
    c->in_len += (size_t)n;
    if (conn_process(s, c) != 0)
        conn_close(s, c);
}

static void
run_due(struct server *s)
{
    long long now = now_ms();

    while (s->pending != NULL && s->pending->due_ms <= now) {
        struct pending *p = s->pending;

        s->pending = p->next;
        if (p->udp_fd >= 0) {
            send_udp(p->udp_fd, (struct sockaddr *)&p->to, p->to_len, &p->wire);
        } else {
            struct conn *c = find_conn(s, p->conn_id);

            if (c != NULL) {
                c->pending--;
                if (conn_queue_reply(c, &p->wire) != 0 || conn_done(c))
                    conn_close(s, c);
            }
        }
        wire_buf_free(&p->wire);
        free(p);
    }
}

static void
server_free(struct server *s)
{
    int f;

    while (s->conns != NULL)
        conn_close(s, s->conns);
    while (s->pending != NULL) {
        struct pending *p = s->pending;

        s->pending = p->next;
        wire_buf_free(&p->wire);
        free(p);
    }
    for (f = 0; f < 2; f++) {
        close_fd(&s->udp_fd[f]);
        close_fd(&s->tcp_fd[f]);
        close_fd(&s->tcp_hold_fd[f]);
    }
    rule_set_free(s->rules);
}

static int
setup_signals(void)
{
    struct sigaction sa;

    if (pipe(signal_pipe) != 0 || set_nonblock(signal_pipe[0]) != 0 ||
        set_nonblock(signal_pipe[1]) != 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGHUP, &sa, NULL) != 0 ||
        sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* Poll slots: signal pipe, 2 UDP, 2 TCP listeners, then connections. */
#define FIXED_SLOTS 5

static void
serve(struct server *s)
{
    struct pollfd fds[FIXED_SLOTS + SERVER_MAX_CONNS];
    struct conn *conn_at[FIXED_SLOTS + SERVER_MAX_CONNS];

    while (!got_term) {
        struct conn *c;
        struct conn *next;
        nfds_t n = 0;
        nfds_t i;
        int timeout = -1;

        fds[n].fd = signal_pipe[0];
        fds[n++].events = POLLIN;
        for (i = 0; i < 2; i++) {
            fds[n].fd = s->udp_fd[i];
            fds[n++].events = POLLIN;
            fds[n].fd = s->tcp_fd[i];
            fds[n++].events = POLLIN;
        }
        for (c = s->conns; c != NULL; c = c->next) {
            conn_at[n] = c;
            fds[n].fd = c->fd;
            /* After EOF the socket stays readable, so polling it for
             * input would spin until the delayed replies are sent. */
            fds[n++].events = (short)((c->eof ? 0 : POLLIN) |
                                      (c->out_sent < c->out.len ? POLLOUT : 0));
        }
        if (s->pending != NULL) {
            long long wait = s->pending->due_ms - now_ms();

            timeout = wait < 0 ? 0 : (int)wait;
        }

        if (poll(fds, n, timeout) < 0 && errno != EINTR) {
            fprintf(stderr, "faultdns: poll failed: %s\n", strerror(errno));
            return;
        }
        if (fds[0].revents & POLLIN) {
            char drain[64];

            while (read(signal_pipe[0], drain, sizeof(drain)) > 0)
                ;
        }
        if (got_term)
            break;
        if (got_hup) {
            got_hup = 0;
            reload_rules(s);
            continue; /* the listeners may have changed */
        }

        for (i = 0; i < 2; i++) {
            if (fds[1 + 2 * i].fd >= 0 && (fds[1 + 2 * i].revents & POLLIN))
                handle_udp(s, fds[1 + 2 * i].fd);
            if (fds[2 + 2 * i].fd >= 0 && (fds[2 + 2 * i].revents & POLLIN))
                handle_accept(s, fds[2 + 2 * i].fd);
        }
        for (i = FIXED_SLOTS; i < n; i++) {
            /* A connection closed earlier in this pass is gone. */
            for (next = s->conns; next != NULL && next != conn_at[i];
                 next = next->next)
                ;
            if (next == NULL)
                continue;
            c = conn_at[i];
            if (fds[i].revents & POLLOUT) {
                if (conn_flush(c) != 0 || conn_done(c)) {
                    conn_close(s, c);
                    continue;
                }
            }
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
                handle_conn_read(s, c);
        }
        run_due(s);
    }
}

int
server_run(const struct zone_set *zones, const struct server_config *cfg)
{
    struct server s;
    char text[64];

    memset(&s, 0, sizeof(s));
    s.zones = zones;
    s.cfg = cfg;
    s.udp_fd[0] = s.udp_fd[1] = s.tcp_fd[0] = s.tcp_fd[1] = -1;
    s.tcp_hold_fd[0] = s.tcp_hold_fd[1] = -1;

    if (setup_signals() != 0) {
        fprintf(stderr, "faultdns: cannot set up signals: %s\n",
                strerror(errno));
        return 1;
    }
    if (bind_all(&s) != 0)
        return 1;

    reload_rules(&s);
    if (s.rules == NULL) {
        server_free(&s);
        return 1;
    }

    snprintf(text, sizeof(text), "%d\n", s.port);
    if (cfg->port_file != NULL && write_file_atomic(cfg->port_file, text)) {
        fprintf(stderr, "faultdns: cannot write %s: %s\n", cfg->port_file,
                strerror(errno));
        server_free(&s);
        return 1;
    }
    printf("faultdns: ready port=%d zones=%zu ipv6=%s\n", s.port,
           zone_set_count(zones), s.have_v6 ? "yes" : "no");
    fflush(stdout);

    serve(&s);
    server_free(&s);
    close_fd(&signal_pipe[0]);
    close_fd(&signal_pipe[1]);
    return 0;
}
