/*
 * Configuration loading: reads a libconfig file, applies each setting
 * through its row in config_table[], and checks the rules that involve
 * more than one key.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxw_config.h"

/* Enum fields are written through an int pointer. */
_Static_assert(sizeof(enum mxw_log_level) == sizeof(int),
               "enum mxw_log_level must have the size of int");
_Static_assert(sizeof(enum mxw_mode) == sizeof(int),
               "enum mxw_mode must have the size of int");

/* Origin of a setting (file and line), for error messages. */
struct source {
    const char *file;
    int line; /* 0 when unknown */
};

static void *
field_of(struct mxw_config *cfg, const struct config_key *key)
{
    return (char *)cfg + key->offset;
}

static const void *
field_of_const(const struct mxw_config *cfg, const struct config_key *key)
{
    return (const char *)cfg + key->offset;
}

/*
 * Write "FILE:LINE: KEY: " followed by the formatted text into err.
 * key may be NULL. Returns -1 so callers can "return report(...)".
 */
__attribute__((format(printf, 5, 6))) static int
report(char *err, size_t errlen, const struct source *src, const char *key,
       const char *fmt, ...)
{
    char prefix[256];
    char text[MXW_CONFIG_ERR_MAX];
    va_list ap;

    if (err == NULL || errlen == 0)
        return -1;
    if (src->line > 0)
        snprintf(prefix, sizeof(prefix), "%s:%d: ", src->file, src->line);
    else
        snprintf(prefix, sizeof(prefix), "%s: ", src->file);

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);

    if (key != NULL)
        snprintf(err, errlen, "%s%s: %s", prefix, key, text);
    else
        snprintf(err, errlen, "%s%s", prefix, text);
    return -1;
}

/* Append text quoted as a libconfig string, with \" and \\ escaped. */
static void
append_quoted(char *buf, size_t buflen, size_t *used, const char *text)
{
    static const char hex[] = "0123456789abcdef";

    if (*used + 1 < buflen)
        buf[(*used)++] = '"';
    for (const char *p = text; *p != '\0' && *used + 5 < buflen; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\') {
            buf[(*used)++] = '\\';
            buf[(*used)++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            buf[(*used)++] = '\\';
            buf[(*used)++] = 'x';
            buf[(*used)++] = hex[c >> 4];
            buf[(*used)++] = hex[c & 0xf];
        } else {
            buf[(*used)++] = (char)c;
        }
    }
    if (*used + 1 < buflen)
        buf[(*used)++] = '"';
    buf[*used < buflen ? *used : buflen - 1] = '\0';
}

/* Describe a setting's value for an error message, e.g. "\"abc\"". */
static const char *
describe_setting(const config_setting_t *s, char *buf, size_t buflen)
{
    size_t used = 0;

    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        snprintf(buf, buflen, "%lld", config_setting_get_int64(s));
        break;
    case CONFIG_TYPE_FLOAT:
        snprintf(buf, buflen, "%g", config_setting_get_float(s));
        break;
    case CONFIG_TYPE_BOOL:
        snprintf(buf, buflen, "%s",
                 config_setting_get_bool(s) ? "true" : "false");
        break;
    case CONFIG_TYPE_STRING:
        buf[0] = '\0';
        append_quoted(buf, buflen, &used, config_setting_get_string(s));
        break;
    case CONFIG_TYPE_GROUP:
        snprintf(buf, buflen, "a group");
        break;
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST:
        snprintf(buf, buflen, "a list");
        break;
    default:
        snprintf(buf, buflen, "an unknown value");
        break;
    }
    return buf;
}

/* Describe a list setting with its items, e.g. "[\"550 5.1.2\"]". */
static const char *
describe_list(const config_setting_t *s, char *buf, size_t buflen)
{
    char item[128];
    int n = config_setting_length(s);
    size_t used = (size_t)snprintf(buf, buflen, "[");

    for (int i = 0; i < n && used < buflen; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

        used += (size_t)snprintf(buf + used, buflen - used, "%s%s",
                                 i > 0 ? ", " : "",
                                 describe_setting(e, item, sizeof(item)));
    }
    if (used < buflen)
        snprintf(buf + used, buflen - used, "]");
    return buf;
}

/*
 * Check that a string has no control character (0x00..0x1f, 0x7f). No
 * key accepts one: a newline in a path, name or reply would split a log
 * line or a protocol line. Returns true when text is clean, or else
 * writes the character and its position into why and returns false.
 */
static bool
check_no_control(const char *text, char *why, size_t whylen)
{
    for (const char *p = text; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;

        if (c < 0x20 || c == 0x7f) {
            snprintf(why, whylen,
                     "control character \\x%02x at position %zu is not "
                     "allowed",
                     c, (size_t)(p - text) + 1);
            return false;
        }
    }
    return true;
}

/* Report a list with the wrong number of items, showing its items. */
static int
report_item_count(const struct config_key *key, const config_setting_t *s,
                  const struct source *src, char *err, size_t errlen)
{
    char items[256];
    int n = config_setting_length(s);

    return report(err, errlen, src, key->name,
                  "%d item%s given (%s); allowed: %s", n, n == 1 ? "" : "s",
                  describe_list(s, items, sizeof(items)), key->allowed);
}

