/*
 * Daemon start-up plumbing: pidfile lock, socket checks and options,
 * privilege drop and detaching. See daemon.h for each contract.
 */
#include "config.h"

#include "daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* How long the in-use check waits for a TCP connection to complete. */
#define CHECK_CONNECT_TIMEOUT_MS 1000

/* Highest descriptor scanned for libmilter's listening socket. */
#define LISTEN_FD_SCAN_MAX 1024

int
pidfile_lock(struct pidfile *pf, const char *path, char *err, size_t errlen)
{
    char text[32];
    ssize_t n;

    pf->fd = -1;
    pf->path = NULL;

    pf->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (pf->fd < 0) {
        snprintf(err, errlen, "pidfile %s: cannot open: %s", path,
                 strerror(errno));
        return -1;
    }
    if (flock(pf->fd, LOCK_EX | LOCK_NB) != 0) {
        int saved = errno;

        if (saved == EWOULDBLOCK) {
            n = pread(pf->fd, text, sizeof(text) - 1, 0);
            text[n > 0 ? n : 0] = '\0';
            text[strcspn(text, "\n")] = '\0';
            snprintf(err, errlen,
                     "pidfile %s is locked by another mxwarden (pid %s); "
                     "stop that instance first or set a different pidfile",
                     path, text[0] != '\0' ? text : "unknown");
        } else {
            snprintf(err, errlen, "pidfile %s: cannot lock: %s", path,
                     strerror(saved));
        }
        close(pf->fd);
        pf->fd = -1;
        return -1;
    }
    pf->path = strdup(path);
    if (pf->path == NULL) {
        snprintf(err, errlen, "pidfile %s: out of memory", path);
        close(pf->fd);
        pf->fd = -1;
        return -1;
    }
    return 0;
}

int
pidfile_write(struct pidfile *pf, pid_t pid, char *err, size_t errlen)
{
    char text[32];
    int len = snprintf(text, sizeof(text), "%ld\n", (long)pid);

    if (ftruncate(pf->fd, 0) != 0 ||
        pwrite(pf->fd, text, (size_t)len, 0) != len) {
        snprintf(err, errlen, "pidfile %s: cannot write: %s", pf->path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

void
pidfile_remove(struct pidfile *pf)
{
    if (pf->fd < 0)
        return;
    /* Unlink while the lock is held so a new instance never sees a file
     * that is about to vanish. */
    if (pf->path != NULL)
        (void)unlink(pf->path);
    close(pf->fd);
    pf->fd = -1;
    free(pf->path);
    pf->path = NULL;
}

/* Parse "inet:PORT@ADDR" or "inet6:PORT@ADDR" into addr. */
static int
parse_inet(const char *conn, struct sockaddr_storage *addr, socklen_t *len)
{
    bool v6 = strncmp(conn, "inet6:", 6) == 0;
    const char *rest = conn + (v6 ? 6 : 5);
    const char *at = strchr(rest, '@');
    long port;
    char *end;

    if (at == NULL)
        return -1;
    port = strtol(rest, &end, 10);
    if (end != at || port < 1 || port > 65535)
        return -1;

    memset(addr, 0, sizeof(*addr));
    if (v6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, at + 1, &sin6->sin6_addr) != 1)
            return -1;
        *len = sizeof(*sin6);
    } else {
        struct sockaddr_in *sin = (struct sockaddr_in *)addr;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, at + 1, &sin->sin_addr) != 1)
            return -1;
        *len = sizeof(*sin);
    }
    return 0;
}

/* Try to connect to addr; returns 1 if it accepted, 0 if not, -1 on
 * a local error. */
