/*
 * filter.h - the libmilter callbacks of mxwarden.
 */
#ifndef MXW_FILTER_H
#define MXW_FILTER_H

/*
 * Register the filter callbacks with libmilter under name (smfi_register)
 * and ask for SMFIF_ADDHDRS. Call before smfi_opensocket. Returns 0 or
 * -1.
 */
int filter_register(const char *name);

#endif
