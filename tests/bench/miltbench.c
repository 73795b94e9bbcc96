/*
 * miltbench: a milter protocol client that measures how long a filter
 * takes to answer RCPT TO.
 *
 * It plays the MTA's side of the milter protocol (version 6, as Postfix
 * and Sendmail speak it): option negotiation, connect, HELO when the
 * filter wants it, then per message MAIL FROM, RCPT TO and abort, with
 * the macros Postfix's smtpd sends ({rcpt_mailer} smtp, {rcpt_host},
 * {rcpt_addr}, i). Only the RCPT round trip, from the first byte sent to
 * the reply read, is timed.
 *
 * Usage: miltbench -s SOCKET -r ADDRESS [-c CONNECTIONS] [-n MESSAGES]
 *                  [-w WARMUP]
 *   SOCKET    unix:PATH or inet:PORT@HOST (libmilter syntax)
 *   ADDRESS   the recipient, user@domain, without angle brackets
 *   -c        parallel connections, each in its own thread (default 1)
 *   -n        messages per connection (default 1000)
 *   -w        untimed messages per connection first (default 10), so a
 *             domain is in the filter's cache before timing starts
 *
 * Prints one line:
 *   rcpt=N continue=N tempfail=N reject=N other=N p50_us=N p90_us=N
 *   p99_us=N max_us=N mean_us=N seconds=S rcpt_per_s=N
 * and exits 0, or 1 with a message on stderr when a connection fails.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

/* Largest milter packet read from the filter or sent to it. */
#define MILTBENCH_PACKET_MAX 65536
#define MILTBENCH_MAX_CONNECTIONS 1000

struct bench_options {
    const char *socket;
    const char *rcpt;
    long connections;
    long messages;
    long warmup;
};

/* Results of one connection. */
struct bench_thread {
    const struct bench_options *opts;
    pthread_t thread;
    uint32_t *samples_us; /* one per timed RCPT */
    long count;
    long continued;
    long tempfailed;
    long rejected;
    long other;
    char error[256];
};

