/*
 * libmilter callbacks.
 *
 * NOTE: this is a pass-through until the RCPT decision lands: every
 * recipient gets SMFIS_CONTINUE and nothing is looked up. It exists so
 * that the daemon's socket, threads and shutdown work end to end.
 */
#include "config.h"

#include "filter.h"

#include <libmilter/mfapi.h>
#include <stddef.h>

#include "log.h"

static const struct mxw_config *filter_config;

static sfsistat
filter_envrcpt(SMFICTX *ctx, char **argv)
{
    if (log_enabled(MXW_LOG_DEBUG) && argv != NULL && argv[0] != NULL) {
        struct log_line line;

        log_line_init(&line, smfi_getsymval(ctx, "i"));
        log_line_add_addr(&line, "to", argv[0]);
        log_line_add(&line, "action", "continue");
        log_debug("%s", log_line_text(&line));
    }
    return SMFIS_CONTINUE;
}

int
filter_register(const char *name, const struct mxw_config *cfg)
{
    struct smfiDesc desc = {
        .xxfi_name = (char *)name,
        .xxfi_version = SMFI_VERSION,
        .xxfi_flags = 0,
        .xxfi_envrcpt = filter_envrcpt,
    };

    filter_config = cfg;
    return smfi_register(desc) == MI_SUCCESS ? 0 : -1;
}
