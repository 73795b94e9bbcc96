/*
 * Unit tests of the configuration table and loader: defaults, bounds,
 * types, unknown keys, syntax errors, file errors and the sample file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "mxw_config.h"

static char err[MXW_CONFIG_ERR_MAX];

/*
 * Settings that keep the cross-key rules out of the way of a bounds
 * test: minimums at their lowest and maximums at their highest, so any
 * single key can take any in-range value.
 */
static const struct {
    const char *name;
    const char *value;
} permissive[] = {
    {"ttl_min_s", "0"},
    {"ttl_max_s", "604800"},
    {"negative_ttl_min_s", "0"},
    {"negative_ttl_max_s", "86400"},
    {"temp_error_ttl_s", "0"},
    {"step_timeout_ms", "50"},
    {"rcpt_deadline_ms", "25000"},
};

/* Build a configuration text with key = value after the permissive
 * settings (except key itself). */
static void
build_text(char *buf, size_t len, const char *key, const char *value)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(permissive) / sizeof(permissive[0]); i++) {
        if (strcmp(permissive[i].name, key) == 0)
            continue;
        used += (size_t)snprintf(buf + used, len - used, "%s = %s;\n",
                                 permissive[i].name, permissive[i].value);
    }
    snprintf(buf + used, len - used, "%s = %s;\n", key, value);
}

/* Load key = value on top of the permissive settings. */
static int
load_one(const char *key, const char *value, struct mxw_config *cfg)
{
    char text[2048];

    build_text(text, sizeof(text), key, value);
    return config_load_string(text, "test.conf", cfg, err, sizeof(err));
}

static void
assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL)
        fail_msg("expected \"%s\" in \"%s\"", needle, haystack);
}

static void
defaults_have_documented_values(void **state)
{
    struct mxw_config cfg;

    (void)state;
    assert_int_equal(config_defaults(&cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.socket, "unix:/run/mxwarden/mxwarden.sock");
    assert_int_equal(cfg.socket_mode, 0660);
    assert_string_equal(cfg.user, "mxwarden");
    assert_string_equal(cfg.group, "");
    assert_string_equal(cfg.pidfile, "/run/mxwarden/mxwarden.pid");
    assert_false(cfg.foreground);
    assert_int_equal(cfg.log_level, MXW_LOG_INFO);
    assert_int_equal(cfg.syslog_facility, LOG_MAIL);
    assert_int_equal(cfg.mode, MXW_MODE_ENFORCE);
    assert_int_equal(cfg.servers.count, 1);
    assert_string_equal(cfg.servers.items[0], "127.0.0.1");
    assert_int_equal(cfg.step_timeout_ms, 1500);
    assert_int_equal(cfg.rcpt_deadline_ms, 10000);
    assert_int_equal(cfg.edns_ladder.count, 2);
    assert_int_equal(cfg.edns_ladder.items[0], 1232);
    assert_int_equal(cfg.edns_ladder.items[1], 512);
    assert_true(cfg.tcp_fallback);
    assert_int_equal(cfg.edns_memory_s, 900);
    assert_int_equal(cfg.max_inflight, 1000);
    assert_int_equal(cfg.cname_max, 8);
    assert_int_equal(cfg.cache_size, 10000);
    assert_int_equal(cfg.ttl_min_s, 30);
    assert_int_equal(cfg.ttl_max_s, 86400);
    assert_int_equal(cfg.negative_ttl_min_s, 30);
    assert_int_equal(cfg.negative_ttl_max_s, 3600);
    assert_int_equal(cfg.temp_error_ttl_s, 5);
    assert_int_equal(cfg.stale_window_s, 86400);
    assert_string_equal(cfg.header_name, "X-MXWarden");
    assert_true(cfg.header_enabled);
    config_free(&cfg);
}

/* Every row's default prints back exactly as its default text, so the
 * table, -D output and the sample file agree. */
static void
defaults_format_as_default_text(void **state)
{
    struct mxw_config cfg;
    char value[1024];

    (void)state;
    assert_int_equal(config_defaults(&cfg, err, sizeof(err)), 0);
    for (size_t i = 0; i < config_table_count; i++) {
        const struct config_key *key = &config_table[i];
        config_format_value(&cfg, key, value, sizeof(value));
        if (strcmp(value, key->default_text) != 0)
            fail_msg("%s: default prints as %s, table says %s", key->name,
                     value, key->default_text);
    }
    config_free(&cfg);
}

static void
table_rows_are_complete(void **state)
{
    (void)state;
    assert_true(config_table_count >= 25);
    for (size_t i = 0; i < config_table_count; i++) {
        const struct config_key *key = &config_table[i];

        assert_non_null(key->name);
        assert_non_null(key->help);
        assert_non_null(key->default_text);
        assert_ptr_equal(config_key_find(key->name), key);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(config_table[j].name, key->name) == 0)
                fail_msg("key %s appears twice", key->name);
        }
        if (key->type == CONFIG_ENUM)
            assert_non_null(key->choices);
        else if (key->type != CONFIG_INT)
            assert_non_null(key->allowed);
        if (key->type == CONFIG_INT)
            assert_true(key->min <= key->max);
    }
    assert_null(config_key_find("no_such_key"));
}