static const char *
type_word(int libconfig_type)
{
    switch (libconfig_type) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a floating-point number";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_GROUP:
        return "a group";
    case CONFIG_TYPE_ARRAY:
    case CONFIG_TYPE_LIST:
        return "a list";
    default:
        return "an unknown type";
    }
}

static const char *
expected_type_word(enum config_type type)
{
    switch (type) {
    case CONFIG_BOOL:
        return "a boolean (true or false)";
    case CONFIG_INT:
        return "an integer";
    case CONFIG_STRING:
    case CONFIG_ENUM:
    case CONFIG_OCTAL:
        return "a string";
    case CONFIG_STR_LIST:
        return "a list of strings";
    case CONFIG_INT_LIST:
        return "a list of integers";
    }
    return "?";
}

const char *
config_describe_allowed(const struct config_key *key, char *buf, size_t buflen)
{
    size_t used = 0;

    if (key->type == CONFIG_ENUM) {
        used += (size_t)snprintf(buf, buflen, "one of");
        for (const struct config_choice *c = key->choices; c->name != NULL;
             c++) {
            if (used >= buflen)
                break;
            used += (size_t)snprintf(buf + used, buflen - used, "%s %s",
                                     c == key->choices ? "" : ",", c->name);
        }
        return buf;
    }
    if (key->type == CONFIG_INT) {
        snprintf(buf, buflen, "%lld..%lld%s%s", key->min, key->max,
                 key->unit ? " " : "", key->unit ? key->unit : "");
        return buf;
    }
    snprintf(buf, buflen, "%s", key->allowed ? key->allowed : "");
    return buf;
}

static int
lookup_choice(const struct config_key *key, const char *word, int *value)
{
    for (const struct config_choice *c = key->choices; c->name != NULL; c++) {
        if (strcmp(c->name, word) == 0) {
            *value = c->value;
            return 0;
        }
    }
    return -1;
}

const char *
config_enum_name(const struct config_key *key, int value)
{
    for (const struct config_choice *c = key->choices; c->name != NULL; c++) {
        if (c->value == value)
            return c->name;
    }
    return "?";
}

/* Parse "0660" or "660": one to four octal digits. */
static int
parse_octal(const char *text, long long *value)
{
    size_t len = strlen(text);
    long long v = 0;

    if (len == 0 || len > 4)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '7')
            return -1;
        v = v * 8 + (text[i] - '0');
    }
    *value = v;
    return 0;
}

static void
free_field(struct mxw_config *cfg, const struct config_key *key)
{
    void *f = field_of(cfg, key);

    switch (key->type) {
    case CONFIG_STRING: {
        char **s = f;
        free(*s);
        *s = NULL;
        break;
    }
    case CONFIG_STR_LIST: {
        struct mxw_strlist *l = f;
        for (size_t i = 0; i < l->count; i++)
            free(l->items[i]);
        free(l->items);
        l->items = NULL;
        l->count = 0;
        break;
    }
    case CONFIG_INT_LIST: {
        struct mxw_intlist *l = f;
        free(l->items);
        l->items = NULL;
        l->count = 0;
        break;
    }
    default:
        break;
    }
}

void
config_free(struct mxw_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < config_table_count; i++)
        free_field(cfg, &config_table[i]);
    memset(cfg, 0, sizeof(*cfg));
}

static int
check_type(const struct config_key *key, const config_setting_t *s,
           const struct source *src, char *err, size_t errlen)
{
    int t = config_setting_type(s);
    bool ok;
    char value[128];

    switch (key->type) {
    case CONFIG_BOOL:
        ok = t == CONFIG_TYPE_BOOL;
        break;
    case CONFIG_INT:
        ok = t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
        break;
    case CONFIG_STRING:
    case CONFIG_ENUM:
    case CONFIG_OCTAL:
        ok = t == CONFIG_TYPE_STRING;
        break;
    default:
        ok = t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST;
        break;
    }
    if (ok)
        return 0;

    if (key->type == CONFIG_OCTAL && t == CONFIG_TYPE_INT)
        return report(err, errlen, src, key->name,
                      "wrong type: got the integer %s, expected a string; "
                      "write the mode in quotes, such as \"0660\"",
                      describe_setting(s, value, sizeof(value)));
    return report(err, errlen, src, key->name,
                  "wrong type: got %s (%s), expected %s", type_word(t),
                  describe_setting(s, value, sizeof(value)),
                  expected_type_word(key->type));
}

