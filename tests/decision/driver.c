/*
 * decision-driver - run the decision service in one process under the
 * control of a test script, so a scenario can span fault changes: fill
 * the cache, break the resolver, heal it, and check each decision.
 *
 * Reads one command a line from stdin and answers each with one line:
 *   decide DOMAIN   verdict=V cache=C action=A rule=R health=H reply=TEXT
 *   canaries        ran (canary rounds on demand, repeated while a
 *                   failed or recovering server asks for more)
 *   canary-round    ran (one canary round on demand per server)
 *   health SERVER   state=S trusted=yes|no reason=TEXT
 *   quit            (exits 0)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "log.h"
#include "mxw_config.h"

static void
driver_decide(struct decider *decider, const char *domain)
{
    struct decision d;

    decider_decide(decider, domain, 5000, &d);
    printf("verdict=%s cache=%s action=%s rule=%s health=%s reply=",
           route_verdict_name(d.result->verdict),
           route_cache_state_name(d.result->cache),
           policy_action_name(d.policy.action), d.policy.rule,
           health_state_name(d.health.state));
    if (d.policy.reply.accept)
        printf("none\n");
    else
        printf("%s %s %s\n", d.policy.reply.code, d.policy.reply.dsn,
               d.policy.text);
    decision_release(&d);
}

static void
driver_health(struct decider *decider, const char *server)
{
    struct health_report report;

    if (!health_get(decider_health(decider), server, &report)) {
        printf("unknown server %s\n", server);
        return;
    }
    printf("state=%s trusted=%s reason=%s\n", health_state_name(report.state),
           report.trusted_for_negatives ? "yes" : "no", report.reason);
}

int
main(int argc, char **argv)
{
    struct log_options lopts = {
        .ident = "decision-driver", .level = MXW_LOG_INFO, .to_stderr = true};
    struct mxw_config cfg;
    struct decider *decider;
    char err[MXW_CONFIG_ERR_MAX];
    char line[512];

    if (argc != 2) {
        fprintf(stderr, "usage: decision-driver CONFIG_FILE\n");
        return 64;
    }
    log_open(&lopts);
    if (config_load(argv[1], &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "decision-driver: %s\n", err);
        return 64;
    }
    decider = decider_new_oneshot(&cfg, err, sizeof(err));
    if (decider == NULL) {
        fprintf(stderr, "decision-driver: %s\n", err);
        config_free(&cfg);
        return 64;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    while (fgets(line, sizeof(line), stdin) != NULL) {
        char *arg;

        line[strcspn(line, "\r\n")] = '\0';
        arg = strchr(line, ' ');
        if (arg != NULL)
            *arg++ = '\0';
        if (strcmp(line, "decide") == 0 && arg != NULL)
            driver_decide(decider, arg);
        else if (strcmp(line, "canaries") == 0) {
            health_request_canaries(decider_health(decider));
            decider_run_canaries(decider, 4, NULL);
            printf("ran\n");
        } else if (strcmp(line, "canary-round") == 0) {
            health_request_canaries(decider_health(decider));
            decider_run_canaries(decider, 1, NULL);
            printf("ran\n");
        } else if (strcmp(line, "health") == 0 && arg != NULL)
            driver_health(decider, arg);
        else if (strcmp(line, "quit") == 0)
            break;
        else
            printf("unknown command: %s\n", line);
    }

    decider_free(decider);
    config_free(&cfg);
    log_close();
    return 0;
}
