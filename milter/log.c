/*
 * Logging to syslog or stderr, decision-line building and repeat
 * suppression. See log.h for the contract of each function.
 */
#include "config.h"

#include "log.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Process-wide settings, written by log_open() before threads start. */
static const char *log_ident = "mxwarden";
static bool log_to_stderr = true;
static bool log_syslog_open;
static atomic_int log_level = MXW_LOG_INFO;
static log_sink_fn *log_sink;
static void *log_sink_arg;
static log_clock_fn *log_clock;

/* Guards the list of registered repeat suppressors. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_repeat *registry_head;

static const char *const level_prefix[] = {
    [MXW_LOG_ERROR] = "error: ", [MXW_LOG_WARNING] = "warning: ",
    [MXW_LOG_NOTICE] = "",       [MXW_LOG_INFO] = "",
    [MXW_LOG_DEBUG] = "debug: ",
};

static const int syslog_priority[] = {
    [MXW_LOG_ERROR] = LOG_ERR,     [MXW_LOG_WARNING] = LOG_WARNING,
    [MXW_LOG_NOTICE] = LOG_NOTICE, [MXW_LOG_INFO] = LOG_INFO,
    [MXW_LOG_DEBUG] = LOG_DEBUG,
};

static void write_summary_locked(struct log_repeat *r, int64_t now_ms,
                                 bool stopped);

void
log_open(const struct log_options *opts)
{
    log_ident = opts->ident != NULL ? opts->ident : "mxwarden";
    log_to_stderr = opts->to_stderr;
    atomic_store(&log_level, (int)opts->level);
    if (!log_to_stderr) {
        if (log_syslog_open)
            closelog();
        openlog(log_ident,
                LOG_PID | LOG_NDELAY |
                    (opts->syslog_copy_stderr ? LOG_PERROR : 0),
                opts->facility);
        log_syslog_open = true;
    }
}

void
log_close(void)
{
    struct log_repeat *r;

    pthread_mutex_lock(&registry_lock);
    for (r = registry_head; r != NULL; r = r->next) {
        pthread_mutex_lock(&r->lock);
        if (r->active)
            write_summary_locked(r, log_now_ms(), true);
        r->active = false;
        pthread_mutex_unlock(&r->lock);
    }
    pthread_mutex_unlock(&registry_lock);

    if (log_syslog_open) {
        closelog();
        log_syslog_open = false;
    }
}

void
log_set_level(enum mxw_log_level level)
{
    atomic_store(&log_level, (int)level);
}

bool
log_enabled(enum mxw_log_level level)
{
    return (int)level <= atomic_load(&log_level);
}

void
log_set_sink(log_sink_fn *sink, void *arg)
{
    log_sink = sink;
    log_sink_arg = arg;
}

void
log_set_clock(log_clock_fn *clock)
{
    log_clock = clock;
}

int64_t
log_now_ms(void)
{
    struct timespec ts;

    if (log_clock != NULL)
        return log_clock();
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write a finished line (level prefix included) to its destination. */
static void
emit(enum mxw_log_level level, const char *line)
{
    struct timespec ts;
    struct tm tm;
    char stamp[32];

    if (log_sink != NULL) {
        log_sink(level, line, log_sink_arg);
        return;
    }
    if (!log_to_stderr) {
        syslog(syslog_priority[level], "%s", line);
        return;
    }

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    /* One fprintf per line keeps lines from different threads whole. */
    fprintf(stderr, "%s.%03ldZ %s[%ld]: %s\n", stamp, ts.tv_nsec / 1000000,
            log_ident, (long)getpid(), line);
}

void
log_vwrite(enum mxw_log_level level, const char *fmt, va_list ap)
{
    char line[LOG_LINE_MAX];
    size_t prefix_len;
    int n;

    if (level < MXW_LOG_ERROR || level > MXW_LOG_DEBUG || !log_enabled(level))
        return;

    prefix_len =
        (size_t)snprintf(line, sizeof(line), "%s", level_prefix[level]);
    n = vsnprintf(line + prefix_len, sizeof(line) - prefix_len, fmt, ap);
    if (n < 0)
        snprintf(line + prefix_len, sizeof(line) - prefix_len,
                 "(log format error: %s)", fmt);

    /* A newline or escape sequence from outside data must not forge a
     * second line or reach the terminal. */
    for (char *p = line; *p != '\0'; p++) {
        if (iscntrl((unsigned char)*p))
            *p = '?';
    }
    emit(level, line);
}