static int
apply_string_list(const struct config_key *key, const config_setting_t *s,
                  struct mxw_config *cfg, const struct source *src, char *err,
                  size_t errlen)
{
    struct mxw_strlist list = {0};
    int n = config_setting_length(s);
    char why[256];
    char value[256];
    char other[256];

    if ((size_t)n < key->min_items || (size_t)n > key->max_items)
        return report_item_count(key, s, src, err, errlen);
    list.items = calloc((size_t)n + 1, sizeof(*list.items));
    if (list.items == NULL)
        return report(err, errlen, src, key->name, "out of memory");

    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        config_check_fn *check;
        const char *text;

        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            report(err, errlen, src, key->name,
                   "item %d is %s (%s), expected a string", i + 1,
                   type_word(config_setting_type(e)),
                   describe_setting(e, value, sizeof(value)));
            goto fail;
        }
        text = config_setting_get_string(e);
        check = i == 1 && key->check_second != NULL ? key->check_second
                                                    : key->check;
        if (!check_no_control(text, why, sizeof(why)) ||
            (check != NULL && !check(text, why, sizeof(why)))) {
            report(err, errlen, src, key->name, "invalid item %d %s: %s", i + 1,
                   describe_setting(e, value, sizeof(value)), why);
            goto fail;
        }
        for (size_t j = 0; j < list.count && !key->duplicates_allowed; j++) {
            bool same = key->same != NULL ? key->same(list.items[j], text)
                                          : strcmp(list.items[j], text) == 0;
            if (same) {
                report(err, errlen, src, key->name,
                       "items %zu %s and %d %s are the same; list each "
                       "once",
                       j + 1,
                       describe_setting(config_setting_get_elem(s, (unsigned)j),
                                        other, sizeof(other)),
                       i + 1, describe_setting(e, value, sizeof(value)));
                goto fail;
            }
        }
        list.items[list.count] = strdup(text);
        if (list.items[list.count] == NULL) {
            report(err, errlen, src, key->name, "out of memory");
            goto fail;
        }
        list.count++;
    }

    free_field(cfg, key);
    *(struct mxw_strlist *)field_of(cfg, key) = list;
    return 0;

fail:
    for (size_t j = 0; j < list.count; j++)
        free(list.items[j]);
    free(list.items);
    return -1;
}

static int
apply_int_list(const struct config_key *key, const config_setting_t *s,
               struct mxw_config *cfg, const struct source *src, char *err,
               size_t errlen)
{
    struct mxw_intlist list = {0};
    int n = config_setting_length(s);
    char value[128];

    if ((size_t)n < key->min_items || (size_t)n > key->max_items)
        return report_item_count(key, s, src, err, errlen);
    list.items = calloc((size_t)n + 1, sizeof(*list.items));
    if (list.items == NULL)
        return report(err, errlen, src, key->name, "out of memory");

    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        long long v;
        int t = config_setting_type(e);

        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
            report(err, errlen, src, key->name,
                   "item %d is %s (%s), expected an integer", i + 1,
                   type_word(t), describe_setting(e, value, sizeof(value)));
            goto fail;
        }
        v = config_setting_get_int64(e);
        if (v < key->min || v > key->max) {
            report(err, errlen, src, key->name,
                   "item %d is %lld, out of range; allowed: %s", i + 1, v,
                   key->allowed);
            goto fail;
        }
        if (i > 0 && v >= list.items[i - 1]) {
            report(err, errlen, src, key->name,
                   "item %d (%lld) is not smaller than item %d (%d); "
                   "sizes must be strictly descending",
                   i + 1, v, i, list.items[i - 1]);
            goto fail;
        }
        list.items[i] = (int)v;
        list.count++;
    }

    free_field(cfg, key);
    *(struct mxw_intlist *)field_of(cfg, key) = list;
    return 0;

fail:
    free(list.items);
    return -1;
}

/* Check setting s against key and store it in cfg. */
static int
apply_setting(const struct config_key *key, const config_setting_t *s,
              struct mxw_config *cfg, const struct source *src, char *err,
              size_t errlen)
{
    void *f = field_of(cfg, key);
    char why[256];
    char value[256];
    char allowed[256];

    if (check_type(key, s, src, err, errlen) != 0)
        return -1;

    switch (key->type) {
    case CONFIG_BOOL:
        *(bool *)f = config_setting_get_bool(s) != 0;
        return 0;

    case CONFIG_INT: {
        long long v = config_setting_get_int64(s);
        if (v < key->min || v > key->max)
            return report(
                err, errlen, src, key->name,
                "value %lld is out of range; allowed: %s", v,
                config_describe_allowed(key, allowed, sizeof(allowed)));
        *(int *)f = (int)v;
        return 0;
    }

    case CONFIG_STRING: {
        const char *text = config_setting_get_string(s);
        char *copy;

        if (!check_no_control(text, why, sizeof(why)) ||
            (key->check != NULL && !key->check(text, why, sizeof(why))))
            return report(err, errlen, src, key->name,
                          "invalid value %s: %s; allowed: %s",
                          describe_setting(s, value, sizeof(value)), why,
                          key->allowed);
        copy = strdup(text);
        if (copy == NULL)
            return report(err, errlen, src, key->name, "out of memory");
        free_field(cfg, key);
        *(char **)f = copy;
        return 0;
    }

    case CONFIG_ENUM:
        if (lookup_choice(key, config_setting_get_string(s), (int *)f) != 0)
            return report(
                err, errlen, src, key->name, "invalid value %s; allowed: %s",
                describe_setting(s, value, sizeof(value)),
                config_describe_allowed(key, allowed, sizeof(allowed)));
        return 0;

    case CONFIG_OCTAL: {
        long long v;
        if (parse_octal(config_setting_get_string(s), &v) != 0 ||
            v < key->min || v > key->max)
            return report(
                err, errlen, src, key->name, "invalid value %s; allowed: %s",
                describe_setting(s, value, sizeof(value)), key->allowed);
        *(int *)f = (int)v;
        return 0;
    }

    case CONFIG_STR_LIST:
        return apply_string_list(key, s, cfg, src, err, errlen);

    case CONFIG_INT_LIST:
        return apply_int_list(key, s, cfg, src, err, errlen);
    }
    return report(err, errlen, src, key->name, "unsupported key type");
}