/* Every integer key: min and max pass, min - 1 and max + 1 fail. */
static void
int_bounds_enforced_both_sides(void **state)
{
    struct mxw_config cfg;
    char value[32];

    (void)state;
    for (size_t i = 0; i < config_table_count; i++) {
        const struct config_key *key = &config_table[i];
        const long long ok[] = {key->min, key->max};
        const long long bad[] = {key->min - 1, key->max + 1};

        if (key->type != CONFIG_INT)
            continue;
        for (size_t j = 0; j < 2; j++) {
            snprintf(value, sizeof(value), "%lld", ok[j]);
            if (load_one(key->name, value, &cfg) != 0)
                fail_msg("%s = %s rejected: %s", key->name, value, err);
            config_free(&cfg);

            snprintf(value, sizeof(value), "%lld", bad[j]);
            if (load_one(key->name, value, &cfg) == 0)
                fail_msg("%s = %s accepted", key->name, value);
            assert_contains(err, key->name);
            assert_contains(err, value);
            assert_contains(err, "out of range");
        }
    }
}

static void
bound_error_names_file_line_key(void **state)
{
    struct mxw_config cfg;
    const char *text = "# comment\n\ncache_size = 15;\n";

    (void)state;
    assert_int_equal(
        config_load_string(text, "/etc/x.conf", &cfg, err, sizeof(err)), -1);
    assert_string_equal(err, "/etc/x.conf:3: cache_size: value 15 is out of "
                             "range; allowed: 16..10000000 entries");
}

static void
socket_mode_bounds(void **state)
{
    struct mxw_config cfg;

    (void)state;
    assert_int_equal(load_one("socket_mode", "\"0000\"", &cfg), 0);
    assert_int_equal(cfg.socket_mode, 0);
    config_free(&cfg);
    assert_int_equal(load_one("socket_mode", "\"0777\"", &cfg), 0);
    assert_int_equal(cfg.socket_mode, 0777);
    config_free(&cfg);
    assert_int_equal(load_one("socket_mode", "\"660\"", &cfg), 0);
    assert_int_equal(cfg.socket_mode, 0660);
    config_free(&cfg);

    assert_int_equal(load_one("socket_mode", "\"1000\"", &cfg), -1);
    assert_contains(err, "socket_mode: invalid value \"1000\"");
    assert_int_equal(load_one("socket_mode", "\"0680\"", &cfg), -1);
    assert_int_equal(load_one("socket_mode", "\"\"", &cfg), -1);
    assert_int_equal(load_one("socket_mode", "\"00660\"", &cfg), -1);
    assert_int_equal(load_one("socket_mode", "660", &cfg), -1);
    assert_contains(err, "write the mode in quotes");
}

