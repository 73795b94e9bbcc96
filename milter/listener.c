/*
 * listener.c - accept thread and connection threads for stream sockets.
 */
#include "config.h"

#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct listener_conn {
    struct listener *listener;
    int fd;
    struct listener_conn *next;
};

struct listener {
    struct listener_options opts;
    char name[32];
    char socket[300];
    char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int fd;
    int wake_pipe[2]; /* a byte here stops the accept thread */
    pthread_t accept_thread;
    bool started;

    pthread_mutex_t lock; /* guards conns, count, stopping */
    pthread_cond_t idle_cond;
    struct listener_conn *conns;
    unsigned count;
    bool stopping;
    struct log_repeat limit_warning;
};

/* Parse the socket text into addr; false with a message in err. */
static bool
listener_parse(const char *spec, struct sockaddr_storage *addr,
               socklen_t *addrlen, char *unix_path, size_t pathlen, char *err,
               size_t errlen)
{
    const char *rest, *at;
    char host[INET6_ADDRSTRLEN];
    long port;
    char *end;
    int family;

    memset(addr, 0, sizeof(*addr));
    unix_path[0] = '\0';
    if (strncmp(spec, "unix:", 5) == 0) {
        struct sockaddr_un *sun = (struct sockaddr_un *)addr;

        if (strlen(spec + 5) >= sizeof(sun->sun_path) ||
            strlen(spec + 5) >= pathlen || spec[5] != '/') {
            snprintf(err, errlen,
                     "invalid socket \"%s\": expected unix:/ABSOLUTE/PATH "
                     "shorter than %zu bytes",
                     spec, sizeof(sun->sun_path));
            return false;
        }
        sun->sun_family = AF_UNIX;
        strcpy(sun->sun_path, spec + 5);
        strcpy(unix_path, spec + 5);
        *addrlen = sizeof(*sun);
        return true;
    }
    if (strncmp(spec, "inet:", 5) == 0) {
        rest = spec + 5;
        family = AF_INET;
    } else if (strncmp(spec, "inet6:", 6) == 0) {
        rest = spec + 6;
        family = AF_INET6;
    } else {
        goto invalid;
    }
    at = strchr(rest, '@');
    if (at == NULL || (size_t)(at - rest) > 5)
        goto invalid;
    port = strtol(rest, &end, 10);
    if (end != at || port < 1 || port > 65535 || strlen(at + 1) >= sizeof(host))
        goto invalid;
    strcpy(host, at + 1);
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)addr;

        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
            goto invalid;
        *addrlen = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
            goto invalid;
        *addrlen = sizeof(*sin6);
    }
    return true;

invalid:
    snprintf(err, errlen,
             "invalid socket \"%s\": expected unix:PATH, inet:PORT@IPv4 or "
             "inet6:PORT@IPv6",
             spec);
    return false;
}

/* Remove a stale unix socket file, but never one a live process serves. */
static int
listener_unix_claim(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct stat st;
    int fd, rc;

    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen,
                 "%s exists and is not a socket: remove it or choose "
                 "another path",
                 path);
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    strcpy(sun.sun_path, path);
    rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
    close(fd);
    if (rc == 0) {
        snprintf(err, errlen,
                 "socket %s is in use by another process: is another "
                 "mxwarden running?",
                 path);
        return -1;
    }
    unlink(path);
    return 0;
}