/* Line of key in the file just read, or 0 when the default was used. */
static int
key_line(const int *lines, const char *name)
{
    const struct config_key *key = config_key_find(name);

    return key != NULL ? lines[key - config_table] : 0;
}

/* Report a conflict between two keys at the line of the later one. */
static int
report_pair(char *err, size_t errlen, const char *file, const int *lines,
            const char *low, int low_value, const char *high, int high_value,
            const char *why)
{
    int low_line = key_line(lines, low);
    int high_line = key_line(lines, high);
    struct source src = {
        .file = file,
        .line = low_line > high_line ? low_line : high_line,
    };

    return report(err, errlen, &src, low,
                  "%d is greater than %s (%d); %s must not exceed %s%s%s",
                  low_value, high, high_value, low, high, why ? ": " : "",
                  why ? why : "");
}

/*
 * The milter, policy and socketmap listeners each need a socket of their
 * own: a second bind to the same unix path or inet port fails, or for a
 * unix path removes the first listener's socket.
 */
static int
check_distinct_sockets(const struct mxw_config *cfg, const char *file,
                       const int *lines, char *err, size_t errlen)
{
    const struct {
        const char *name;
        const char *value;
    } sockets[] = {
        {"socket", cfg->socket},
        {"policy_socket", cfg->policy_socket},
        {"socketmap_socket", cfg->socketmap_socket},
    };
    const size_t count = sizeof(sockets) / sizeof(sockets[0]);

    for (size_t i = 0; i < count; i++) {
        for (size_t j = i + 1; j < count; j++) {
            int line_i = key_line(lines, sockets[i].name);
            int line_j = key_line(lines, sockets[j].name);
            size_t later = line_i > line_j ? i : j;
            size_t earlier = later == i ? j : i;
            struct source src = {
                .file = file,
                .line = line_i > line_j ? line_i : line_j,
            };

            if (sockets[i].value == NULL || sockets[i].value[0] == '\0' ||
                sockets[j].value == NULL || sockets[j].value[0] == '\0')
                continue;
            if (!config_socket_same(sockets[i].value, sockets[j].value))
                continue;
            return report(err, errlen, &src, sockets[later].name,
                          "\"%s\" is the same socket as %s (\"%s\"); give "
                          "each listener its own socket",
                          sockets[later].value, sockets[earlier].name,
                          sockets[earlier].value);
        }
    }
    return 0;
}

/* Rules that involve more than one key. */
static int
check_cross_keys(const struct mxw_config *cfg, const char *file,
                 const int *lines, char *err, size_t errlen)
{
    if (cfg->ttl_min_s > cfg->ttl_max_s)
        return report_pair(err, errlen, file, lines, "ttl_min_s",
                           cfg->ttl_min_s, "ttl_max_s", cfg->ttl_max_s, NULL);
    if (cfg->negative_ttl_min_s > cfg->negative_ttl_max_s)
        return report_pair(err, errlen, file, lines, "negative_ttl_min_s",
                           cfg->negative_ttl_min_s, "negative_ttl_max_s",
                           cfg->negative_ttl_max_s, NULL);
    if (cfg->step_timeout_ms > cfg->rcpt_deadline_ms)
        return report_pair(err, errlen, file, lines, "step_timeout_ms",
                           cfg->step_timeout_ms, "rcpt_deadline_ms",
                           cfg->rcpt_deadline_ms,
                           "one DNS step cannot take longer than the whole "
                           "RCPT decision");
    if (cfg->temp_error_ttl_s > cfg->ttl_max_s)
        return report_pair(err, errlen, file, lines, "temp_error_ttl_s",
                           cfg->temp_error_ttl_s, "ttl_max_s", cfg->ttl_max_s,
                           NULL);
    return check_distinct_sockets(cfg, file, lines, err, errlen);
}

/* Apply every top-level setting of lc onto cfg, then the cross checks. */
static int
apply_all(config_t *lc, const char *name, struct mxw_config *cfg, char *err,
          size_t errlen)
{
    config_setting_t *root = config_root_setting(lc);
    int n = config_setting_length(root);
    int *lines = calloc(config_table_count, sizeof(*lines));
    int rc = -1;

    if (lines == NULL) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        const char *key_name = config_setting_name(s);
        const char *file = config_setting_source_file(s);
        struct source src = {
            .file = file != NULL ? file : name,
            .line = config_setting_source_line(s),
        };
        const struct config_key *key = config_key_find(key_name);

        if (key == NULL) {
            report(err, errlen, &src, key_name,
                   "unknown key; see mxwarden.conf(5) or \"mxwarden -D\" "
                   "for the valid keys");
            goto done;
        }
        if (apply_setting(key, s, cfg, &src, err, errlen) != 0)
            goto done;
        lines[key - config_table] = src.line;
    }
    rc = check_cross_keys(cfg, name, lines, err, errlen);

