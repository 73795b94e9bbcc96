/*
 * frontends.c - start and stop the policy-service and socketmap listeners.
 */
#include "config.h"

#include "frontends.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listener.h"
#include "log.h"
#include "policyd.h"
#include "socketmap.h"

/* Time a client has for each request, idle time before it included.
 * Postfix closes an idle policy connection after 300 s
 * (smtpd_policy_service_max_idle); wait a little longer than that. */
#define FRONTENDS_IDLE_TIMEOUT_S 330

struct frontends {
    struct listener *policy;
    struct listener *socketmap;
    struct policyd_context policy_ctx;
    struct socketmap_context socketmap_ctx;
    struct log_repeat policy_warnings;
    struct log_repeat socketmap_warnings;
    char header_name[128];
    char map_name[128];
};

struct frontends *
frontends_open(const struct mxw_config *cfg, char *err, size_t errlen)
{
    struct frontends *fe = calloc(1, sizeof(*fe));
    struct listener_options opts = {
        .mode = cfg->socket_mode,
        .max_connections = (unsigned)cfg->frontend_max_connections,
    };

    if (fe == NULL) {
        snprintf(err, errlen, "out of memory opening the front ends");
        return NULL;
    }
    snprintf(fe->header_name, sizeof(fe->header_name), "%s", cfg->header_name);
    snprintf(fe->map_name, sizeof(fe->map_name), "%s", cfg->socketmap_name);
    fe->policy_ctx.header_name = cfg->header_enabled ? fe->header_name : NULL;
    fe->socketmap_ctx.map_name = fe->map_name;
    fe->policy_ctx.request_timeout_ms = FRONTENDS_IDLE_TIMEOUT_S * 1000;
    fe->socketmap_ctx.request_timeout_ms = FRONTENDS_IDLE_TIMEOUT_S * 1000;
    log_repeat_init(&fe->policy_warnings, MXW_LOG_WARNING, 60000);
    log_repeat_init(&fe->socketmap_warnings, MXW_LOG_WARNING, 60000);
    fe->policy_ctx.warnings = &fe->policy_warnings;
    fe->socketmap_ctx.warnings = &fe->socketmap_warnings;

    if (cfg->policy_socket[0] != '\0') {
        opts.name = "policy";
        opts.socket = cfg->policy_socket;
        opts.handler = policyd_serve;
        opts.handler_arg = &fe->policy_ctx;
        fe->policy = listener_open(&opts, err, errlen);
        if (fe->policy == NULL)
            goto fail;
    }
    if (cfg->socketmap_socket[0] != '\0') {
        opts.name = "socketmap";
        opts.socket = cfg->socketmap_socket;
        opts.handler = socketmap_serve;
        opts.handler_arg = &fe->socketmap_ctx;
        fe->socketmap = listener_open(&opts, err, errlen);
        if (fe->socketmap == NULL)
            goto fail;
    }
    return fe;

fail:
    frontends_stop(fe);
    return NULL;
}

int
frontends_chown(struct frontends *fe, uid_t uid, gid_t gid, char *err,
                size_t errlen)
{
    if (fe->policy != NULL &&
        listener_chown(fe->policy, uid, gid, err, errlen) != 0)
        return -1;
    if (fe->socketmap != NULL &&
        listener_chown(fe->socketmap, uid, gid, err, errlen) != 0)
        return -1;
    return 0;
}

int
frontends_start(struct frontends *fe, const struct decider_source *source,
                char *err, size_t errlen)
{
    fe->policy_ctx.source = *source;
    fe->socketmap_ctx.source = *source;
    if (fe->policy != NULL && listener_start(fe->policy, err, errlen) != 0)
        return -1;
    if (fe->socketmap != NULL &&
        listener_start(fe->socketmap, err, errlen) != 0)
        return -1;
    return 0;
}

void
frontends_stop(struct frontends *fe)
{
    if (fe == NULL)
        return;
    listener_stop(fe->policy);
    listener_stop(fe->socketmap);
    log_repeat_destroy(&fe->policy_warnings);
    log_repeat_destroy(&fe->socketmap_warnings);
    free(fe);
}