struct listener *
listener_open(const struct listener_options *opts, char *err, size_t errlen)
{
    struct listener *l = calloc(1, sizeof(*l));
    struct sockaddr_storage addr;
    socklen_t addrlen = 0;
    int enable = 1;

    if (l == NULL) {
        snprintf(err, errlen, "out of memory opening a listener");
        return NULL;
    }
    l->fd = -1;
    l->wake_pipe[0] = l->wake_pipe[1] = -1;
    l->opts = *opts;
    snprintf(l->name, sizeof(l->name), "%s", opts->name);
    snprintf(l->socket, sizeof(l->socket), "%s", opts->socket);
    l->opts.name = l->name;
    l->opts.socket = l->socket;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->idle_cond, NULL);
    log_repeat_init(&l->limit_warning, MXW_LOG_WARNING, 60000);

    if (!listener_parse(opts->socket, &addr, &addrlen, l->unix_path,
                        sizeof(l->unix_path), err, errlen))
        goto fail;
    if (l->unix_path[0] != '\0' &&
        listener_unix_claim(l->unix_path, err, errlen) != 0)
        goto fail;

    l->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (l->fd < 0) {
        snprintf(err, errlen, "%s socket %s: %s", l->name, l->socket,
                 strerror(errno));
        goto fail;
    }
    if (addr.ss_family != AF_UNIX) {
        setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &enable, sizeof(enable));
        /* Request and reply are each one write: do not let Nagle hold a
         * reply back waiting for the peer's delayed ACK. */
        setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &enable, sizeof(enable));
    }
    if (bind(l->fd, (struct sockaddr *)&addr, addrlen) != 0) {
        snprintf(err, errlen, "cannot bind %s socket %s: %s", l->name,
                 l->socket, strerror(errno));
        goto fail;
    }
    if (l->unix_path[0] != '\0' && chmod(l->unix_path, opts->mode) != 0) {
        snprintf(err, errlen, "chmod %s: %s", l->unix_path, strerror(errno));
        goto fail;
    }
    if (listen(l->fd, 128) != 0 || pipe2(l->wake_pipe, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot listen on %s socket %s: %s", l->name,
                 l->socket, strerror(errno));
        goto fail;
    }
    return l;

fail:
    listener_stop(l);
    return NULL;
}

int
listener_chown(struct listener *l, uid_t uid, gid_t gid, char *err,
               size_t errlen)
{
    if (l->unix_path[0] == '\0')
        return 0;
    if (chown(l->unix_path, uid, gid) != 0) {
        snprintf(err, errlen, "chown %s: %s", l->unix_path, strerror(errno));
        return -1;
    }
    return 0;
}

static void
listener_conn_remove_locked(struct listener *l, struct listener_conn *conn)
{
    for (struct listener_conn **p = &l->conns; *p != NULL; p = &(*p)->next) {
        if (*p == conn) {
            *p = conn->next;
            break;
        }
    }
    l->count--;
    if (l->count == 0)
        pthread_cond_broadcast(&l->idle_cond);
}

static void *
listener_conn_main(void *arg)
{
    struct listener_conn *conn = arg;
    struct listener *l = conn->listener;

    l->opts.handler(l->opts.handler_arg, conn->fd);

    pthread_mutex_lock(&l->lock);
    listener_conn_remove_locked(l, conn);
    close(conn->fd);
    pthread_mutex_unlock(&l->lock);
    free(conn);
    return NULL;
}

/* Register and start a connection; closes fd on any failure. */
static void
listener_conn_start(struct listener *l, int fd)
{
    struct listener_conn *conn;
    pthread_attr_t attr;
    pthread_t thread;
    int rc;

    pthread_mutex_lock(&l->lock);
    if (l->stopping || l->count >= l->opts.max_connections) {
        bool stopping = l->stopping;

        pthread_mutex_unlock(&l->lock);
        close(fd);
        if (!stopping)
            log_repeat(&l->limit_warning,
                       "%s: connection limit of %u reached; closing new "
                       "connections until one ends",
                       l->name, l->opts.max_connections);
        return;
    }
    conn = calloc(1, sizeof(*conn));
    if (conn == NULL) {
        pthread_mutex_unlock(&l->lock);
        close(fd);
        log_warning("%s: out of memory accepting a connection", l->name);
        return;
    }
    conn->listener = l;
    conn->fd = fd;
    conn->next = l->conns;
    l->conns = conn;
    l->count++;

    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&thread, &attr, listener_conn_main, conn);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        listener_conn_remove_locked(l, conn);
        pthread_mutex_unlock(&l->lock);
        close(fd);
        free(conn);
        log_warning("%s: cannot start a connection thread: %s", l->name,
                    strerror(rc));
        return;
    }
    pthread_mutex_unlock(&l->lock);
}