done:
    free(lines);
    return rc;
}

/* Largest configuration file read; the sample is about 10 KiB. */
#define CONFIG_FILE_MAX_BYTES (1024 * 1024)

/*
 * A token of libconfig syntax, as far as the checks around libconfig's
 * own parse need one: a name, number, string, "@" directive or single
 * punctuation character. Comments and white space are skipped the way
 * libconfig 1.5 skips them, so text inside a string or a comment never
 * becomes a token.
 */
enum token_kind {
    TOKEN_END,
    TOKEN_NAME,
    TOKEN_NUMBER,
    TOKEN_STRING,
    TOKEN_DIRECTIVE,
    TOKEN_PUNCT,
};

struct token {
    enum token_kind kind;
    const char *start;
    size_t len;
    int line; /* 1-based line of the first character */
};

struct lexer {
    const char *p;
    int line;
};

/* Skip white space, "#" and "//" comments to end of line, and block
 * comments. */
static void
lexer_skip_blank(struct lexer *lx)
{
    for (;;) {
        const char *p = lx->p;

        if (*p == '\n') {
            lx->line++;
            lx->p++;
        } else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' ||
                   *p == '\v') {
            lx->p++;
        } else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            lx->p += strcspn(p, "\n");
        } else if (p[0] == '/' && p[1] == '*') {
            for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++) {
                if (*p == '\n')
                    lx->line++;
            }
            lx->p = *p != '\0' ? p + 2 : p;
        } else {
            return;
        }
    }
}

static bool
is_hex_literal(const char *p)
{
    if (*p == '+' || *p == '-')
        p++;
    return p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
}

static void
lexer_next(struct lexer *lx, struct token *tok)
{
    const char *p;

    lexer_skip_blank(lx);
    p = lx->p;
    tok->start = p;
    tok->line = lx->line;
    if (*p == '\0') {
        tok->kind = TOKEN_END;
    } else if (*p == '"') {
        tok->kind = TOKEN_STRING;
        for (p++; *p != '\0' && *p != '"'; p++) {
            if (*p == '\\' && p[1] != '\0')
                p++;
            if (*p == '\n')
                lx->line++;
        }
        if (*p == '"')
            p++;
    } else if (*p == '@') {
        tok->kind = TOKEN_DIRECTIVE;
        for (p++; isalpha((unsigned char)*p); p++)
            continue;
    } else if (isalpha((unsigned char)*p) || *p == '*') {
        /* libconfig names: [A-Za-z*][-A-Za-z0-9_*]* */
        tok->kind = TOKEN_NAME;
        for (p++;
             isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '*';
             p++)
            continue;
    } else if (isdigit((unsigned char)*p) ||
               ((*p == '-' || *p == '+' || *p == '.') &&
                (isdigit((unsigned char)p[1]) || p[1] == '.'))) {
        bool hex = is_hex_literal(p);

        /* Integers, hex, floats with an exponent, and an L suffix. */
        tok->kind = TOKEN_NUMBER;
        for (p++;; p++) {
            if (isalnum((unsigned char)*p) || *p == '.')
                continue;
            if ((*p == '+' || *p == '-') && !hex &&
                (p[-1] == 'e' || p[-1] == 'E'))
                continue;
            break;
        }
    } else {
        tok->kind = TOKEN_PUNCT;
        p++;
    }
    tok->len = (size_t)(p - tok->start);
    lx->p = p;
}

/*
 * Check an integer literal against what libconfig 1.5 stores without
 * loss. It keeps a literal without an L suffix in a C int and one with
 * L in an int64, and silently wraps or clamps a literal that does not
 * fit: "4294967396" loads as 100. Returns false for such a literal, true
 * for one that fits or that is not an integer.
 */
static bool
literal_fits(const struct token *tok)
{
    const char *p = tok->start;
    const char *end = tok->start + tok->len;
    bool negative = false;
    bool wide = false;
    unsigned base = 10;
    uint64_t value = 0;
    uint64_t limit;

    if (*p == '+' || *p == '-') {
        negative = *p == '-';
        p++;
    }
    if (is_hex_literal(p)) {
        base = 16;
        p += 2;
    }
    while (end > p && end[-1] == 'L') {
        wide = true;
        end--;
    }
    for (; p < end; p++) {
        unsigned digit;

        if (isdigit((unsigned char)*p))
            digit = (unsigned)(*p - '0');
        else if (base == 16 && isxdigit((unsigned char)*p))
            digit = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
        else
            return true; /* a float, or text libconfig has rejected */
        if (value > (UINT64_MAX - digit) / base)
            return false;
        value = value * base + digit;
    }
    limit = wide ? (uint64_t)INT64_MAX : (uint64_t)INT_MAX;
    if (negative)
        limit++;
    return value <= limit;
}

/* Return the table row whose name is the len bytes at name, or NULL. */
static const struct config_key *
key_find_text(const char *name, size_t len)
{
    char buf[64];

    if (len >= sizeof(buf))
        return NULL;
    memcpy(buf, name, len);
    buf[len] = '\0';
    return config_key_find(buf);
}