static void
edns_ladder_bounds(void **state)
{
    struct mxw_config cfg;

    (void)state;
    assert_int_equal(load_one("edns_ladder", "[4096, 512]", &cfg), 0);
    assert_int_equal(cfg.edns_ladder.count, 2);
    config_free(&cfg);
    assert_int_equal(load_one("edns_ladder", "[]", &cfg), 0);
    assert_int_equal(cfg.edns_ladder.count, 0);
    config_free(&cfg);
    assert_int_equal(
        load_one("edns_ladder", "[4096, 2048, 1400, 1232, 1024, 512]", &cfg),
        0);
    assert_int_equal(cfg.edns_ladder.count, 6);
    config_free(&cfg);

    assert_int_equal(load_one("edns_ladder", "[4097]", &cfg), -1);
    assert_contains(err, "item 1 is 4097, out of range");
    assert_int_equal(load_one("edns_ladder", "[1232, 511]", &cfg), -1);
    assert_contains(err, "item 2 is 511, out of range");
    assert_int_equal(load_one("edns_ladder", "[512, 1232]", &cfg), -1);
    assert_contains(err, "strictly descending");
    assert_int_equal(load_one("edns_ladder", "[1232, 1232]", &cfg), -1);
    assert_contains(err, "strictly descending");
    assert_int_equal(load_one("edns_ladder",
                              "[4096, 2048, 1400, 1232, 1024, 800, 512]", &cfg),
                     -1);
    assert_contains(err, "7 items given");
}

static void
servers_count_and_syntax(void **state)
{
    struct mxw_config cfg;
    char port[16];
    char addr[64];
    int port_number;

    (void)state;
    assert_int_equal(
        load_one("servers",
                 "[\"192.0.2.1\", \"192.0.2.2:5353\", \"2001:db8::1\", "
                 "\"[2001:db8::2]:53\", \"::1\", \"[::1]\"]",
                 &cfg),
        0);
    assert_int_equal(cfg.servers.count, 6);
    assert_string_equal(cfg.servers.items[1], "192.0.2.2:5353");
    config_free(&cfg);

    assert_int_equal(load_one("servers", "[]", &cfg), -1);
    assert_contains(err, "0 items given");
    assert_int_equal(load_one("servers",
                              "[\"127.0.0.1\", \"127.0.0.2\", \"127.0.0.3\", "
                              "\"127.0.0.4\", \"127.0.0.5\", \"127.0.0.6\", "
                              "\"127.0.0.7\", \"127.0.0.8\", \"127.0.0.9\"]",
                              &cfg),
                     -1);
    assert_contains(err, "9 items given");

    const char *bad[] = {
        "\"localhost\"",    "\"1.2.3\"",
        "\"1.2.3.4:0\"",    "\"1.2.3.4:65536\"",
        "\"1.2.3.4:\"",     "\"[::1]:\"",
        "\"[::1\"",         "\"2001:db8::1:53x\"",
        "\"[1.2.3.4]:53\"", "\"\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char list[64];
        snprintf(list, sizeof(list), "[%s]", bad[i]);
        if (load_one("servers", list, &cfg) == 0)
            fail_msg("servers = %s accepted", list);
        assert_contains(err, "servers: invalid item");
    }

    assert_int_equal(load_one("servers", "[\"::1\", \"::1\"]", &cfg), -1);
    assert_contains(err, "listed twice");

    assert_true(
        config_server_split("[::1]:5353", addr, sizeof(addr), &port_number));
    assert_string_equal(addr, "::1");
    assert_int_equal(port_number, 5353);
    assert_true(
        config_server_split("10.0.0.1", addr, sizeof(addr), &port_number));
    assert_string_equal(addr, "10.0.0.1");
    assert_int_equal(port_number, 53);
    snprintf(port, sizeof(port), "%d", port_number);
    assert_string_equal(port, "53");
}

