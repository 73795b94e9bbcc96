/*
 * mxwarden: command line, start-up order and shutdown of the daemon.
 *
 * Start-up order matters: the pidfile lock, the milter socket and the
 * front-end sockets are taken while still root, then privileges are
 * dropped, then the process detaches and writes its pid. The decider
 * (resolver threads) and the policy-service and socketmap front ends
 * start after the detach, because fork() keeps only the calling thread.
 * libmilter runs in its own thread (smfi_main); the main thread waits for
 * signals: SIGTERM and SIGINT stop the daemon (smfi_stop), SIGHUP
 * reloads the configuration.
 *
 * A reload builds a new decider and a new runtime configuration from the
 * re-read file and swaps both in. Messages and requests in flight finish
 * on the ones they started with, which are freed when their last
 * reference goes. The sockets, user, group, pidfile and syslog facility
 * keep their values until a restart.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <libmilter/mfapi.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "decide.h"
#include "filter.h"
#include "frontends.h"
#include "log.h"
#include "mxw_config.h"
#include "session.h"

/* Filter name given to libmilter; the MTA shows it in its logs. */
#define FILTER_NAME "mxwarden"

/* Backlog of the milter listening socket. */
#define LISTEN_BACKLOG 128

/* How long a stop waits for messages in flight to end before the
 * decider is freed, beyond the RCPT deadline. */
#define STOP_DRAIN_EXTRA_MS 2000

struct options {
    const char *config_path; /* NULL: the default file */
    bool check_only;         /* -n */
    bool print_config;       /* -p */
    bool print_defaults;     /* -D */
    bool foreground;         /* -f */
};

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: mxwarden [-fnpDVh] [-c FILE]\n"
            "\n"
            "  -c FILE  read the configuration from FILE (default:\n"
            "           %s, or the built-in\n"
            "           defaults when that file does not exist)\n"
            "  -n       check the configuration, print any error, and exit "
            "0 (valid) or 1\n"
            "  -p       check the configuration like -n and print every key "
            "with its value\n"
            "  -D       print the built-in defaults as a commented "
            "configuration file\n"
            "  -f       stay in the foreground and log to stderr (default: "
            "detach and\n"
            "           log to syslog, facility from syslog_facility, "
            "default mail)\n"
            "  -V       print the version and exit\n"
            "  -h       print this help and exit\n"
            "\n"
            "mxwarden -D and mxwarden.conf(5) list each configuration key "
            "with its unit\n"
            "and default.\n",
            MXW_DEFAULT_CONFIG_FILE);
}