static void *
listener_accept_main(void *arg)
{
    struct listener *l = arg;
    struct pollfd fds[2] = {
        {.fd = l->fd, .events = POLLIN},
        {.fd = l->wake_pipe[0], .events = POLLIN},
    };

    for (;;) {
        int fd;

        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            log_error("%s: poll failed: %s", l->name, strerror(errno));
            return NULL;
        }
        if (fds[1].revents != 0)
            return NULL;
        fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            /* EMFILE and friends pass; the peer retries. */
            if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
                log_repeat(&l->limit_warning, "%s: accept failed: %s", l->name,
                           strerror(errno));
            if (errno == EMFILE || errno == ENFILE)
                usleep(100000);
            continue;
        }
        listener_conn_start(l, fd);
    }
}

int
listener_start(struct listener *l, char *err, size_t errlen)
{
    int rc = pthread_create(&l->accept_thread, NULL, listener_accept_main, l);

    if (rc != 0) {
        snprintf(err, errlen, "cannot start the %s accept thread: %s", l->name,
                 strerror(rc));
        return -1;
    }
    l->started = true;
    return 0;
}

void
listener_stop(struct listener *l)
{
    if (l == NULL)
        return;
    if (l->started) {
        char byte = 0;

        if (write(l->wake_pipe[1], &byte, 1) != 1)
            log_warning("%s: cannot wake the accept thread: %s", l->name,
                        strerror(errno));
        pthread_join(l->accept_thread, NULL);
    }

    /* Shut every connection down so its blocked read returns, then wait
     * for the connection threads to finish. */
    pthread_mutex_lock(&l->lock);
    l->stopping = true;
    for (struct listener_conn *c = l->conns; c != NULL; c = c->next)
        shutdown(c->fd, SHUT_RDWR);
    while (l->count > 0)
        pthread_cond_wait(&l->idle_cond, &l->lock);
    pthread_mutex_unlock(&l->lock);

    if (l->fd >= 0)
        close(l->fd);
    if (l->unix_path[0] != '\0' && l->fd >= 0)
        unlink(l->unix_path);
    if (l->wake_pipe[0] >= 0)
        close(l->wake_pipe[0]);
    if (l->wake_pipe[1] >= 0)
        close(l->wake_pipe[1]);
    log_repeat_destroy(&l->limit_warning);
    pthread_cond_destroy(&l->idle_cond);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

unsigned
listener_connections(struct listener *l)
{
    unsigned count;

    pthread_mutex_lock(&l->lock);
    count = l->count;
    pthread_mutex_unlock(&l->lock);
    return count;
}

static uint64_t
listener_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
listener_reader_init(struct listener_reader *reader, int fd,
                     unsigned timeout_ms)
{
    reader->fd = fd;
    reader->timeout_ms = timeout_ms;
    reader->start = reader->end = 0;
    listener_reader_begin(reader);
}

void
listener_reader_begin(struct listener_reader *reader)
{
    reader->deadline_ms = listener_now_ms() + reader->timeout_ms;
}

int
listener_reader_byte(struct listener_reader *reader)
{
    while (reader->start == reader->end) {
        struct pollfd pfd = {.fd = reader->fd, .events = POLLIN};
        uint64_t now = listener_now_ms();
        ssize_t n;
        int ready;

        if (now >= reader->deadline_ms)
            return LISTENER_READ_TIMEOUT;
        ready = poll(&pfd, 1, (int)(reader->deadline_ms - now));
        if (ready < 0 && errno != EINTR)
            return LISTENER_READ_ERROR;
        if (ready <= 0)
            continue;
        n = read(reader->fd, reader->buf, sizeof(reader->buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n == 0)
            return LISTENER_READ_EOF;
        if (n < 0)
            return LISTENER_READ_ERROR;
        reader->start = 0;
        reader->end = (size_t)n;
    }
    return (unsigned char)reader->buf[reader->start++];
}

bool
listener_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        len -= (size_t)n;
    }
    return true;
}