static void
socket_syntax_checked(void **state)
{
    struct mxw_config cfg;
    const char *good[] = {
        "\"unix:/run/m.sock\"",
        "\"inet:8891@127.0.0.1\"",
        "\"inet6:8891@::1\"",
        "\"inet:65535@0.0.0.0\"",
    };
    const char *bad[] = {
        "\"unix:relative.sock\"",   "\"inet:8891\"",
        "\"inet:0@127.0.0.1\"",     "\"inet:65536@127.0.0.1\"",
        "\"inet:88x@127.0.0.1\"",   "\"inet:8891@localhost\"",
        "\"inet6:8891@127.0.0.1\"", "\"local:/run/m.sock\"",
        "\"/run/m.sock\"",          "\"\"",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (load_one("socket", good[i], &cfg) != 0)
            fail_msg("socket = %s rejected: %s", good[i], err);
        config_free(&cfg);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (load_one("socket", bad[i], &cfg) == 0)
            fail_msg("socket = %s accepted", bad[i]);
        assert_contains(err, "socket: invalid value");
    }

    char longpath[256];
    memset(longpath, 'a', sizeof(longpath));
    memcpy(longpath, "\"unix:/", 7);
    longpath[200] = '"';
    longpath[201] = '\0';
    assert_int_equal(load_one("socket", longpath, &cfg), -1);
    assert_contains(err, "longer than");
}

static void
string_keys_checked(void **state)
{
    struct mxw_config cfg;

    (void)state;
    assert_int_equal(load_one("header_name", "\"X-Route-Check\"", &cfg), 0);
    config_free(&cfg);
    assert_int_equal(load_one("header_name", "\"X MXWarden\"", &cfg), -1);
    assert_contains(err, "header_name: invalid value \"X MXWarden\"");
    assert_int_equal(load_one("header_name", "\"X-MX:Warden\"", &cfg), -1);
    assert_int_equal(load_one("header_name", "\"\"", &cfg), -1);
    assert_int_equal(load_one("header_name", "\"X-\\xc3\\xa9\"", &cfg), -1);

    assert_int_equal(load_one("user", "\"\"", &cfg), 0);
    config_free(&cfg);
    assert_int_equal(load_one("user", "\"-root\"", &cfg), -1);
    assert_int_equal(load_one("user", "\"a b\"", &cfg), -1);
    assert_int_equal(load_one("group", "\"mail/x\"", &cfg), -1);

    assert_int_equal(load_one("pidfile", "\"\"", &cfg), 0);
    config_free(&cfg);
    assert_int_equal(load_one("pidfile", "\"run/x.pid\"", &cfg), -1);
    assert_contains(err, "absolute path");
}

static void
enum_keys_checked(void **state)
{
    struct mxw_config cfg;

    (void)state;
    assert_int_equal(load_one("log_level", "\"debug\"", &cfg), 0);
    assert_int_equal(cfg.log_level, MXW_LOG_DEBUG);
    config_free(&cfg);
    assert_int_equal(load_one("syslog_facility", "\"local7\"", &cfg), 0);
    assert_int_equal(cfg.syslog_facility, LOG_LOCAL7);
    config_free(&cfg);
    assert_int_equal(load_one("mode", "\"monitor\"", &cfg), 0);
    assert_int_equal(cfg.mode, MXW_MODE_MONITOR);
    config_free(&cfg);

    assert_int_equal(load_one("log_level", "\"verbose\"", &cfg), -1);
    assert_string_equal(err, "test.conf:8: log_level: invalid value "
                             "\"verbose\"; allowed: one of error, warning, "
                             "notice, info, debug");
    assert_int_equal(load_one("syslog_facility", "\"local8\"", &cfg), -1);
    assert_int_equal(load_one("mode", "\"Enforce\"", &cfg), -1);
}