static int
parse_options(int argc, char **argv, struct options *opts)
{
    int c;

    memset(opts, 0, sizeof(*opts));
    while ((c = getopt(argc, argv, "c:nfpDVh")) != -1) {
        switch (c) {
        case 'c':
            opts->config_path = optarg;
            break;
        case 'n':
            opts->check_only = true;
            break;
        case 'p':
            opts->print_config = true;
            opts->check_only = true;
            break;
        case 'D':
            opts->print_defaults = true;
            break;
        case 'f':
            opts->foreground = true;
            break;
        case 'V':
            printf("mxwarden %s\n", PACKAGE_VERSION);
            exit(0);
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "mxwarden: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return -1;
    }
    return 0;
}

/*
 * Load the configuration named by -c, or the default file. A missing
 * default file means built-in defaults; a missing -c file is an error.
 */
static int
load_configuration(const struct options *opts, struct mxw_config *cfg,
                   const char **used)
{
    char err[MXW_CONFIG_ERR_MAX];
    const char *path = opts->config_path;

    if (path == NULL) {
        path = MXW_DEFAULT_CONFIG_FILE;
        if (access(path, F_OK) != 0 && errno == ENOENT) {
            *used = NULL;
            if (config_defaults(cfg, err, sizeof(err)) != 0) {
                fprintf(stderr, "mxwarden: %s\n", err);
                return -1;
            }
            return 0;
        }
    }
    *used = path;
    if (config_load(path, cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "mxwarden: %s\n", err);
        return -1;
    }
    return 0;
}

/* State shared between the main thread and the libmilter thread. */
struct milter_run {
    pthread_t main_thread;
    int status; /* smfi_main() result, written before the thread ends */
};

static void *
milter_thread(void *arg)
{
    struct milter_run *run = arg;

    run->status = smfi_main();
    /* Wake the main thread, which may be waiting for a signal. */
    pthread_kill(run->main_thread, SIGUSR1);
    return NULL;
}

/* Log a key whose new value needs a restart; the old value stays. */
static void
reload_warn_restart(const char *key, bool changed)
{
    if (changed)
        log_warning("reload: %s changed; the new value takes effect after "
                    "a restart",
                    key);
}

static bool
strings_differ(const char *a, const char *b)
{
    return strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0;
}

/* Load config_used, or the built-in defaults when it is NULL. */
static int
load_runtime_config(const char *config_used, struct mxw_config *cfg, char *err,
                    size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    if (config_used != NULL)
        return config_load(config_used, cfg, err, errlen);
    return config_defaults(cfg, err, errlen);
}

/*
 * Re-read the configuration (config_used, or the built-in defaults when
 * the daemon started without a file), build a new decider and swap both
 * in. On any error the running configuration stays and the error is
 * logged.
 */
static void
reload_configuration(const char *config_used, const struct mxw_config *running)
{
    struct mxw_config cfg;
    struct session_runtime *runtime;
    struct decider *decider;
    char err[MXW_CONFIG_ERR_MAX];

    if (load_runtime_config(config_used, &cfg, err, sizeof(err)) != 0) {
        log_error("reload failed, keeping the running configuration: %s", err);
        return;
    }

    reload_warn_restart("socket", strings_differ(cfg.socket, running->socket));
    reload_warn_restart("socket_mode", cfg.socket_mode != running->socket_mode);
    reload_warn_restart("user", strings_differ(cfg.user, running->user));
    reload_warn_restart("group", strings_differ(cfg.group, running->group));
    reload_warn_restart("pidfile",
                        strings_differ(cfg.pidfile, running->pidfile));
    reload_warn_restart("syslog_facility",
                        cfg.syslog_facility != running->syslog_facility);
    reload_warn_restart(
        "policy_socket",
        strings_differ(cfg.policy_socket, running->policy_socket));
    reload_warn_restart(
        "socketmap_socket",
        strings_differ(cfg.socketmap_socket, running->socketmap_socket));
    /* The policy and socketmap listeners keep these from their start. */
    reload_warn_restart("socketmap_name", strings_differ(cfg.socketmap_name,
                                                         running->socketmap_name));
    reload_warn_restart("frontend_max_connections",
                        cfg.frontend_max_connections !=
                            running->frontend_max_connections);

    decider = decider_new(&cfg, err, sizeof(err));
    if (decider == NULL) {
        log_error("reload failed, keeping the running configuration: %s", err);
        config_free(&cfg);
        return;
    }
    runtime = session_runtime_new(&cfg, decider);
    if (runtime == NULL) {
        log_error("reload failed, keeping the running configuration: out "
                  "of memory");
        decider_free(decider);
        config_free(&cfg);
        return;
    }
    log_set_level(runtime->cfg.log_level);
    session_runtime_publish(runtime);
    log_notice("reloaded: configuration %s, generation %lu, mode %s",
               config_used != NULL ? config_used : "built-in defaults",
               runtime->generation,
               runtime->cfg.mode == MXW_MODE_MONITOR ? "monitor" : "enforce");
}

/*
 * Wait for SIGTERM or SIGINT (stop), SIGHUP (reload) or SIGUSR1
 * (libmilter ended by itself). Ticks the log repeat suppressors once a
 * second. The signals must be blocked in every thread.
 */
static void
wait_for_stop(const sigset_t *set, const char *config_used,
              const struct mxw_config *running)
{
    struct timespec tick = {.tv_sec = 1, .tv_nsec = 0};
    bool stopping = false;

    for (;;) {
        int sig = sigtimedwait(set, NULL, &tick);

        if (sig < 0) {
            log_tick();
            continue;
        }
        if (sig == SIGUSR1) {
            if (!stopping)
                log_notice("libmilter stopped on its own; shutting down");
            return;
        }
        if (sig == SIGHUP) {
            if (!stopping) {
                log_notice("received SIGHUP, reloading the configuration");
                reload_configuration(config_used, running);
            }
            continue;
        }
        if (!stopping) {
            log_notice("received %s, stopping",
                       sig == SIGTERM ? "SIGTERM" : "SIGINT");
            stopping = true;
            smfi_stop();
        }
    }
}

/* Open the milter socket through libmilter while still privileged.
 * *opened becomes true once libmilter has created the socket. */
static int
open_milter_socket(const struct mxw_config *cfg,
                   const struct daemon_account *acct, bool *opened, char *err,
                   size_t errlen)
{
    if (daemon_socket_check_free(cfg->socket, err, errlen) != 0)
        return -1;
    if (filter_register(FILTER_NAME) != 0) {
        snprintf(err, errlen, "smfi_register failed");
        return -1;
    }
    if (smfi_setconn(cfg->socket) != MI_SUCCESS ||
        smfi_setbacklog(LISTEN_BACKLOG) != MI_SUCCESS) {
        snprintf(err, errlen, "smfi_setconn %s failed", cfg->socket);
        return -1;
    }
    if (smfi_opensocket(true) != MI_SUCCESS) {
        snprintf(err, errlen,
                 "cannot open milter socket %s (missing directory, "
                 "permission, or address in use)",
                 cfg->socket);
        return -1;
    }
    *opened = true;
    return daemon_socket_prepare(cfg->socket, cfg->socket_mode, acct->change,
                                 acct->uid, acct->gid, err, errlen);
}

/*
 * Create the decider and publish the first runtime, which owns it. The
 * runtime gets its own copy of the configuration, read again from
 * config_used, because cfg stays with the caller.
 */
static int
start_decider(const struct mxw_config *cfg, const char *config_used, char *err,
              size_t errlen)
{
    struct mxw_config copy;
    struct session_runtime *runtime;
    struct decider *decider;

    decider = decider_new(cfg, err, errlen);
    if (decider == NULL)
        return -1;
    if (load_runtime_config(config_used, &copy, err, errlen) != 0) {
        decider_free(decider);
        return -1;
    }
    runtime = session_runtime_new(&copy, decider);
    if (runtime == NULL) {
        snprintf(err, errlen, "out of memory creating the runtime");
        config_free(&copy);
        decider_free(decider);
        return -1;
    }
    session_runtime_publish(runtime);
    return 0;
}

/*
 * Unpublish the runtime and refuse new messages, then wait for the
 * messages in flight, so that the last of them frees the decider before
 * the process logs its stop. libmilter's smfi_main can return while
 * session threads still run a callback. After the RCPT deadline plus
 * STOP_DRAIN_EXTRA_MS the stop goes on, and the process exit ends them.
 */
static void
stop_decider(const struct mxw_config *cfg)
{
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 50 * 1000 * 1000};
    long waited_ms = 0;
    long limit_ms = (long)cfg->rcpt_deadline_ms + STOP_DRAIN_EXTRA_MS;

    session_runtime_publish(NULL);
    session_close();
    while (session_msg_active() > 0 && waited_ms < limit_ms) {
        nanosleep(&pause, NULL);
        waited_ms += 50;
    }
    if (session_msg_active() > 0)
        log_warning("%lu messages still in flight after %ld ms; stopping "
                    "without them",
                    session_msg_active(), waited_ms);
}

