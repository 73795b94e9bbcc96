/*
 * nullmilter: a libmilter filter that accepts everything.
 *
 * It registers the callbacks mxwarden's milter uses on every message
 * (RCPT and end of message) and returns SMFIS_CONTINUE from each, so a run
 * against it measures what Postfix and libmilter cost before any filter
 * work.  It is the baseline of the end-to-end benchmark and the filter the
 * end-to-end harness tests use.
 *
 * Usage: nullmilter -p SOCKET [-d DELAY_MS] [-m MODE] [-N] [-t TIMEOUT_S] [-v]
 *   SOCKET is in libmilter syntax: inet:PORT@HOST, inet6:PORT@HOST or
 *   unix:PATH.  MODE (octal, default 0666) is applied to a unix socket so
 *   the postfix user can connect.  TIMEOUT_S is libmilter's I/O timeout.
 *   -v prints one line per RCPT and end of message to stderr.  DELAY_MS
 *   makes each RCPT callback sleep that long first, to drive Postfix's
 *   milter_command_timeout in tests.  -N leaves TCP_NODELAY off on an inet
 *   socket, to measure what it changes.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

/* Highest descriptor number searched for the listening socket. */
#define NULLMILTER_MAX_FD 1024

/* Set by -v: print one line per callback to stderr, for tests. */
static bool nullmilter_verbose;

/* Set by -d: how long each RCPT callback sleeps before it returns. */
static long nullmilter_rcpt_delay_ms;

static sfsistat nullmilter_envrcpt(SMFICTX *ctx, char **argv)
{
    if (nullmilter_verbose) {
        fprintf(stderr, "nullmilter: rcpt %s\n",
                argv[0] != NULL ? argv[0] : "(none)");
    }
    if (nullmilter_rcpt_delay_ms > 0) {
        struct timespec delay = {
            .tv_sec = nullmilter_rcpt_delay_ms / 1000,
            .tv_nsec = (nullmilter_rcpt_delay_ms % 1000) * 1000000L,
        };
        while (nanosleep(&delay, &delay) != 0 && errno == EINTR)
            ;
    }
    return SMFIS_CONTINUE;
}

static sfsistat nullmilter_eom(SMFICTX *ctx)
{
    if (nullmilter_verbose)
        fprintf(stderr, "nullmilter: eom\n");
    return SMFIS_CONTINUE;
}

static struct smfiDesc nullmilter_desc = {
    .xxfi_name = "nullmilter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = 0,
    .xxfi_envrcpt = nullmilter_envrcpt,
    .xxfi_eom = nullmilter_eom,
};

/*
 * Set TCP_NODELAY on every listening AF_INET or AF_INET6 socket of this
 * process.  libmilter keeps its listening descriptor private, so the only
 * way to reach it is to look at each open descriptor.  At this point the
 * process has no other listening sockets.  Linux copies TCP_NODELAY from a
 * listening socket to the sockets accept() returns, which removes the
 * filter's half of the Nagle/delayed-ACK stall (about 40 ms per message
 * over TCP loopback).  Returns the number of sockets changed, or -1.
 */
static int nullmilter_set_nodelay(void)
{
    int changed = 0;

    for (int fd = 0; fd < NULLMILTER_MAX_FD; fd++) {
        int listening = 0;
        int domain = 0;
        socklen_t len = sizeof(listening);

        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0
            || !listening)
            continue;
        len = sizeof(domain);
        if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0)
            continue;
        if (domain != AF_INET && domain != AF_INET6)
            continue;

        int on = 1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0) {
            fprintf(stderr, "nullmilter: TCP_NODELAY on fd %d failed: %s\n",
                    fd, strerror(errno));
            return -1;
        }
        changed++;
    }
    return changed;
}