void
log_write(enum mxw_log_level level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_vwrite(level, fmt, ap);
    va_end(ap);
}

#define DEFINE_LEVEL_FUNCTION(function, level)                                 \
    void function(const char *fmt, ...)                                        \
    {                                                                          \
        va_list ap;                                                            \
        va_start(ap, fmt);                                                     \
        log_vwrite(level, fmt, ap);                                            \
        va_end(ap);                                                            \
    }

DEFINE_LEVEL_FUNCTION(log_error, MXW_LOG_ERROR)
DEFINE_LEVEL_FUNCTION(log_warning, MXW_LOG_WARNING)
DEFINE_LEVEL_FUNCTION(log_notice, MXW_LOG_NOTICE)
DEFINE_LEVEL_FUNCTION(log_info, MXW_LOG_INFO)
DEFINE_LEVEL_FUNCTION(log_debug, MXW_LOG_DEBUG)

/* Decision lines */

/* Room kept free for " truncated=yes" and the NUL. */
#define LINE_RESERVE 16

static bool
is_bare_char(unsigned char c)
{
    return isalnum(c) || strchr("._-+:/@,=[]", c) != NULL;
}

/* Append text to the line if all of it fits; otherwise mark truncation. */
static void
line_append(struct log_line *line, const char *text, size_t len)
{
    if (line->truncated ||
        line->len + len + LINE_RESERVE > sizeof(line->text)) {
        line->truncated = true;
        return;
    }
    memcpy(line->text + line->len, text, len);
    line->len += len;
    line->text[line->len] = '\0';
}

/* Escape value into out; quote it unless every byte is a bare char. */
static size_t
escape_value(const char *value, char *out, size_t outlen, bool in_brackets)
{
    static const char hex[] = "0123456789abcdef";
    bool quote = !in_brackets && value[0] == '\0';
    size_t used = 0;

    if (!in_brackets) {
        for (const char *p = value; *p != '\0'; p++) {
            if (!is_bare_char((unsigned char)*p)) {
                quote = true;
                break;
            }
        }
    }
    if (in_brackets)
        out[used++] = '<';
    else if (quote)
        out[used++] = '"';

    for (const char *p = value; *p != '\0' && used + 6 < outlen; p++) {
        unsigned char c = (unsigned char)*p;
        bool hex_escape;

        if (in_brackets)
            hex_escape =
                c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '\\';
        else
            hex_escape = c < 0x20 || c >= 0x7f;

        if (hex_escape) {
            out[used++] = '\\';
            out[used++] = 'x';
            out[used++] = hex[c >> 4];
            out[used++] = hex[c & 0xf];
        } else if (!in_brackets && (c == '"' || c == '\\')) {
            out[used++] = '\\';
            out[used++] = (char)c;
        } else {
            out[used++] = (char)c;
        }
    }
    if (in_brackets)
        out[used++] = '>';
    else if (quote)
        out[used++] = '"';
    out[used] = '\0';
    return used;
}

void
log_line_init(struct log_line *line, const char *queue_id)
{
    char escaped[LOG_LINE_MAX];
    size_t n;

    line->len = 0;
    line->truncated = false;
    line->text[0] = '\0';
    if (queue_id == NULL || queue_id[0] == '\0') {
        line_append(line, "NOQUEUE:", 8);
        return;
    }
    n = escape_value(queue_id, escaped, sizeof(escaped), false);
    line_append(line, escaped, n);
    line_append(line, ":", 1);
}

static void
add_field(struct log_line *line, const char *key, const char *value,
          bool address)
{
    char field[LOG_LINE_MAX];
    size_t n;

    n = (size_t)snprintf(field, sizeof(field), " %s=", key);
    if (n >= sizeof(field)) {
        line->truncated = true;
        return;
    }
    /* Each input byte takes at most four output bytes. */
    if (strlen(value) * 4 + n + 3 >= sizeof(field)) {
        line->truncated = true;
        return;
    }
    n += escape_value(value, field + n, sizeof(field) - n, address);
    line_append(line, field, n);
}

void
log_line_add(struct log_line *line, const char *key, const char *value)
{
    add_field(line, key, value != NULL ? value : "", false);
}

void
log_line_add_int(struct log_line *line, const char *key, long long value)
{
    char text[32];

    snprintf(text, sizeof(text), "%lld", value);
    add_field(line, key, text, false);
}

