/*
 * Logging for the daemon: syslog or stderr, a level filter, a builder for
 * one-line decision records, and a suppressor for repeated warnings.
 *
 * Every function here may be called from any thread once log_open() has
 * returned. log_open(), log_close(), log_set_sink() and log_set_clock()
 * belong to the main thread, before other threads start or after they end.
 */
#ifndef MXW_LOG_H
#define MXW_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxw_config.h"

#define LOG_FORMAT(fmt, args) __attribute__((format(printf, fmt, args)))

/* Maximum length of a written line, level prefix included. Longer text
 * is cut. */
#define LOG_LINE_MAX 2048

struct log_options {
    const char *ident; /* program name in every line; not copied */
    int facility;      /* LOG_MAIL etc., used with syslog */
    enum mxw_log_level level;
    bool to_stderr; /* true: stderr with timestamps; false: syslog */
    bool syslog_copy_stderr; /* with syslog: copy each line to stderr
                                (LOG_PERROR), for start-up errors */
};

/* Start logging with opts; may be called again to change destination. */
void log_open(const struct log_options *opts);

/* Flush repeat summaries and close syslog. */
void log_close(void);

void log_set_level(enum mxw_log_level level);

/* True when a line at level would be written. */
bool log_enabled(enum mxw_log_level level);

/* Write one line at level. Control characters in the text become '?'. */
void log_write(enum mxw_log_level level, const char *fmt, ...) LOG_FORMAT(2, 3);
void log_vwrite(enum mxw_log_level level, const char *fmt, va_list ap)
    LOG_FORMAT(2, 0);

void log_error(const char *fmt, ...) LOG_FORMAT(1, 2);
void log_warning(const char *fmt, ...) LOG_FORMAT(1, 2);
void log_notice(const char *fmt, ...) LOG_FORMAT(1, 2);
void log_info(const char *fmt, ...) LOG_FORMAT(1, 2);
void log_debug(const char *fmt, ...) LOG_FORMAT(1, 2);

/*
 * Test hooks. A sink receives each line (with its level prefix, without
 * timestamp or program name) in place of syslog or stderr; NULL restores
 * the normal destination. A clock returns monotonic milliseconds; NULL
 * restores CLOCK_MONOTONIC.
 */
typedef void log_sink_fn(enum mxw_log_level level, const char *line, void *arg);
typedef int64_t log_clock_fn(void);
void log_set_sink(log_sink_fn *sink, void *arg);
void log_set_clock(log_clock_fn *clock);

/* Current time in milliseconds from the log clock. */
int64_t log_now_ms(void);

/*
 * Builder for one-line records such as decision lines:
 *   QUEUEID: key=value key="value with spaces" to=<user@example.org>
 * The queue id comes first ("NOQUEUE" when the MTA has not assigned one),
 * then the fields in the order they are added. Values made only of
 * letters, digits and . _ - + : / @ , = [ ] are written bare; others are
 * quoted, with '"' and '\' backslash-escaped and bytes outside printable
 * ASCII written as \xNN, so every record stays on one parseable line.
 * A field that no longer fits is dropped and " truncated=yes" ends the
 * line. The struct lives on the caller's stack; no locking is needed.
 */
struct log_line {
    char text[LOG_LINE_MAX];
    size_t len;
    bool truncated;
};

void log_line_init(struct log_line *line, const char *queue_id);
void log_line_add(struct log_line *line, const char *key, const char *value);
void log_line_add_int(struct log_line *line, const char *key, long long value);
void log_line_addf(struct log_line *line, const char *key, const char *fmt, ...)
    LOG_FORMAT(3, 4);
/* Add an address in angle brackets: to=<user@example.org>. One pair of
 * enclosing brackets in address, as MTAs send it, is not doubled. */
void log_line_add_addr(struct log_line *line, const char *key,
                       const char *address);
/* Return the finished line; the pointer stays valid as long as line. */
const char *log_line_text(struct log_line *line);

/*
 * Suppressor for a warning that may repeat many times (a resolver down,
 * a limit reached). The first occurrence of a message is written at once.
 * Identical messages after it are counted; every interval_ms a line
 * "last message repeated N times in S s: MESSAGE" is written while they
 * go on, and "last message repeated N more times before it stopped:
 * MESSAGE" once they stop. A repeat stops when a different message is
 * logged through the same suppressor or when log_tick() finds it quiet
 * for interval_ms.
 */
struct log_repeat {
    pthread_mutex_t lock; /* guards every field below */
    enum mxw_log_level level;
    int64_t interval_ms;
    bool active; /* true while message is the repeating text */
    char message[LOG_LINE_MAX];
    unsigned long repeats; /* occurrences since the last line written */
    int64_t last_seen_ms;
    int64_t last_written_ms;
    struct log_repeat *next; /* registry list, guarded by the registry lock */
    bool registered;
};

/* Set up r and register it so that log_tick() visits it. */
void log_repeat_init(struct log_repeat *r, enum mxw_log_level level,
                     int64_t interval_ms);
/* Write any pending summary and unregister r. */
void log_repeat_destroy(struct log_repeat *r);
void log_repeat(struct log_repeat *r, const char *fmt, ...) LOG_FORMAT(2, 3);
/* Write the summary of r if its repeat has been quiet for interval_ms. */
void log_repeat_tick(struct log_repeat *r);
/* log_repeat_tick() on every registered suppressor; the daemon calls it
 * about once a second. */
void log_tick(void);

#endif