static int
connect_accepted(const struct sockaddr *addr, socklen_t len)
{
    struct pollfd pfd;
    int fd =
        socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int so_error = 0;
    socklen_t so_len = sizeof(so_error);
    int rc;

    if (fd < 0)
        return -1;
    rc = connect(fd, addr, len);
    if (rc != 0 && errno == EINPROGRESS) {
        pfd.fd = fd;
        pfd.events = POLLOUT;
        if (poll(&pfd, 1, CHECK_CONNECT_TIMEOUT_MS) == 1 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len) == 0 &&
            so_error == 0)
            rc = 0;
    }
    close(fd);
    return rc == 0 ? 1 : 0;
}

int
daemon_socket_check_free(const char *conn, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    socklen_t len;
    struct stat st;

    if (strncmp(conn, "unix:", 5) == 0) {
        const char *path = conn + 5;
        struct sockaddr_un *sun = (struct sockaddr_un *)&addr;

        if (lstat(path, &st) != 0) {
            if (errno == ENOENT)
                return 0;
            snprintf(err, errlen, "socket %s: cannot check: %s", path,
                     strerror(errno));
            return -1;
        }
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen,
                     "socket %s: a file that is not a socket is in the way; "
                     "remove it or choose another socket path",
                     path);
            return -1;
        }
        memset(sun, 0, sizeof(*sun));
        sun->sun_family = AF_UNIX;
        snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", path);
        if (connect_accepted((struct sockaddr *)sun, sizeof(*sun)) == 1) {
            snprintf(err, errlen,
                     "socket %s is in use: another process accepts "
                     "connections on it; stop that process first or choose "
                     "another socket",
                     path);
            return -1;
        }
        return 0; /* a stale socket file, which libmilter replaces */
    }

    if (parse_inet(conn, &addr, &len) != 0) {
        snprintf(err, errlen, "socket %s: invalid address", conn);
        return -1;
    }
    if (connect_accepted((struct sockaddr *)&addr, len) == 1) {
        snprintf(err, errlen,
                 "socket %s is in use: another process accepts connections "
                 "on it; stop that process first or choose another port",
                 conn);
        return -1;
    }
    return 0;
}

/* Find the listening TCP socket bound to the port of addr. */
static int
find_listen_fd(const struct sockaddr_storage *want)
{
    uint16_t port = want->ss_family == AF_INET6
                        ? ((const struct sockaddr_in6 *)want)->sin6_port
                        : ((const struct sockaddr_in *)want)->sin_port;

    for (int fd = 3; fd < LISTEN_FD_SCAN_MAX; fd++) {
        struct sockaddr_storage got;
        socklen_t len = sizeof(got);
        int listening = 0;
        socklen_t optlen = sizeof(listening);
        uint16_t got_port;

        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) !=
                0 ||
            !listening)
            continue;
        if (getsockname(fd, (struct sockaddr *)&got, &len) != 0 ||
            got.ss_family != want->ss_family)
            continue;
        got_port = got.ss_family == AF_INET6
                       ? ((struct sockaddr_in6 *)&got)->sin6_port
                       : ((struct sockaddr_in *)&got)->sin_port;
        if (got_port == port)
            return fd;
    }
    return -1;
}