void
log_line_addf(struct log_line *line, const char *key, const char *fmt, ...)
{
    char text[LOG_LINE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    add_field(line, key, text, false);
}

void
log_line_add_addr(struct log_line *line, const char *key, const char *address)
{
    char bare[LOG_LINE_MAX];
    size_t len;

    if (address == NULL)
        address = "";
    /* MTAs pass envelope addresses as "<user@domain>"; the brackets are
     * added back once. */
    len = strlen(address);
    if (len >= 2 && address[0] == '<' && address[len - 1] == '>' &&
        len - 2 < sizeof(bare)) {
        memcpy(bare, address + 1, len - 2);
        bare[len - 2] = '\0';
        address = bare;
    }
    add_field(line, key, address, true);
}

const char *
log_line_text(struct log_line *line)
{
    static const char mark[] = " truncated=yes";

    if (line->truncated &&
        (line->len < sizeof(mark) - 1 ||
         strcmp(line->text + line->len - (sizeof(mark) - 1), mark) != 0)) {
        memcpy(line->text + line->len, mark, sizeof(mark));
        line->len += sizeof(mark) - 1;
    }
    return line->text;
}

/* Repeat suppression */

void
log_repeat_init(struct log_repeat *r, enum mxw_log_level level,
                int64_t interval_ms)
{
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&r->lock, NULL);
    r->level = level;
    r->interval_ms = interval_ms;

    pthread_mutex_lock(&registry_lock);
    r->next = registry_head;
    registry_head = r;
    r->registered = true;
    pthread_mutex_unlock(&registry_lock);
}

/* Write the pending count of r as a summary line; r->lock is held. */
static void
write_summary_locked(struct log_repeat *r, int64_t now_ms, bool stopped)
{
    if (r->repeats == 0)
        return;
    if (stopped)
        log_write(r->level,
                  "last message repeated %lu more %s before it stopped: %s",
                  r->repeats, r->repeats == 1 ? "time" : "times", r->message);
    else
        log_write(r->level, "last message repeated %lu times in %lld s: %s",
                  r->repeats,
                  (long long)((now_ms - r->last_written_ms + 999) / 1000),
                  r->message);
    r->repeats = 0;
    r->last_written_ms = now_ms;
}

void
log_repeat(struct log_repeat *r, const char *fmt, ...)
{
    char message[LOG_LINE_MAX];
    int64_t now_ms = log_now_ms();
    va_list ap;

    if (!log_enabled(r->level))
        return;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);

    pthread_mutex_lock(&r->lock);
    if (r->active && strcmp(r->message, message) == 0) {
        r->repeats++;
        r->last_seen_ms = now_ms;
        if (now_ms - r->last_written_ms >= r->interval_ms)
            write_summary_locked(r, now_ms, false);
    } else {
        if (r->active)
            write_summary_locked(r, now_ms, true);
        log_write(r->level, "%s", message);
        memcpy(r->message, message, sizeof(message));
        r->active = true;
        r->repeats = 0;
        r->last_seen_ms = now_ms;
        r->last_written_ms = now_ms;
    }
    pthread_mutex_unlock(&r->lock);
}

void
log_repeat_tick(struct log_repeat *r)
{
    int64_t now_ms = log_now_ms();

    pthread_mutex_lock(&r->lock);
    if (r->active && now_ms - r->last_seen_ms >= r->interval_ms) {
        write_summary_locked(r, now_ms, true);
        r->active = false;
    } else if (r->active && r->repeats > 0 &&
               now_ms - r->last_written_ms >= r->interval_ms) {
        write_summary_locked(r, now_ms, false);
    }
    pthread_mutex_unlock(&r->lock);
}

void
log_tick(void)
{
    pthread_mutex_lock(&registry_lock);
    for (struct log_repeat *r = registry_head; r != NULL; r = r->next)
        log_repeat_tick(r);
    pthread_mutex_unlock(&registry_lock);
}

void
log_repeat_destroy(struct log_repeat *r)
{
    pthread_mutex_lock(&registry_lock);
    if (r->registered) {
        for (struct log_repeat **p = &registry_head; *p != NULL;
             p = &(*p)->next) {
            if (*p == r) {
                *p = r->next;
                break;
            }
        }
        r->registered = false;
    }
    pthread_mutex_unlock(&registry_lock);

    pthread_mutex_lock(&r->lock);
    if (r->active)
        write_summary_locked(r, log_now_ms(), true);
    r->active = false;
    pthread_mutex_unlock(&r->lock);
    pthread_mutex_destroy(&r->lock);
}
