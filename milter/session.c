/*
 * session.c - runtime, connection and message contexts of the milter.
 */
#include "config.h"

#include "session.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"

/* Guards runtime_current and runtime_generation; never held while a
 * runtime is freed. */
static pthread_mutex_t runtime_lock = PTHREAD_MUTEX_INITIALIZER;
static struct session_runtime *runtime_current;
static unsigned long runtime_generation;

/* Messages begun and not yet ended, and the flag that refuses new ones.
 * session_msg_begin increments the count before it reads the flag, and
 * session_close sets the flag before the daemon reads the count; with
 * sequentially consistent atomics one of the two sees the other. */
static atomic_ulong msg_active;
static atomic_bool msg_closed;

struct session_runtime *
session_runtime_new(struct mxw_config *cfg, struct decider *decider)
{
    struct session_runtime *runtime = calloc(1, sizeof(*runtime));

    if (runtime == NULL)
        return NULL;
    atomic_init(&runtime->refs, 1);
    runtime->cfg = *cfg;
    memset(cfg, 0, sizeof(*cfg));
    runtime->decider = decider;
    return runtime;
}

void
session_runtime_publish(struct session_runtime *runtime)
{
    struct session_runtime *old;

    pthread_mutex_lock(&runtime_lock);
    old = runtime_current;
    runtime_current = runtime;
    if (runtime != NULL)
        runtime->generation = ++runtime_generation;
    pthread_mutex_unlock(&runtime_lock);
    session_runtime_release(old);
}

struct session_runtime *
session_runtime_acquire(void)
{
    struct session_runtime *runtime;

    pthread_mutex_lock(&runtime_lock);
    runtime = runtime_current;
    if (runtime != NULL)
        atomic_fetch_add(&runtime->refs, 1);
    pthread_mutex_unlock(&runtime_lock);
    return runtime;
}

void
session_runtime_release(struct session_runtime *runtime)
{
    if (runtime == NULL)
        return;
    if (atomic_fetch_sub(&runtime->refs, 1) != 1)
        return;
    decider_free(runtime->decider);
    config_free(&runtime->cfg);
    free(runtime);
}

static struct decider *
session_source_acquire(void *arg, void **token)
{
    struct session_runtime *runtime = session_runtime_acquire();

    (void)arg;
    *token = runtime;
    return runtime != NULL ? runtime->decider : NULL;
}

static void
session_source_release(void *arg, void *token)
{
    (void)arg;
    session_runtime_release(token);
}

void
session_decider_source(struct decider_source *source)
{
    source->acquire = session_source_acquire;
    source->release = session_source_release;
    source->arg = NULL;
}

struct session_conn *
session_conn_new(void)
{
    return calloc(1, sizeof(struct session_conn));
}

void
session_conn_free(struct session_conn *conn)
{
    if (conn == NULL)
        return;
    session_msg_end(conn);
    free(conn);
}

unsigned long
session_msg_active(void)
{
    return atomic_load(&msg_active);
}

void
session_close(void)
{
    atomic_store(&msg_closed, true);
}

struct session_msg *
session_msg_begin(struct session_conn *conn, struct session_runtime *runtime)
{
    struct session_msg *msg;

    session_msg_end(conn);
    atomic_fetch_add(&msg_active, 1);
    if (atomic_load(&msg_closed)) {
        atomic_fetch_sub(&msg_active, 1);
        errno = ESHUTDOWN;
        return NULL;
    }
    msg = calloc(1, sizeof(*msg));
    if (msg == NULL) {
        atomic_fetch_sub(&msg_active, 1);
        errno = ENOMEM;
        return NULL;
    }
    if (runtime != NULL)
        atomic_fetch_add(&runtime->refs, 1);
    msg->runtime = runtime;
    header_set_init(&msg->headers, runtime != NULL
                                       ? (size_t)runtime->cfg.header_max_domains
                                       : 0);
    conn->msg = msg;
    conn->messages++;
    return msg;
}

void
session_msg_end(struct session_conn *conn)
{
    struct session_msg *msg = conn->msg;

    if (msg == NULL)
        return;
    conn->msg = NULL;
    header_set_free(&msg->headers);
    session_runtime_release(msg->runtime);
    free(msg);
    atomic_fetch_sub(&msg_active, 1);
}

void
session_copy_printable(char *dst, size_t dstlen, const char *text)
{
    size_t i = 0;

    if (dstlen == 0)
        return;
    for (; text != NULL && text[i] != '\0' && i + 1 < dstlen; i++) {
        unsigned char c = (unsigned char)text[i];

        dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    dst[i] = '\0';
}

void
session_msg_defer(struct session_msg *msg, const char *rcpt, const char *code,
                  const char *dsn, const char *text)
{
    struct session_deferral *deferral = &msg->deferral;

    if (deferral->pending) {
        deferral->more++;
        return;
    }
    deferral->pending = true;
    session_copy_printable(deferral->rcpt, sizeof(deferral->rcpt), rcpt);
    snprintf(deferral->code, sizeof(deferral->code), "%s", code);
    snprintf(deferral->dsn, sizeof(deferral->dsn), "%s", dsn);
    session_copy_printable(deferral->text, sizeof(deferral->text), text);
}