/* A value of the wrong type for every key is rejected with "wrong type". */
static void
wrong_types_rejected(void **state)
{
    struct mxw_config cfg;

    (void)state;
    for (size_t i = 0; i < config_table_count; i++) {
        const struct config_key *key = &config_table[i];
        const char *wrong[3];
        size_t n = 0;

        switch (key->type) {
        case CONFIG_BOOL:
            wrong[n++] = "1";
            wrong[n++] = "\"true\"";
            break;
        case CONFIG_INT:
            wrong[n++] = "\"100\"";
            wrong[n++] = "100.0";
            wrong[n++] = "[100]";
            break;
        case CONFIG_STRING:
        case CONFIG_ENUM:
        case CONFIG_OCTAL:
            wrong[n++] = "5";
            wrong[n++] = "true";
            wrong[n++] = "[\"x\"]";
            break;
        case CONFIG_STR_LIST:
        case CONFIG_INT_LIST:
            wrong[n++] = "\"x\"";
            wrong[n++] = "512";
            wrong[n++] = "{ a = 1; }";
            break;
        }
        for (size_t j = 0; j < n; j++) {
            if (load_one(key->name, wrong[j], &cfg) == 0)
                fail_msg("%s = %s accepted", key->name, wrong[j]);
            assert_contains(err, key->name);
            assert_contains(err, "wrong type");
        }
    }
}

static void
wrong_item_types_rejected(void **state)
{
    struct mxw_config cfg;

    (void)state;
    assert_int_equal(load_one("servers", "(\"127.0.0.1\", 53)", &cfg), -1);
    assert_contains(err, "servers: item 2 is an integer (53), expected a "
                         "string");
    assert_int_equal(load_one("edns_ladder", "(1232, \"512\")", &cfg), -1);
    assert_contains(err, "edns_ladder: item 2 is a string");
    assert_int_equal(load_one("edns_ladder", "[1232.0]", &cfg), -1);
    assert_contains(err, "expected an integer");
}

static void
unknown_keys_rejected(void **state)
{
    struct mxw_config cfg;

    (void)state;
    assert_int_equal(config_load_string("ttl_min_s = 5;\n\nttl_mni_s = 5;\n",
                                        "u.conf", &cfg, err, sizeof(err)),
                     -1);
    assert_string_equal(err, "u.conf:3: ttl_mni_s: unknown key; see "
                             "mxwarden.conf(5) or \"mxwarden -D\" for the "
                             "valid keys");
    assert_int_equal(config_load_string("resolver = { servers = 1; };\n",
                                        "u.conf", &cfg, err, sizeof(err)),
                     -1);
    assert_contains(err, "u.conf:1: resolver: unknown key");
    assert_int_equal(config_load_string("Socket = \"unix:/x\";\n", "u.conf",
                                        &cfg, err, sizeof(err)),
                     -1);
    assert_contains(err, "Socket: unknown key");
}