/*
 * Check the raw text before libconfig parses it. libconfig 1.5 follows
 * an @include directive to any path, resolves a relative one from the
 * working directory, and blocks on a FIFO. mxwarden reads exactly one
 * file, so the directive is rejected wherever the lexer finds it outside
 * strings and comments.
 */
static int
check_text_before_parse(const char *text, const char *name, char *err,
                        size_t errlen)
{
    struct lexer lx = {.p = text, .line = 1};
    struct source src = {.file = name, .line = 1};
    struct token tok;

    if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
        return report(err, errlen, &src, NULL,
                      "syntax error: the file starts with a UTF-8 byte "
                      "order mark; remove the byte order mark");
    for (lexer_next(&lx, &tok); tok.kind != TOKEN_END; lexer_next(&lx, &tok)) {
        if (tok.kind == TOKEN_DIRECTIVE && tok.len == 8 &&
            strncmp(tok.start, "@include", 8) == 0) {
            src.line = tok.line;
            return report(err, errlen, &src, NULL,
                          "@include is not supported; put every setting "
                          "in one file");
        }
    }
    return 0;
}

/*
 * Find integer literals that libconfig parsed without an error but
 * stored wrapped (see literal_fits()), and report the first under a
 * known key. A literal under an unknown key is left for apply_all() to
 * report as an unknown key.
 */
static int
check_integer_literals(const char *text, const char *name, char *err,
                       size_t errlen)
{
    struct lexer lx = {.p = text, .line = 1};
    struct token prev = {.kind = TOKEN_END};
    struct token tok;
    const struct config_key *key = NULL;
    char allowed[256];
    int depth = 0;

    for (lexer_next(&lx, &tok); tok.kind != TOKEN_END;
         prev = tok, lexer_next(&lx, &tok)) {
        if (tok.kind == TOKEN_PUNCT) {
            char c = tok.start[0];

            if (c == '{')
                depth++;
            else if (c == '}')
                depth--;
            else if ((c == '=' || c == ':') && depth == 0 &&
                     prev.kind == TOKEN_NAME)
                key = key_find_text(prev.start, prev.len);
            continue;
        }
        if (tok.kind != TOKEN_NUMBER || key == NULL || literal_fits(&tok))
            continue;

        struct source src = {.file = name, .line = tok.line};
        return report(err, errlen, &src, key->name,
                      "value %.*s is out of range; allowed: %s", (int)tok.len,
                      tok.start,
                      config_describe_allowed(key, allowed, sizeof(allowed)));
    }
    return 0;
}

/* Copy line number line (1-based) of text into buf without its newline.
 * Returns false when text has fewer lines. */
static bool
copy_text_line(const char *text, int line, char *buf, size_t buflen)
{
    const char *p = text;
    size_t len;

    for (int i = 1; i < line; i++) {
        p = strchr(p, '\n');
        if (p == NULL)
            return false;
        p++;
    }
    len = strcspn(p, "\n");
    snprintf(buf, buflen, "%.*s", (int)len, p);
    return true;
}

/*
 * Explain a syntax error at the end of the input: a last "NAME =" without
 * a value, or else a list, group or string left open.
 */
static int
explain_end_of_input(const char *text, const struct source *src, char *err,
                     size_t errlen)
{
    struct lexer lx = {.p = text, .line = 1};
    struct token before = {.kind = TOKEN_END};
    struct token last = {.kind = TOKEN_END};
    struct token tok;
    struct source at = *src;
    char key_name[64];

    for (lexer_next(&lx, &tok); tok.kind != TOKEN_END; lexer_next(&lx, &tok)) {
        before = last;
        last = tok;
    }
    if (lx.line != src->line) {
        /* libconfig named a line before the last, so the input did not
         * end early. */
        return report(err, errlen, src, NULL, "syntax error");
    }
    if (before.kind == TOKEN_NAME && before.len < sizeof(key_name) &&
        last.kind == TOKEN_PUNCT &&
        (last.start[0] == '=' || last.start[0] == ':')) {
        snprintf(key_name, sizeof(key_name), "%.*s", (int)before.len,
                 before.start);
        at.line = last.line;
        return report(err, errlen, &at, NULL,
                      "syntax error: expected a value after '%s %c'", key_name,
                      last.start[0]);
    }
    return report(err, errlen, src, NULL,
                  "syntax error at end of input; check for a list, group or "
                  "string that is not closed");
}

/*
 * Explain libconfig's bare "syntax error" from the text of the line it
 * names: a missing value, a bare word where a string or boolean belongs,
 * an unclosed list at the end of the input, or else the line itself.
 */