static int
run_daemon(const struct mxw_config *cfg, const char *config_used,
           bool foreground)
{
    struct log_options lopts = {
        .ident = "mxwarden",
        .facility = cfg->syslog_facility,
        .level = cfg->log_level,
        .to_stderr = foreground,
        .syslog_copy_stderr = !foreground,
    };
    struct pidfile pf = {.fd = -1, .path = NULL};
    struct daemon_account acct;
    struct milter_run run;
    struct decider_source source;
    struct frontends *fe = NULL;
    pthread_t thread;
    sigset_t set;
    char err[MXW_CONFIG_ERR_MAX];
    bool socket_opened = false;
    bool milter_started = false;
    int rc = 1;

    log_open(&lopts);

    if (cfg->pidfile[0] != '\0' &&
        pidfile_lock(&pf, cfg->pidfile, err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto done;
    }
    if (daemon_account_lookup(cfg->user, cfg->group, &acct, err, sizeof(err)) !=
            0 ||
        open_milter_socket(cfg, &acct, &socket_opened, err, sizeof(err)) !=
            0 ||
        (fe = frontends_open(cfg, err, sizeof(err))) == NULL ||
        (acct.change &&
         frontends_chown(fe, acct.uid, acct.gid, err, sizeof(err)) != 0) ||
        daemon_drop_privileges(&acct, err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto done;
    }
    if (!foreground && daemon_detach(err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto done;
    }
    /* Detached: stderr no longer reaches the terminal that started it. */
    lopts.syslog_copy_stderr = false;
    log_open(&lopts);
    if (pf.fd >= 0 && pidfile_write(&pf, getpid(), err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto done;
    }

    /* Block the signals before any thread starts so every thread
     * inherits the mask; only the main thread waits for them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    /* The decider's threads start after the signal mask is set, so they
     * inherit it, and after the detach, which keeps only one thread. */
    session_decider_source(&source);
    if (start_decider(cfg, config_used, err, sizeof(err)) != 0 ||
        frontends_start(fe, &source, err, sizeof(err)) != 0) {
        log_error("%s", err);
        goto done;
    }

    run.main_thread = pthread_self();
    run.status = MI_FAILURE;
    if (pthread_create(&thread, NULL, milter_thread, &run) != 0) {
        log_error("cannot start the libmilter thread");
        goto done;
    }
    milter_started = true;
    log_notice("started: version %s, socket %s, configuration %s, mode %s",
               PACKAGE_VERSION, cfg->socket,
               config_used != NULL ? config_used : "built-in defaults",
               cfg->mode == MXW_MODE_MONITOR ? "monitor" : "enforce");

    wait_for_stop(&set, config_used, cfg);
    pthread_join(thread, NULL);
    if (run.status != MI_SUCCESS) {
        log_error("libmilter main loop failed");
        goto done;
    }
    rc = 0;

done:
    /* The front ends take a runtime only while a request runs, and their
     * decider source needs a published runtime: stop them first. */
    frontends_stop(fe);
    stop_decider(cfg);
    if (socket_opened && !milter_started &&
        daemon_socket_remove(cfg->socket, err, sizeof(err)) != 0)
        log_warning("%s", err);
    pidfile_remove(&pf);
    if (rc == 0)
        log_notice("stopped");
    log_close();
    return rc;
}

int
main(int argc, char **argv)
{
    struct options opts;
    struct mxw_config cfg;
    const char *config_used = NULL;
    int rc;

    if (parse_options(argc, argv, &opts) != 0)
        return 1;

    if (opts.print_defaults) {
        char err[MXW_CONFIG_ERR_MAX];
        if (config_defaults(&cfg, err, sizeof(err)) != 0) {
            fprintf(stderr, "mxwarden: %s\n", err);
            return 1;
        }
        config_print(stdout, &cfg);
        config_free(&cfg);
        return 0;
    }

    if (load_configuration(&opts, &cfg, &config_used) != 0)
        return 1;

    if (opts.check_only) {
        if (opts.print_config)
            config_print(stdout, &cfg);
        else
            printf("%s: configuration is valid\n",
                   config_used != NULL ? config_used : "built-in defaults");
        config_free(&cfg);
        return 0;
    }

    rc = run_daemon(&cfg, config_used, opts.foreground || cfg.foreground);
    config_free(&cfg);
    return rc;
}