static void
syntax_errors_give_line(void **state)
{
    struct mxw_config cfg;
    const struct {
        const char *text;
        const char *expected;
    } cases[] = {
        {"ttl_min_s = 5;\nttl_max_s = = 6;\n", "s.conf:2: syntax error"},
        {"\n\n\nuser = abc;\n", "s.conf:4: syntax error"},
        {"servers = [\"127.0.0.1\",\n\n", "s.conf:3: syntax error"},
        {"ttl_min_s = 5;\nttl_min_s = 6;\n",
         "s.conf:2: syntax error: duplicate setting name"},
        {"edns_ladder = [1232, \"x\"];\n",
         "s.conf:1: syntax error: mismatched element type in array"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(
            config_load_string(cases[i].text, "s.conf", &cfg, err, sizeof(err)),
            -1);
        assert_contains(err, cases[i].expected);
    }
}

static void
cross_key_rules(void **state)
{
    struct mxw_config cfg;

    (void)state;
    assert_int_equal(config_load_string("ttl_max_s = 10;\nttl_min_s = 11;\n",
                                        "c.conf", &cfg, err, sizeof(err)),
                     -1);
    assert_string_equal(err, "c.conf:2: ttl_min_s: 11 is greater than "
                             "ttl_max_s (10); ttl_min_s must not exceed "
                             "ttl_max_s");
    assert_int_equal(config_load_string("ttl_min_s = 10;\nttl_max_s = 10;\n"
                                        "temp_error_ttl_s = 10;\n",
                                        "c.conf", &cfg, err, sizeof(err)),
                     0);
    config_free(&cfg);

    assert_int_equal(config_load_string("negative_ttl_max_s = 20;\n", "c.conf",
                                        &cfg, err, sizeof(err)),
                     -1);
    assert_contains(err, "c.conf:1: negative_ttl_min_s: 30 is greater than "
                         "negative_ttl_max_s (20)");

    assert_int_equal(config_load_string("rcpt_deadline_ms = 1000;\n", "c.conf",
                                        &cfg, err, sizeof(err)),
                     -1);
    assert_contains(err, "step_timeout_ms: 1500 is greater than "
                         "rcpt_deadline_ms (1000)");
    assert_contains(err, "one DNS step cannot take longer");

    assert_int_equal(config_load_string("ttl_max_s = 4;\nttl_min_s = 0;\n",
                                        "c.conf", &cfg, err, sizeof(err)),
                     -1);
    assert_contains(err, "temp_error_ttl_s: 5 is greater than ttl_max_s (4)");
}

/* Temporary directory for file tests, removed by the teardown. */
static char tmpdir[256];

static int
make_tmpdir(void **state)
{
    const char *base = getenv("TMPDIR");

    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/mxw-test-config.XXXXXX",
             base != NULL ? base : "/tmp");
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int
remove_tmpdir(void **state)
{
    char cmd[512];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void
write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static void
file_missing_is_error(void **state)
{
    struct mxw_config cfg;
    char path[512];
    char expected[600];

    (void)state;
    snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
    assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
    snprintf(expected, sizeof(expected),
             "%s: cannot open: No such file or directory", path);
    assert_string_equal(err, expected);
    assert_null(cfg.socket);
}

static void
file_empty_gives_defaults(void **state)
{
    struct mxw_config cfg;
    char path[512];

    (void)state;
    snprintf(path, sizeof(path), "%s/empty.conf", tmpdir);
    write_file(path, "");
    assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.socket, "unix:/run/mxwarden/mxwarden.sock");
    assert_int_equal(cfg.step_timeout_ms, 1500);
    config_free(&cfg);
}

static void
file_directory_is_error(void **state)
{
    struct mxw_config cfg;
    char expected[600];

    (void)state;
    assert_int_equal(config_load(tmpdir, &cfg, err, sizeof(err)), -1);
    snprintf(expected, sizeof(expected),
             "%s: is a directory, not a configuration file", tmpdir);
    assert_string_equal(err, expected);
}

static void
file_fifo_is_error(void **state)
{
    struct mxw_config cfg;
    char path[512];
    char expected[600];

    (void)state;
    snprintf(path, sizeof(path), "%s/fifo.conf", tmpdir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
    snprintf(expected, sizeof(expected),
             "%s: is not a regular file; give the path of a configuration "
             "file",
             path);
    assert_string_equal(err, expected);
}

/*
 * An unreadable file. root reads a mode 000 file anyway, so as root the
 * load runs in a child that has switched to uid and gid 65534 (nobody).
 */
static void
file_unreadable_is_error(void **state)
{
    char path[512];
    char expected[600];
    int pipefd[2];
    pid_t pid;
    int status;
    ssize_t n;

    (void)state;
    snprintf(path, sizeof(path), "%s/unreadable.conf", tmpdir);
    write_file(path, "ttl_min_s = 1;\n");
    assert_int_equal(chmod(path, 0), 0);
    /* The child (not root) must reach the file. */
    assert_int_equal(chmod(tmpdir, 0755), 0);

    assert_int_equal(pipe(pipefd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct mxw_config cfg;
        int rc;

        close(pipefd[0]);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(2);
        rc = config_load(path, &cfg, err, sizeof(err));
        if (write(pipefd[1], err, strlen(err) + 1) < 0)
            _exit(3);
        _exit(rc == -1 ? 0 : 1);
    }
    close(pipefd[1]);
    memset(err, 0, sizeof(err));
    n = read(pipefd[0], err, sizeof(err) - 1);
    close(pipefd[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(n > 0);
    snprintf(expected, sizeof(expected), "%s: cannot open: Permission denied",
             path);
    assert_string_equal(err, expected);
}

static void
file_syntax_error_names_file(void **state)
{
    struct mxw_config cfg;
    char path[512];
    char expected[600];

    (void)state;
    snprintf(path, sizeof(path), "%s/broken.conf", tmpdir);
    write_file(path, "# sample\nsocket = \"unix:/x.sock\";\nuser = ;\n");
    assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
    snprintf(expected, sizeof(expected), "%s:3: syntax error", path);
    assert_string_equal(err, expected);
}

static void
file_value_error_names_file(void **state)
{
    struct mxw_config cfg;
    char path[512];
    char expected[600];

    (void)state;
    snprintf(path, sizeof(path), "%s/bad.conf", tmpdir);
    write_file(path, "\n\n\n\nheader_enabled = \"yes\";\n");
    assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
    snprintf(expected, sizeof(expected),
             "%s:5: header_enabled: wrong type: got a string (\"yes\"), "
             "expected a boolean (true or false)",
             path);
    assert_string_equal(err, expected);
}

static void
sample_file_loads(void **state)
{
    struct mxw_config cfg;
    char path[1024];
    const char *srcdir = getenv("top_srcdir");

    (void)state;
    snprintf(path, sizeof(path), "%s/etc/mxwarden.conf",
             srcdir != NULL ? srcdir : ".");
    if (config_load(path, &cfg, err, sizeof(err)) != 0)
        fail_msg("sample rejected: %s", err);
    config_free(&cfg);
}

static void
failed_load_leaves_config_empty(void **state)
{
    struct mxw_config cfg;

    (void)state;
    memset(&cfg, 0xab, sizeof(cfg));
    assert_int_equal(config_load_string("servers = [\"x\"];", "f.conf", &cfg,
                                        err, sizeof(err)),
                     -1);
    assert_null(cfg.socket);
    assert_null(cfg.servers.items);
    config_free(&cfg);
    config_free(NULL);
}

static void
loaded_values_override_defaults(void **state)
{
    struct mxw_config cfg;
    char value[256];

    (void)state;
    assert_int_equal(config_load_string("servers = [\"10.1.1.1\", "
                                        "\"[fd00::1]:5300\"];\n"
                                        "socket = \"inet:9000@127.0.0.1\";\n"
                                        "tcp_fallback = false;\n",
                                        "o.conf", &cfg, err, sizeof(err)),
                     0);
    assert_string_equal(cfg.socket, "inet:9000@127.0.0.1");
    assert_false(cfg.tcp_fallback);
    assert_int_equal(cfg.servers.count, 2);
    config_format_value(&cfg, config_key_find("servers"), value, sizeof(value));
    assert_string_equal(value, "[\"10.1.1.1\", \"[fd00::1]:5300\"]");
    config_free(&cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_have_documented_values),
        cmocka_unit_test(defaults_format_as_default_text),
        cmocka_unit_test(table_rows_are_complete),
        cmocka_unit_test(int_bounds_enforced_both_sides),
        cmocka_unit_test(bound_error_names_file_line_key),
        cmocka_unit_test(socket_mode_bounds),
        cmocka_unit_test(edns_ladder_bounds),
        cmocka_unit_test(servers_count_and_syntax),
        cmocka_unit_test(socket_syntax_checked),
        cmocka_unit_test(string_keys_checked),
        cmocka_unit_test(enum_keys_checked),
        cmocka_unit_test(wrong_types_rejected),
        cmocka_unit_test(wrong_item_types_rejected),
        cmocka_unit_test(unknown_keys_rejected),
        cmocka_unit_test(syntax_errors_give_line),
        cmocka_unit_test(cross_key_rules),
        cmocka_unit_test(file_missing_is_error),
        cmocka_unit_test(file_empty_gives_defaults),
        cmocka_unit_test(file_directory_is_error),
        cmocka_unit_test(file_fifo_is_error),
        cmocka_unit_test(file_unreadable_is_error),
        cmocka_unit_test(file_syntax_error_names_file),
        cmocka_unit_test(file_value_error_names_file),
        cmocka_unit_test(sample_file_loads),
        cmocka_unit_test(failed_load_leaves_config_empty),
        cmocka_unit_test(loaded_values_override_defaults),
    };

    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