int
daemon_socket_prepare(const char *conn, int mode, bool change_owner, uid_t uid,
                      gid_t gid, char *err, size_t errlen)
{
    struct sockaddr_storage addr;
    socklen_t len;
    int fd;
    int on = 1;

    if (strncmp(conn, "unix:", 5) == 0) {
        const char *path = conn + 5;

        if (change_owner && chown(path, uid, gid) != 0) {
            snprintf(err, errlen, "socket %s: cannot change owner: %s", path,
                     strerror(errno));
            return -1;
        }
        if (chmod(path, (mode_t)mode) != 0) {
            snprintf(err, errlen, "socket %s: cannot set mode %04o: %s", path,
                     (unsigned)mode, strerror(errno));
            return -1;
        }
        return 0;
    }

    if (parse_inet(conn, &addr, &len) != 0) {
        snprintf(err, errlen, "socket %s: invalid address", conn);
        return -1;
    }
    fd = find_listen_fd(&addr);
    if (fd < 0) {
        snprintf(err, errlen,
                 "socket %s: listening descriptor not found, cannot set "
                 "TCP_NODELAY",
                 conn);
        return -1;
    }
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0) {
        snprintf(err, errlen, "socket %s: cannot set TCP_NODELAY: %s", conn,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int
daemon_socket_remove(const char *conn, char *err, size_t errlen)
{
    const char *path = conn + 5;
    struct stat st;

    if (strncmp(conn, "unix:", 5) != 0 || lstat(path, &st) != 0 ||
        !S_ISSOCK(st.st_mode))
        return 0;
    if (unlink(path) != 0) {
        snprintf(err, errlen,
                 "socket %s: cannot remove it after the failed start: %s; "
                 "the next start replaces it",
                 path, strerror(errno));
        return -1;
    }
    return 0;
}

int
daemon_account_lookup(const char *user, const char *group,
                      struct daemon_account *acct, char *err, size_t errlen)
{
    const struct passwd *pw;
    const struct group *gr;

    memset(acct, 0, sizeof(*acct));
    if (user[0] == '\0') {
        if (group[0] != '\0') {
            snprintf(err, errlen,
                     "group is \"%s\" but user is empty; set user as well",
                     group);
            return -1;
        }
        return 0;
    }

    errno = 0;
    pw = getpwnam(user);
    if (pw == NULL) {
        snprintf(err, errlen,
                 "user \"%s\" not found; create it (useradd --system %s) "
                 "or set user in the configuration",
                 user, user);
        return -1;
    }
    acct->uid = pw->pw_uid;
    acct->gid = pw->pw_gid;
    snprintf(acct->name, sizeof(acct->name), "%s", user);

    if (group[0] != '\0') {
        gr = getgrnam(group);
        if (gr == NULL) {
            snprintf(err, errlen,
                     "group \"%s\" not found; create it or set group to \"\"",
                     group);
            return -1;
        }
        acct->gid = gr->gr_gid;
    }

    if (geteuid() != 0) {
        if (geteuid() == acct->uid && getegid() == acct->gid)
            return 0;
        snprintf(err, errlen,
                 "cannot switch to user \"%s\": mxwarden runs as uid %ld, "
                 "not root; start it as root or set user = \"\"",
                 user, (long)geteuid());
        return -1;
    }
    acct->change = true;
    return 0;
}

int
daemon_drop_privileges(const struct daemon_account *acct, char *err,
                       size_t errlen)
{
    if (!acct->change)
        return 0;

    if (initgroups(acct->name, acct->gid) != 0) {
        snprintf(err, errlen, "cannot set supplementary groups of %s: %s",
                 acct->name, strerror(errno));
        return -1;
    }
    if (setgid(acct->gid) != 0) {
        snprintf(err, errlen, "cannot switch to gid %ld: %s", (long)acct->gid,
                 strerror(errno));
        return -1;
    }
    if (setuid(acct->uid) != 0) {
        snprintf(err, errlen, "cannot switch to user %s (uid %ld): %s",
                 acct->name, (long)acct->uid, strerror(errno));
        return -1;
    }
    if (acct->uid != 0 && setuid(0) == 0) {
        snprintf(err, errlen, "privilege drop failed: root was regained");
        return -1;
    }
    return 0;
}

int
daemon_detach(char *err, size_t errlen)
{
    pid_t pid = fork();
    int fd;

    if (pid < 0) {
        snprintf(err, errlen, "cannot fork: %s", strerror(errno));
        return -1;
    }
    if (pid > 0)
        _exit(0);

    (void)setsid();
    if (chdir("/") != 0) {
        snprintf(err, errlen, "cannot change to /: %s", strerror(errno));
        return -1;
    }
    fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        (void)dup2(fd, STDIN_FILENO);
        (void)dup2(fd, STDOUT_FILENO);
        (void)dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    return 0;
}
