/*
 * frontends.h - the listeners that are not libmilter: the Postfix policy
 * service and the delivery-status socketmap, both optional.
 *
 * The daemon opens them while still root (frontends_open), gives unix
 * sockets to the account it drops to (frontends_chown), starts them once
 * the decider exists (frontends_start) and stops them before the decider
 * goes (frontends_stop).
 */
#ifndef MXW_FRONTENDS_H
#define MXW_FRONTENDS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "decide.h"
#include "mxw_config.h"

struct frontends;

/*
 * Open the sockets named by policy_socket and socketmap_socket (either
 * may be empty: that front end is off). The configuration strings are
 * copied. Returns NULL with a message in err.
 */
struct frontends *frontends_open(const struct mxw_config *cfg, char *err,
                                 size_t errlen);

/* Give unix sockets to uid:gid; 0 or -1 with a message in err. */
int frontends_chown(struct frontends *fe, uid_t uid, gid_t gid, char *err,
                    size_t errlen);

/* Start accepting; requests decide through the decider source (copied),
 * whose deciders must outlive the front ends. Returns 0 or -1 with a
 * message in err. */
int frontends_start(struct frontends *fe, const struct decider_source *source,
                    char *err, size_t errlen);

/* Stop accepting, end every connection and free; NULL is a no-op. */
void frontends_stop(struct frontends *fe);

#endif /* MXW_FRONTENDS_H */
