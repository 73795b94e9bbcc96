/*
 * result.h - building route results (private to resolver/).
 */
#ifndef MXW_RESULT_H
#define MXW_RESULT_H

#include <stdbool.h>

#include "route.h"

/*
 * Copy src (whose pointers may borrow anything) into one new allocation
 * with refs = 1 and the given cache state.  Without with_steps the copy
 * has no steps (what the cache keeps, to bound memory per domain).
 * Returns NULL when memory runs out.
 */
struct route_result *route_result_pack(const struct route_result *src,
                                       enum route_cache_state cache,
                                       bool with_steps);

/* Make a result with no exchanges and no steps.  Never returns NULL: when
 * memory runs out it returns a shared temp_error "nomem" result. */
struct route_result *route_result_simple(enum route_verdict verdict,
                                         const char *domain,
                                         const char *reason);

#endif
