/*
 * frontends-driver - run the policy service and the delivery-status
 * socketmap from a configuration file, as the daemon does, without
 * libmilter: load the file, create the decision service, open and start
 * the front ends, wait for SIGTERM or SIGINT, then stop them.
 *
 * Logs go to stderr. The line "frontends-driver: started" is written
 * once both listeners accept, so a test can wait for it.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decide.h"
#include "frontends.h"
#include "log.h"
#include "mxw_config.h"

/* Wait for SIGTERM or SIGINT, ticking the log repeat counters. */
static void
driver_wait_for_stop(const sigset_t *set)
{
    struct timespec tick = {.tv_sec = 1, .tv_nsec = 0};

    for (;;) {
        int sig = sigtimedwait(set, NULL, &tick);

        if (sig == SIGTERM || sig == SIGINT)
            return;
        log_tick();
    }
}

int
main(int argc, char **argv)
{
    struct log_options lopts = {
        .ident = "frontends-driver", .level = MXW_LOG_INFO, .to_stderr = true};
    struct mxw_config cfg;
    struct decider *decider;
    struct decider_source source;
    struct frontends *fe;
    char err[MXW_CONFIG_ERR_MAX];
    sigset_t set;

    if (argc != 2) {
        fprintf(stderr, "usage: frontends-driver CONFIG_FILE\n");
        return 64;
    }
    if (config_load(argv[1], &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "frontends-driver: %s\n", err);
        return 64;
    }
    lopts.level = cfg.log_level;
    log_open(&lopts);

    /* Every thread inherits this mask, so only the main thread receives
     * the signals. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    fe = frontends_open(&cfg, err, sizeof(err));
    if (fe == NULL) {
        fprintf(stderr, "frontends-driver: %s\n", err);
        config_free(&cfg);
        return 1;
    }
    decider = decider_new(&cfg, err, sizeof(err));
    if (decider == NULL) {
        fprintf(stderr, "frontends-driver: %s\n", err);
        frontends_stop(fe);
        config_free(&cfg);
        return 1;
    }
    decider_source_fixed(&source, decider);
    if (frontends_start(fe, &source, err, sizeof(err)) != 0) {
        fprintf(stderr, "frontends-driver: %s\n", err);
        frontends_stop(fe);
        decider_free(decider);
        config_free(&cfg);
        return 1;
    }
    log_notice("frontends-driver: started: policy %s, socketmap %s",
               cfg.policy_socket[0] != '\0' ? cfg.policy_socket : "off",
               cfg.socketmap_socket[0] != '\0' ? cfg.socketmap_socket : "off");

    driver_wait_for_stop(&set);
    log_notice("frontends-driver: stopping");
    frontends_stop(fe);
    decider_free(decider);
    config_free(&cfg);
    log_notice("frontends-driver: stopped");
    log_close();
    return 0;
}