static void nullmilter_usage(FILE *out)
{
    fprintf(out,
            "usage: nullmilter -p SOCKET [-d DELAY_MS] [-m MODE] [-N]"
            " [-t TIMEOUT_S] [-v]\n"
            "  -p SOCKET     listen on inet:PORT@HOST, inet6:PORT@HOST or"
            " unix:PATH\n"
            "  -d DELAY_MS   sleep this long in each RCPT callback"
            " (default 0)\n"
            "  -m MODE       octal mode of a unix socket (default 0666)\n"
            "  -N            leave TCP_NODELAY off on an inet socket\n"
            "  -t TIMEOUT_S  libmilter I/O timeout in seconds"
            " (default 7210)\n"
            "  -v            print one line per RCPT and end of message\n");
}

static bool nullmilter_parse_long(const char *text, int base, long min,
                                  long max, long *value)
{
    char *end = NULL;

    errno = 0;
    long parsed = strtol(text, &end, base);
    if (errno != 0 || end == text || *end != '\0' || parsed < min
        || parsed > max)
        return false;
    *value = parsed;
    return true;
}

int main(int argc, char **argv)
{
    const char *socket_spec = NULL;
    long mode = 0666;
    long timeout_s = -1;
    bool nodelay = true;
    int opt;

    while ((opt = getopt(argc, argv, "d:hm:Np:t:v")) != -1) {
        switch (opt) {
        case 'p':
            socket_spec = optarg;
            break;
        case 'm':
            if (!nullmilter_parse_long(optarg, 8, 0, 0777, &mode)) {
                fprintf(stderr,
                        "nullmilter: invalid mode '%s': expected an octal"
                        " number from 0 to 0777\n",
                        optarg);
                return 2;
            }
            break;
        case 't':
            if (!nullmilter_parse_long(optarg, 10, 1, INT_MAX, &timeout_s)) {
                fprintf(stderr,
                        "nullmilter: invalid timeout '%s': expected whole"
                        " seconds, at least 1\n",
                        optarg);
                return 2;
            }
            break;
        case 'd':
            if (!nullmilter_parse_long(optarg, 10, 0, 3600000,
                                       &nullmilter_rcpt_delay_ms)) {
                fprintf(stderr,
                        "nullmilter: invalid delay '%s': expected"
                        " milliseconds from 0 to 3600000\n",
                        optarg);
                return 2;
            }
            break;
        case 'N':
            nodelay = false;
            break;
        case 'v':
            nullmilter_verbose = true;
            break;
        case 'h':
            nullmilter_usage(stdout);
            return 0;
        default:
            nullmilter_usage(stderr);
            return 2;
        }
    }
    if (socket_spec == NULL || optind != argc) {
        fprintf(stderr, "nullmilter: %s\n",
                socket_spec == NULL ? "missing -p SOCKET"
                                    : "unexpected argument");
        nullmilter_usage(stderr);
        return 2;
    }

    if (smfi_setconn((char *)socket_spec) != MI_SUCCESS) {
        fprintf(stderr, "nullmilter: invalid socket '%s'\n", socket_spec);
        return 2;
    }
    if (timeout_s > 0 && smfi_settimeout((int)timeout_s) != MI_SUCCESS) {
        fprintf(stderr, "nullmilter: smfi_settimeout failed\n");
        return 1;
    }
    if (smfi_register(nullmilter_desc) != MI_SUCCESS) {
        fprintf(stderr, "nullmilter: smfi_register failed\n");
        return 1;
    }

    /* Open the socket now, not in smfi_main, so its options can be set
     * before the first connection.  true removes a stale unix socket. */
    if (smfi_opensocket(true) != MI_SUCCESS) {
        fprintf(stderr, "nullmilter: cannot listen on '%s'\n", socket_spec);
        return 1;
    }
    if (socket_spec[0] == '/' || strncmp(socket_spec, "unix:", 5) == 0
        || strncmp(socket_spec, "local:", 6) == 0) {
        const char *path = socket_spec[0] == '/'
                               ? socket_spec
                               : strchr(socket_spec, ':') + 1;
        if (chmod(path, (mode_t)mode) != 0) {
            fprintf(stderr, "nullmilter: chmod %lo %s failed: %s\n", mode,
                    path, strerror(errno));
            return 1;
        }
    } else if (nodelay && nullmilter_set_nodelay() < 1) {
        fprintf(stderr,
                "nullmilter: no listening TCP socket found for TCP_NODELAY\n");
        return 1;
    }

    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