static int
explain_syntax_error(const char *text, const struct source *src, char *err,
                     size_t errlen)
{
    char line[256];
    char quoted[300];
    char key_name[64];
    const struct config_key *key;
    struct lexer lx;
    struct token name;
    struct token sep;
    struct token value;
    size_t used = 0;

    if (text == NULL || !copy_text_line(text, src->line, line, sizeof(line)))
        return report(err, errlen, src, NULL, "syntax error");

    /* A line without tokens: the input may have ended early. */
    lx = (struct lexer){.p = line, .line = 1};
    lexer_next(&lx, &name);
    if (name.kind == TOKEN_END)
        return explain_end_of_input(text, src, err, errlen);

    lexer_next(&lx, &sep);
    lexer_next(&lx, &value);
    if (name.kind == TOKEN_NAME && name.len < sizeof(key_name) &&
        sep.kind == TOKEN_PUNCT &&
        (sep.start[0] == '=' || sep.start[0] == ':')) {
        snprintf(key_name, sizeof(key_name), "%.*s", (int)name.len, name.start);
        key = config_key_find(key_name);
        if (value.kind == TOKEN_END ||
            (value.kind == TOKEN_PUNCT &&
             (value.start[0] == ';' || value.start[0] == ','))) {
            return report(err, errlen, src, NULL,
                          "syntax error: expected a value after '%s %c'",
                          key_name, sep.start[0]);
        }
        if (value.kind == TOKEN_NAME && key != NULL && key->type == CONFIG_BOOL)
            return report(err, errlen, src, NULL,
                          "syntax error: expected true or false for %s, not "
                          "%.*s",
                          key_name, (int)value.len, value.start);
        if (value.kind == TOKEN_NAME)
            return report(err, errlen, src, NULL,
                          "syntax error: expected a value for %s; write a "
                          "string in double quotes, such as \"%.*s\"",
                          key_name, (int)value.len, value.start);
    }

    append_quoted(quoted, sizeof(quoted), &used, line + strspn(line, " \t"));
    return report(err, errlen, src, NULL, "syntax error in %s", quoted);
}

static int
report_syntax(config_t *lc, const char *text, const char *name, char *err,
              size_t errlen)
{
    const char *file = config_error_file(lc);
    struct source src = {
        .file = file != NULL ? file : name,
        .line = config_error_line(lc),
    };
    const char *what = config_error_text(lc);

    if (what == NULL || strcmp(what, "syntax error") == 0)
        return explain_syntax_error(text, &src, err, errlen);
    return report(err, errlen, &src, NULL, "syntax error: %s", what);
}

/*
 * Parse text into lc with the checks libconfig 1.5 lacks: no @include,
 * no byte order mark, no integer that libconfig would wrap. name is the
 * file name for messages.
 */
static int
parse_text(config_t *lc, const char *text, const char *name, char *err,
           size_t errlen)
{
    if (check_text_before_parse(text, name, err, errlen) != 0)
        return -1;
    if (config_read_string(lc, text) != CONFIG_TRUE)
        return report_syntax(lc, text, name, err, errlen);
    return check_integer_literals(text, name, err, errlen);
}

int
config_defaults(struct mxw_config *cfg, char *err, size_t errlen)
{
    config_t lc;
    char *text;
    size_t len = 1;
    size_t used = 0;
    int rc = -1;

    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < config_table_count; i++)
        len += strlen(config_table[i].name) + 5 +
               strlen(config_table[i].default_text);
    text = malloc(len);
    if (text == NULL) {
        snprintf(err, errlen, "built-in defaults: out of memory");
        return -1;
    }
    for (size_t i = 0; i < config_table_count; i++)
        used += (size_t)snprintf(text + used, len - used, "%s = %s;\n",
                                 config_table[i].name,
                                 config_table[i].default_text);

    /* The defaults go through the same parser and checks as a file. */
    config_init(&lc);
    if (parse_text(&lc, text, "built-in defaults", err, errlen) != 0)
        goto done;
    if (apply_all(&lc, "built-in defaults", cfg, err, errlen) != 0) {
        config_free(cfg);
        goto done;
    }
    rc = 0;

done:
    config_destroy(&lc);
    free(text);
    return rc;
}

/* Shared tail of config_load() and config_load_string(). */
static int
load_text(const char *text, const char *name, struct mxw_config *cfg, char *err,
          size_t errlen)
{
    struct mxw_config tmp;
    config_t lc;
    int rc = -1;

    config_init(&lc);
    if (parse_text(&lc, text, name, err, errlen) != 0)
        goto done;
    if (config_defaults(&tmp, err, errlen) != 0)
        goto done;
    if (apply_all(&lc, name, &tmp, err, errlen) != 0) {
        config_free(&tmp);
        goto done;
    }
    *cfg = tmp;
    rc = 0;

done:
    config_destroy(&lc);
    return rc;
}

/*
 * Read all of fp into a NUL-terminated buffer that the caller frees.
 * Returns NULL with err set on a read error, on a file larger than
 * CONFIG_FILE_MAX_BYTES and on a NUL byte, which libconfig would take
 * for the end of the text.
 */
