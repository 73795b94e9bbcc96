/*
 * The libmilter callbacks of mxwarden.
 */
#ifndef MXW_FILTER_H
#define MXW_FILTER_H

#include "mxw_config.h"

/*
 * Register the filter callbacks with libmilter under name (smfi_register).
 * cfg must stay valid until smfi_main() returns. Returns 0 or -1.
 */
int filter_register(const char *name, const struct mxw_config *cfg);

#endif
