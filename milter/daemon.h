/*
 * Process plumbing for the daemon: the pidfile lock, checks and settings
 * of the milter socket, the privilege drop, and detaching from the
 * terminal. All functions belong to the main thread during start-up and
 * report failures as one line in err.
 */
#ifndef MXW_DAEMON_H
#define MXW_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A locked pidfile. fd is -1 when no pidfile is in use. */
struct pidfile {
    int fd;
    char *path; /* owned */
};

/*
 * Open path and take an exclusive flock() on it, without waiting. When
 * another process holds the lock, err names it by the pid in the file.
 * The lock lives as long as the open file description, so it survives
 * daemon_detach(). Returns 0 or -1.
 */
int pidfile_lock(struct pidfile *pf, const char *path, char *err,
                 size_t errlen);

/* Replace the content of a locked pidfile with pid and a newline. */
int pidfile_write(struct pidfile *pf, pid_t pid, char *err, size_t errlen);

/*
 * Remove and close the pidfile. The unlink fails quietly when the
 * process no longer has write access to the directory. The file left
 * behind is harmless, because the lock, not the file, marks a running
 * instance. A pidfile with fd -1 is a no-op.
 */
void pidfile_remove(struct pidfile *pf);

/*
 * Check that the milter socket conn (libmilter syntax) is not in use
 * before libmilter, which removes an existing unix socket file, opens it.
 * A unix path that exists must be a socket without a listener. An inet
 * address must refuse a connection. Returns 0 or -1.
 */
int daemon_socket_check_free(const char *conn, char *err, size_t errlen);

/*
 * Finish a socket that smfi_opensocket() has opened: a unix socket gets
 * mode and, when change_owner is set, owner uid and group gid; an inet
 * listening socket gets TCP_NODELAY, so that accepted connections
 * inherit it (Linux copies the option from the listening socket, checked
 * with a loopback listener on Debian 12).
 * libmilter has no API for socket options, so the listening descriptor
 * is found by scanning open descriptors for a listening TCP socket bound
 * to the configured port. Returns 0 or -1.
 */
int daemon_socket_prepare(const char *conn, int mode, bool change_owner,
                          uid_t uid, gid_t gid, char *err, size_t errlen);

/*
 * Remove the unix socket file of conn after a start that failed before
 * libmilter's main loop ran, because only that loop removes it on exit.
 * inet sockets need nothing. Returns 0, or -1 with a message in err.
 */
int daemon_socket_remove(const char *conn, char *err, size_t errlen);

/* The account the daemon switches to. */
struct daemon_account {
    bool change; /* false: keep the current user and group */
    uid_t uid;
    gid_t gid;
    char name[64];
};

/*
 * Look up user and group (either may be ""). An empty user means no
 * change. Switching to another user needs root; a non-root process
 * whose uid already is user's uid is accepted without change.
 */
int daemon_account_lookup(const char *user, const char *group,
                          struct daemon_account *acct, char *err,
                          size_t errlen);

/*
 * Switch to acct: supplementary groups, group, then user, and verify
 * that root cannot be regained. Returns 0 or -1.
 */
int daemon_drop_privileges(const struct daemon_account *acct, char *err,
                           size_t errlen);

/*
 * Fork into the background: the parent exits 0, the child starts a new
 * session, changes to "/" and points stdin, stdout and stderr at
 * /dev/null. Returns 0 in the child or -1 when fork fails.
 */
int daemon_detach(char *err, size_t errlen);

#endif
