/*
 * listener.h - a stream-socket server for the front ends that are not
 * libmilter: the Postfix policy service and the delivery-status
 * socketmap. One accept thread per listener and one thread per
 * connection, up to a configured number of connections.
 */
#ifndef MXW_LISTENER_H
#define MXW_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct listener;

/*
 * Handle one accepted connection on fd until the peer closes it or an
 * error ends it. Runs on the connection's own thread. Must not close fd;
 * the listener closes it afterwards. listener_stop shuts fd down, so a
 * blocked read returns 0 or fails.
 */
typedef void listener_handler_fn(void *arg, int fd);

struct listener_options {
    const char *name;   /* "policy" or "socketmap", for log lines */
    const char *socket; /* unix:PATH, inet:PORT@HOST or inet6:PORT@HOST */
    int mode;           /* permission bits of a unix socket */
    unsigned max_connections;
    listener_handler_fn *handler;
    void *handler_arg;
};

/*
 * Open and bind the socket (while still root), refusing a unix socket
 * another process accepts on. Does not accept yet. Returns NULL with a
 * message in err.
 */
struct listener *listener_open(const struct listener_options *opts, char *err,
                               size_t errlen);

/* Give a unix socket to uid:gid (after listener_open, before dropping
 * privileges). Returns 0 or -1 with a message in err. */
int listener_chown(struct listener *listener, uid_t uid, gid_t gid, char *err,
                   size_t errlen);

/* Start the accept thread. Returns 0 or -1 with a message in err. */
int listener_start(struct listener *listener, char *err, size_t errlen);

/* Stop accepting, shut every connection down, wait for their threads,
 * remove a unix socket file, and free the listener. NULL is a no-op. */
void listener_stop(struct listener *listener);

/* Connections open now. */
unsigned listener_connections(struct listener *listener);

/* A buffered reader for the line and netstring parsers, with a deadline
 * per request so a client that sends one byte now and then cannot hold a
 * connection for ever. */
struct listener_reader {
    int fd;
    unsigned timeout_ms;  /* for one whole request, idle time included */
    uint64_t deadline_ms; /* CLOCK_MONOTONIC */
    char buf[4096];
    size_t start;
    size_t end;
};

#define LISTENER_READ_EOF (-1)
#define LISTENER_READ_ERROR (-2)
#define LISTENER_READ_TIMEOUT (-3)

void listener_reader_init(struct listener_reader *reader, int fd,
                          unsigned timeout_ms);

/* Start the deadline of the next request: timeout_ms from now. */
void listener_reader_begin(struct listener_reader *reader);

/* Return the next byte, or LISTENER_READ_EOF, LISTENER_READ_ERROR, or
 * LISTENER_READ_TIMEOUT when the request's deadline passed. */
int listener_reader_byte(struct listener_reader *reader);

/* Write all of data; false on error. */
bool listener_write_all(int fd, const char *data, size_t len);

#endif /* MXW_LISTENER_H */
