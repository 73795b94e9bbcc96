/*
 * server: the sockets (UDP and TCP on one port, 127.0.0.1 and ::1), the
 * poll loop with its queue of delayed replies, and the control signals.
 */
#ifndef FAULTDNS_SERVER_H
#define FAULTDNS_SERVER_H

#include "zone.h"

struct server_config {
    int port;                 /* 0: pick a free port */
    const char *port_file;    /* written when ready, may be NULL */
    const char *control_path; /* rule file re-read on SIGHUP, may be NULL */
    const char *status_path;  /* reload results, may be NULL */
    bool ipv4_only;
};

/*
 * Serve ZONES until SIGTERM or SIGINT.  Returns 0 after a clean stop, or 1
 * after a setup error, which it reports on stderr.
 */
int server_run(const struct zone_set *zones, const struct server_config *cfg);

#endif