static uint64_t
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static bool
write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool
read_all(int fd, void *buf, size_t len)
{
    char *p = buf;

    while (len > 0) {
        ssize_t n = read(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Send one packet: 4-byte length (command plus data), command, data. */
static bool
send_packet(int fd, char command, const void *data, size_t len)
{
    char packet[MILTBENCH_PACKET_MAX];
    uint32_t net_len = htonl((uint32_t)(len + 1));

    if (len + 5 > sizeof(packet))
        return false;
    memcpy(packet, &net_len, 4);
    packet[4] = command;
    if (len > 0)
        memcpy(packet + 5, data, len);
    return write_all(fd, packet, len + 5);
}

/* Read one packet; returns its command, or 0 on error. */
static char
read_packet(int fd, char *data, size_t datalen, size_t *len)
{
    uint32_t net_len;
    uint32_t total;
    char command;

    if (!read_all(fd, &net_len, 4))
        return 0;
    total = ntohl(net_len);
    if (total == 0 || total - 1 > datalen || total > MILTBENCH_PACKET_MAX)
        return 0;
    if (!read_all(fd, &command, 1))
        return 0;
    *len = total - 1;
    if (*len > 0 && !read_all(fd, data, *len))
        return 0;
    return command;
}

/*
 * Read replies until one that is not "progress"; returns its command. A
 * reply with text (SMFIR_REPLYCODE, "451 4.4.3 ...") is returned as
 * SMFIR_TEMPFAIL or SMFIR_REJECT by the class of its code.
 */
static char
read_reply(int fd)
{
    char data[MILTBENCH_PACKET_MAX];
    size_t len;
    char command;

    do {
        command = read_packet(fd, data, sizeof(data), &len);
    } while (command == SMFIR_PROGRESS);
    if (command == SMFIR_REPLYCODE && len > 0)
        return data[0] == '4' ? SMFIR_TEMPFAIL : SMFIR_REJECT;
    return command;
}

/* Append "name\0value\0" to buf at *len. */
static void
add_pair(char *buf, size_t buflen, size_t *len, const char *name,
         const char *value)
{
    size_t name_len = strlen(name) + 1;
    size_t value_len = strlen(value) + 1;

    if (*len + name_len + value_len > buflen)
        return;
    memcpy(buf + *len, name, name_len);
    *len += name_len;
    memcpy(buf + *len, value, value_len);
    *len += value_len;
}

static int
connect_socket(const char *spec, char *err, size_t errlen)
{
    int fd = -1;

    if (strncmp(spec, "unix:", 5) == 0) {
        struct sockaddr_un sun = {.sun_family = AF_UNIX};

        if (strlen(spec + 5) >= sizeof(sun.sun_path)) {
            snprintf(err, errlen, "socket path too long: %s", spec);
            return -1;
        }
        strcpy(sun.sun_path, spec + 5);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
            return fd;
    } else if (strncmp(spec, "inet:", 5) == 0) {
        struct sockaddr_in sin = {.sin_family = AF_INET};
        const char *at = strchr(spec, '@');
        int enable = 1;

        if (at == NULL || inet_pton(AF_INET, at + 1, &sin.sin_addr) != 1) {
            snprintf(err, errlen, "expected inet:PORT@IPv4, got %s", spec);
            return -1;
        }
        sin.sin_port = htons((uint16_t)atoi(spec + 5));
        fd = socket(AF_INET, SOCK_STREAM, 0);
        /* The macro and command packets go out in separate writes. Without
         * TCP_NODELAY the second waits for a delayed ACK, so the figures
         * would measure Nagle's algorithm instead of the filter. */
        if (fd >= 0)
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &enable, sizeof(enable));
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
            return fd;
    } else {
        snprintf(err, errlen, "expected unix:PATH or inet:PORT@HOST, got %s",
                 spec);
        return -1;
    }
    snprintf(err, errlen, "connect %s failed: %s", spec, strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Negotiate options; returns the protocol flags the filter chose. */
static bool
negotiate(int fd, uint32_t *protocol)
{
    uint32_t offer[3] = {htonl(SMFI_PROT_VERSION), htonl(0x1ff),
                         htonl(0x1fffff)};
    char data[MILTBENCH_PACKET_MAX];
    size_t len;
    uint32_t value;

    if (!send_packet(fd, SMFIC_OPTNEG, offer, sizeof(offer)))
        return false;
    if (read_packet(fd, data, sizeof(data), &len) != SMFIC_OPTNEG || len < 12)
        return false;
    memcpy(&value, data + 8, 4);
    *protocol = ntohl(value);
    return true;
}

static void
count_reply(struct bench_thread *bt, char reply)
{
    switch (reply) {
    case SMFIR_CONTINUE:
    case SMFIR_ACCEPT:
        bt->continued++;
        break;
    case SMFIR_TEMPFAIL:
        bt->tempfailed++;
        break;
    case SMFIR_REJECT:
        bt->rejected++;
        break;
    default:
        bt->other++;
        break;
    }
}

/* Run the connection's messages; false with bt->error on failure. */
static bool
run_connection(struct bench_thread *bt, int fd)
{
    const struct bench_options *opts = bt->opts;
    char buf[2048];
    char rcpt[600];
    size_t len = 0;
    uint32_t protocol;
    static const char connect_info[] = "client.test\0"
                                       "4"
                                       "\x30\x39"
                                       "127.0.0.1";

    if (!negotiate(fd, &protocol)) {
        snprintf(bt->error, sizeof(bt->error), "option negotiation failed");
        return false;
    }

    /* Connect and HELO, as smtpd sends them. */
    add_pair(buf, sizeof(buf), &len, "j", "mta.bench.test");
    add_pair(buf, sizeof(buf), &len, "{daemon_name}", "mta.bench.test");
    memmove(buf + 1, buf, len);
    buf[0] = SMFIC_CONNECT;
    send_packet(fd, SMFIC_MACRO, buf, len + 1);
    if (!(protocol & SMFIP_NOCONNECT)) {
        send_packet(fd, SMFIC_CONNECT, connect_info, sizeof(connect_info));
        if (!(protocol & SMFIP_NR_CONN) && read_reply(fd) != SMFIR_CONTINUE) {
            snprintf(bt->error, sizeof(bt->error), "connect not continued");
            return false;
        }
    }
    if (!(protocol & SMFIP_NOHELO)) {
        send_packet(fd, SMFIC_HELO, "client.test", 12);
        if (!(protocol & SMFIP_NR_HELO))
            read_reply(fd);
    }

    snprintf(rcpt, sizeof(rcpt), "<%s>", opts->rcpt);
    for (long i = 0; i < opts->warmup + opts->messages; i++) {
        const char *at = strrchr(opts->rcpt, '@');
        uint64_t start;
        char reply;

        len = 1;
        buf[0] = SMFIC_MAIL;
        add_pair(buf, sizeof(buf), &len, "{mail_mailer}", "smtp");
        send_packet(fd, SMFIC_MACRO, buf, len);
        if (!(protocol & SMFIP_NOMAIL)) {
            send_packet(fd, SMFIC_MAIL, "<sender@client.test>", 21);
            if (!(protocol & SMFIP_NR_MAIL) &&
                read_reply(fd) != SMFIR_CONTINUE) {
                snprintf(bt->error, sizeof(bt->error),
                         "MAIL FROM not continued");
                return false;
            }
        }

        len = 1;
        buf[0] = SMFIC_RCPT;
        add_pair(buf, sizeof(buf), &len, "i", "BENCH0001");
        add_pair(buf, sizeof(buf), &len, "{rcpt_mailer}", "smtp");
        add_pair(buf, sizeof(buf), &len, "{rcpt_host}",
                 at != NULL ? at + 1 : "");
        add_pair(buf, sizeof(buf), &len, "{rcpt_addr}", opts->rcpt);

        start = now_us();
        send_packet(fd, SMFIC_MACRO, buf, len);
        if (!send_packet(fd, SMFIC_RCPT, rcpt, strlen(rcpt) + 1)) {
            snprintf(bt->error, sizeof(bt->error), "RCPT send failed");
            return false;
        }
        reply = read_reply(fd);
        if (reply == 0) {
            snprintf(bt->error, sizeof(bt->error), "RCPT reply failed");
            return false;
        }
        if (i >= opts->warmup) {
            bt->samples_us[bt->count++] = (uint32_t)(now_us() - start);
            count_reply(bt, reply);
        }

        /* End the message as an RSET does; abort has no reply. */
        send_packet(fd, SMFIC_ABORT, NULL, 0);
    }
    send_packet(fd, SMFIC_QUIT, NULL, 0);
    return true;
}

static void *
bench_thread_main(void *arg)
{
    struct bench_thread *bt = arg;
    int fd = connect_socket(bt->opts->socket, bt->error, sizeof(bt->error));

    if (fd < 0)
        return NULL;
    run_connection(bt, fd);
    close(fd);
    return NULL;
}

static int
compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a;
    uint32_t y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

static uint32_t
percentile(const uint32_t *sorted, long count, double pct)
{
    long index = (long)(pct / 100.0 * (double)(count - 1) + 0.5);

    return sorted[index];
}

static bool
parse_long(const char *text, long min, long max, long *out)
{
    char *end;
    long value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min || value > max)
        return false;
    *out = value;
    return true;
}

static void
usage(FILE *out)
{
    fprintf(out, "usage: miltbench -s SOCKET -r ADDRESS [-c CONNECTIONS] "
                 "[-n MESSAGES] [-w WARMUP]\n");
}

int
main(int argc, char **argv)
{
    struct bench_options opts = {
        .connections = 1, .messages = 1000, .warmup = 10};
    struct bench_thread *threads;
    uint32_t *all;
    long total = 0;
    long sums[4] = {0};
    double sum_us = 0;
    uint64_t start;
    double seconds;
    int c;
    int rc = 0;

    while ((c = getopt(argc, argv, "s:r:c:n:w:h")) != -1) {
        switch (c) {
        case 's':
            opts.socket = optarg;
            break;
        case 'r':
            opts.rcpt = optarg;
            break;
        case 'c':
            if (!parse_long(optarg, 1, MILTBENCH_MAX_CONNECTIONS,
                            &opts.connections)) {
                fprintf(stderr, "miltbench: -c expects 1 to %d\n",
                        MILTBENCH_MAX_CONNECTIONS);
                return 1;
            }
            break;
        case 'n':
            if (!parse_long(optarg, 1, 10000000, &opts.messages)) {
                fprintf(stderr, "miltbench: -n expects 1 to 10000000\n");
                return 1;
            }
            break;
        case 'w':
            if (!parse_long(optarg, 0, 1000000, &opts.warmup)) {
                fprintf(stderr, "miltbench: -w expects 0 to 1000000\n");
                return 1;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (opts.socket == NULL || opts.rcpt == NULL ||
        strchr(opts.rcpt, '@') == NULL || strlen(opts.rcpt) > 500) {
        usage(stderr);
        return 1;
    }

    threads = calloc((size_t)opts.connections, sizeof(*threads));
    all = calloc((size_t)(opts.connections * opts.messages), sizeof(*all));
    if (threads == NULL || all == NULL) {
        fprintf(stderr, "miltbench: out of memory\n");
        return 1;
    }
    start = now_us();
    for (long i = 0; i < opts.connections; i++) {
        threads[i].opts = &opts;
        threads[i].samples_us = all + i * opts.messages;
        if (pthread_create(&threads[i].thread, NULL, bench_thread_main,
                           &threads[i]) != 0) {
            fprintf(stderr, "miltbench: cannot start thread %ld\n", i);
            return 1;
        }
    }
    for (long i = 0; i < opts.connections; i++)
        pthread_join(threads[i].thread, NULL);
    seconds = (double)(now_us() - start) / 1e6;

    /* Gather the samples of every thread in one sorted array. */
    for (long i = 0; i < opts.connections; i++) {
        struct bench_thread *bt = &threads[i];

        if (bt->error[0] != '\0') {
            fprintf(stderr, "miltbench: connection %ld: %s\n", i, bt->error);
            rc = 1;
        }
        memmove(all + total, bt->samples_us, (size_t)bt->count * sizeof(*all));
        total += bt->count;
        sums[0] += bt->continued;
        sums[1] += bt->tempfailed;
        sums[2] += bt->rejected;
        sums[3] += bt->other;
    }
    if (total == 0) {
        fprintf(stderr, "miltbench: no RCPT was answered\n");
        return 1;
    }
    for (long i = 0; i < total; i++)
        sum_us += all[i];
    qsort(all, (size_t)total, sizeof(*all), compare_u32);
    printf("rcpt=%ld continue=%ld tempfail=%ld reject=%ld other=%ld "
           "p50_us=%u p90_us=%u p99_us=%u max_us=%u mean_us=%.0f "
           "seconds=%.2f rcpt_per_s=%.0f\n",
           total, sums[0], sums[1], sums[2], sums[3],
           percentile(all, total, 50), percentile(all, total, 90),
           percentile(all, total, 99), all[total - 1], sum_us / total, seconds,
           (double)total / seconds);
    free(all);
    free(threads);
    return rc;
}
