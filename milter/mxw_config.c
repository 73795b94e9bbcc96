/*
 * Configuration loading: reads a libconfig file, applies each setting
 * through its row in config_table[], and checks the rules that involve
 * more than one key.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

    if ((size_t)n < key->min_items || (size_t)n > key->max_items)
        return report(err, errlen, src, key->name,
                      "%d items given; allowed: %s", n, key->allowed);
    list.items = calloc((size_t)n + 1, sizeof(*list.items));
    if (list.items == NULL)
        return report(err, errlen, src, key->name, "out of memory");

    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *text;

        if (config_setting_type(e) != CONFIG_TYPE_STRING) {
            report(err, errlen, src, key->name,
                   "item %d is %s (%s), expected a string", i + 1,
                   type_word(config_setting_type(e)),
                   describe_setting(e, value, sizeof(value)));
            goto fail;
        }
        text = config_setting_get_string(e);
        if (key->check != NULL && !key->check(text, why, sizeof(why))) {
            report(err, errlen, src, key->name, "invalid item %s: %s",
                   describe_setting(e, value, sizeof(value)), why);
            goto fail;
        }
        for (size_t j = 0; j < list.count && !key->duplicates_allowed; j++) {
            if (strcmp(list.items[j], text) == 0) {
                report(err, errlen, src, key->name, "item %s is listed twice",
                       describe_setting(e, value, sizeof(value)));
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
        return report(err, errlen, src, key->name,
                      "%d items given; allowed: %s", n, key->allowed);
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

        if (key->check != NULL && !key->check(text, why, sizeof(why)))
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
    return 0;
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
    if (config_read_string(&lc, text) != CONFIG_TRUE) {
        snprintf(err, errlen, "built-in defaults:%d: %s",
                 config_error_line(&lc), config_error_text(&lc));
        goto done;
    }
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
load_parsed(config_t *lc, const char *name, struct mxw_config *cfg, char *err,
            size_t errlen)
{
    struct mxw_config tmp;

    if (config_defaults(&tmp, err, errlen) != 0)
        return -1;
    if (apply_all(lc, name, &tmp, err, errlen) != 0) {
        config_free(&tmp);
        return -1;
    }
    *cfg = tmp;
    return 0;
}

static int
report_syntax(config_t *lc, const char *name, char *err, size_t errlen)
{
    const char *file = config_error_file(lc);
    struct source src = {
        .file = file != NULL ? file : name,
        .line = config_error_line(lc),
    };

    const char *text = config_error_text(lc);

    if (text == NULL || strcmp(text, "syntax error") == 0)
        return report(err, errlen, &src, NULL, "syntax error");
    return report(err, errlen, &src, NULL, "syntax error: %s", text);
}

int
config_load(const char *path, struct mxw_config *cfg, char *err, size_t errlen)
{
    struct source src = {.file = path, .line = 0};
    struct stat st;
    config_t lc;
    FILE *fp;
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

    config_init(&lc);
    errno = 0;
    if (config_read(&lc, fp) != CONFIG_TRUE) {
        if (config_error_type(&lc) == CONFIG_ERR_FILE_IO || ferror(fp))
            rc = report(err, errlen, &src, NULL, "cannot read: %s",
                        strerror(errno != 0 ? errno : EIO));
        else
            rc = report_syntax(&lc, path, err, errlen);
        goto done;
    }
    rc = load_parsed(&lc, path, cfg, err, errlen);

done:
    config_destroy(&lc);
    fclose(fp);
    return rc;
}

int
config_load_string(const char *text, const char *name, struct mxw_config *cfg,
                   char *err, size_t errlen)
{
    config_t lc;
    int rc;

    memset(cfg, 0, sizeof(*cfg));
    config_init(&lc);
    if (config_read_string(&lc, text) != CONFIG_TRUE)
        rc = report_syntax(&lc, name, err, errlen);
    else
        rc = load_parsed(&lc, name, cfg, err, errlen);
    config_destroy(&lc);
    return rc;
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
