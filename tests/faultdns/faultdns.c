/*
 * faultdns: an authoritative DNS server for tests that misbehaves on
 * purpose.  It serves master-file zones on a loopback port and applies the
 * fault rules of a control file, re-read on SIGHUP.  See README.md.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "answer.h"
#include "qlog.h"
#include "server.h"
#include "zone.h"

static void
usage(FILE *out)
{
    fprintf(out, "usage: faultdns -z ZONE [-z ZONE...] [options]\n"
                 "  -z, --zone PATH       master file, or directory of *.zone "
                 "files\n"
                 "  -p, --port N          port on 127.0.0.1 and ::1 "
                 "(default 0: pick a free one)\n"
                 "  -P, --port-file PATH  write the port here once ready\n"
                 "  -c, --control PATH    fault rules, re-read on SIGHUP\n"
                 "  -s, --status PATH     write the result of each rules load "
                 "here\n"
                 "  -l, --log PATH        append one line per query here\n"
                 "  -S, --seed N          seed for jitter (default 1)\n"
                 "  -4, --ipv4-only       do not listen on ::1\n"
                 "  -h, --help            show this help\n");
}

int
main(int argc, char **argv)
{
    static const struct option options[] = {
        {"zone", required_argument, NULL, 'z'},
        {"port", required_argument, NULL, 'p'},
        {"port-file", required_argument, NULL, 'P'},
        {"control", required_argument, NULL, 'c'},
        {"status", required_argument, NULL, 's'},
        {"log", required_argument, NULL, 'l'},
        {"seed", required_argument, NULL, 'S'},
        {"ipv4-only", no_argument, NULL, '4'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct server_config cfg;
    struct zone_set *zones;
    const char *log_path = NULL;
    char err[1024];
    char *end;
    int opt;
    int rc;

    memset(&cfg, 0, sizeof(cfg));
    zones = zone_set_new();
    if (zones == NULL) {
        fprintf(stderr, "faultdns: out of memory\n");
        return 1;
    }
    answer_seed(1);

    while ((opt = getopt_long(argc, argv, "z:p:P:c:s:l:S:4h", options, NULL)) !=
           -1) {
        switch (opt) {
        case 'z':
            if (zone_set_load(zones, optarg, err, sizeof(err)) != 0) {
                fprintf(stderr, "faultdns: %s\n", err);
                zone_set_free(zones);
                return 1;
            }
            break;
        case 'p':
            errno = 0;
            cfg.port = (int)strtol(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || cfg.port < 0 ||
                cfg.port > 65535) {
                fprintf(stderr, "faultdns: invalid port '%s': use 0 to 65535\n",
                        optarg);
                zone_set_free(zones);
                return 1;
            }
            break;
        case 'P':
            cfg.port_file = optarg;
            break;
        case 'c':
            cfg.control_path = optarg;
            break;
        case 's':
            cfg.status_path = optarg;
            break;
        case 'l':
            log_path = optarg;
            break;
        case 'S': {
            unsigned long seed;

            errno = 0;
            seed = strtoul(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0') {
                fprintf(stderr, "faultdns: invalid seed '%s': use a number\n",
                        optarg);
                zone_set_free(zones);
                return 1;
            }
            answer_seed(seed);
            break;
        }
        case '4':
            cfg.ipv4_only = true;
            break;
        case 'h':
            usage(stdout);
            zone_set_free(zones);
            return 0;
        default:
            usage(stderr);
            zone_set_free(zones);
            return 1;
        }
    }
    if (optind != argc || zone_set_count(zones) == 0) {
        fprintf(stderr,
                optind != argc ? "faultdns: unexpected argument '%s'\n"
                               : "faultdns: no zone given: use -z%s\n",
                optind != argc ? argv[optind] : "");
        usage(stderr);
        zone_set_free(zones);
        return 1;
    }
    if (qlog_open(log_path) != 0) {
        fprintf(stderr, "faultdns: cannot open log %s: %s\n", log_path,
                strerror(errno));
        zone_set_free(zones);
        return 1;
    }

    rc = server_run(zones, &cfg);
    qlog_close();
    zone_set_free(zones);
    return rc;
}