static char *
read_text(FILE *fp, const char *path, char *err, size_t errlen)
{
    struct source src = {.file = path, .line = 0};
    size_t cap = 4096;
    size_t len = 0;
    char *buf = malloc(cap);
    const char *nul;

    if (buf == NULL) {
        report(err, errlen, &src, NULL, "out of memory");
        return NULL;
    }
    for (;;) {
        size_t got;

        if (len > CONFIG_FILE_MAX_BYTES) {
            report(err, errlen, &src, NULL,
                   "larger than %d bytes; a configuration file is a few "
                   "kilobytes",
                   CONFIG_FILE_MAX_BYTES);
            goto fail;
        }
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap * 2);

            if (bigger == NULL) {
                report(err, errlen, &src, NULL, "out of memory");
                goto fail;
            }
            buf = bigger;
            cap *= 2;
        }
        errno = 0;
        got = fread(buf + len, 1, cap - 1 - len, fp);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        report(err, errlen, &src, NULL, "cannot read: %s",
               strerror(errno != 0 ? errno : EIO));
        goto fail;
    }
    buf[len] = '\0';

    nul = memchr(buf, '\0', len);
    if (nul != NULL) {
        src.line = 1;
        for (const char *p = buf; p < nul; p++)
            src.line += *p == '\n';
        report(err, errlen, &src, NULL,
               "contains a NUL byte; save the file as plain text");
        goto fail;
    }
    return buf;

fail:
    free(buf);
    return NULL;
}

int
config_load(const char *path, struct mxw_config *cfg, char *err, size_t errlen)
{
    struct source src = {.file = path, .line = 0};
    struct stat st;
    FILE *fp;
    char *text;
    int fd;
    int rc;

    memset(cfg, 0, sizeof(*cfg));

    /* Open first, so the checks below look at the file that is read.
     * O_NONBLOCK keeps a FIFO from blocking the open; it is cleared
     * before reading. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return report(err, errlen, &src, NULL, "cannot open: %s",
                      strerror(errno));
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        close(fd);
        return report(err, errlen, &src, NULL, "cannot stat: %s",
                      strerror(saved));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return report(err, errlen, &src, NULL,
                      "is a directory, not a configuration file");
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return report(err, errlen, &src, NULL,
                      "is not a regular file; give the path of a "
                      "configuration file");
    }
    if (fcntl(fd, F_SETFL, 0) != 0 || (fp = fdopen(fd, "r")) == NULL) {
        int saved = errno;
        close(fd);
        return report(err, errlen, &src, NULL, "cannot read: %s",
                      strerror(saved));
    }

    text = read_text(fp, path, err, errlen);
    fclose(fp);
    if (text == NULL)
        return -1;
    rc = load_text(text, path, cfg, err, errlen);
    free(text);
    return rc;
}

int
config_load_string(const char *text, const char *name, struct mxw_config *cfg,
                   char *err, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    return load_text(text, name, cfg, err, errlen);
}

const char *
config_format_value(const struct mxw_config *cfg, const struct config_key *key,
                    char *buf, size_t buflen)
{
    const void *f = field_of_const(cfg, key);
    size_t used = 0;

    buf[0] = '\0';
    switch (key->type) {
    case CONFIG_BOOL:
        snprintf(buf, buflen, "%s", *(const bool *)f ? "true" : "false");
        break;
    case CONFIG_INT:
        snprintf(buf, buflen, "%d", *(const int *)f);
        break;
    case CONFIG_STRING: {
        const char *s = *(char *const *)f;
        append_quoted(buf, buflen, &used, s != NULL ? s : "");
        break;
    }
    case CONFIG_ENUM:
        snprintf(buf, buflen, "\"%s\"", config_enum_name(key, *(const int *)f));
        break;
    case CONFIG_OCTAL:
        snprintf(buf, buflen, "\"%04o\"", (unsigned)*(const int *)f);
        break;
    case CONFIG_STR_LIST: {
        const struct mxw_strlist *l = f;
        used = (size_t)snprintf(buf, buflen, "[");
        for (size_t i = 0; i < l->count && used < buflen; i++) {
            if (i > 0)
                used += (size_t)snprintf(buf + used, buflen - used, ", ");
            if (used < buflen)
                append_quoted(buf, buflen, &used, l->items[i]);
        }
        if (used < buflen)
            snprintf(buf + used, buflen - used, "]");
        break;
    }
    case CONFIG_INT_LIST: {
        const struct mxw_intlist *l = f;
        used = (size_t)snprintf(buf, buflen, "[");
        for (size_t i = 0; i < l->count && used < buflen; i++)
            used += (size_t)snprintf(buf + used, buflen - used, "%s%d",
                                     i > 0 ? ", " : "", l->items[i]);
        if (used < buflen)
            snprintf(buf + used, buflen - used, "]");
        break;
    }
    }
    return buf;
}

/* Print text as "# " comment lines of at most 78 columns. */
static void
print_comment(FILE *out, const char *text)
{
    const char *p = text;

    while (*p != '\0') {
        size_t len = strlen(p);
        size_t cut = len;

        if (len > 76) {
            cut = 76;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = strcspn(p, " ");
        }
        fprintf(out, "# %.*s\n", (int)cut, p);
        p += cut;
        while (*p == ' ')
            p++;
    }
}

void
config_print(FILE *out, const struct mxw_config *cfg)
{
    char value[1024];
    char allowed[256];
    char text[1024];

    for (size_t i = 0; i < config_table_count; i++) {
        const struct config_key *key = &config_table[i];

        config_describe_allowed(key, allowed, sizeof(allowed));
        snprintf(text, sizeof(text), "%s. Allowed: %s. Default: %s.", key->help,
                 allowed, key->default_text);
        print_comment(out, text);
        fprintf(out, "%s = %s;\n\n", key->name,
                config_format_value(cfg, key, value, sizeof(value)));
    }
}
