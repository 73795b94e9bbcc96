/*
 * Unit tests of the configuration table and loader: defaults, bounds,
 * types, unknown keys, syntax errors, file errors and the sample file,
 * and the checks libconfig 1.5 lacks (includes, wrapped integers).
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
                 "\"[2001:db8::2]:53\", \"::1\", \"[::2]\"]",
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
    assert_contains(err, "items 1 \"::1\" and 2 \"::1\" are the same");

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
    assert_int_equal(load_one("header_name", "\"received\"", &cfg), -1);
    assert_contains(err, "a standard header");
    assert_int_equal(load_one("header_name", "\"Content-Type\"", &cfg), -1);
    assert_int_equal(load_one("header_name", "\"X-Original-To\"", &cfg), -1);
    assert_int_equal(load_one("header_name", "\"autocrypt\"", &cfg), -1);
    assert_int_equal(load_one("header_name", "\"X-Spam-Status\"", &cfg), -1);
    assert_int_equal(load_one("header_name", "\"X-Received-Check\"", &cfg),
                     0);
    config_free(&cfg);
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
    snprintf(expected, sizeof(expected),
             "%s:3: syntax error: expected a value after 'user ='", path);
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

/* Servers that differ only in spelling are duplicates: the default port,
 * IPv6 zero compression and IPv4-mapped IPv6 addresses. */
static void
servers_duplicates_normalized(void **state)
{
    struct mxw_config cfg;
    const struct {
        const char *a;
        const char *b;
    } same[] = {
        {"127.0.0.1", "127.0.0.1:53"},
        {"::1", "[::1]:53"},
        {"::1", "0:0::1"},
        {"127.0.0.1:5300", "[::ffff:127.0.0.1]:5300"},
        {"::ffff:192.0.2.1", "192.0.2.1"},
        {"2001:db8::1", "[2001:DB8:0:0:0:0:0:1]"},
    };
    const struct {
        const char *a;
        const char *b;
    } different[] = {
        {"127.0.0.1", "127.0.0.1:5300"},
        {"::1", "[::1]:5300"},
        {"127.0.0.1", "::1"},
        {"::ffff:127.0.0.1", "127.0.0.2"},
        {"0.0.0.1", "::1"},
    };
    char list[128];
    char expected[128];

    (void)state;
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        snprintf(list, sizeof(list), "[\"%s\", \"%s\"]", same[i].a, same[i].b);
        if (load_one("servers", list, &cfg) == 0)
            fail_msg("servers = %s accepted", list);
        snprintf(expected, sizeof(expected),
                 "servers: items 1 \"%s\" and 2 \"%s\" are the same", same[i].a,
                 same[i].b);
        assert_contains(err, expected);
        assert_true(config_server_same(same[i].a, same[i].b));
        assert_true(config_server_same(same[i].b, same[i].a));
    }
    for (size_t i = 0; i < sizeof(different) / sizeof(different[0]); i++) {
        snprintf(list, sizeof(list), "[\"%s\", \"%s\"]", different[i].a,
                 different[i].b);
        if (load_one("servers", list, &cfg) != 0)
            fail_msg("servers = %s rejected: %s", list, err);
        config_free(&cfg);
        assert_false(config_server_same(different[i].a, different[i].b));
    }
}

/* The second reply of a row applies when the resolver is not healthy or
 * the negative answer is not confirmed, so only reply_invalid, decided
 * without DNS, may have a 5xx there. */
static void
reply_second_item_never_permanent(void **state)
{
    struct mxw_config cfg;
    char expected[128];
    size_t rows = 0;

    (void)state;
    for (size_t i = 0; i < config_table_count; i++) {
        const struct config_key *key = &config_table[i];

        if (strncmp(key->name, "reply_", 6) != 0)
            continue;
        rows++;
        if (strcmp(key->name, "reply_invalid") == 0) {
            if (load_one(key->name, "[\"550 5.1.3\", \"554 5.7.1\"]", &cfg) !=
                0)
                fail_msg("%s with a 5xx second reply rejected: %s", key->name,
                         err);
            config_free(&cfg);
            assert_null(strstr(key->allowed, "4xx"));
            continue;
        }
        if (load_one(key->name, "[\"accept\", \"550 5.1.2\"]", &cfg) == 0)
            fail_msg("%s with a 5xx second reply accepted", key->name);
        snprintf(expected, sizeof(expected),
                 "test.conf:8: %s: invalid item 2 \"550 5.1.2\": expected "
                 "\"accept\" or a 4xx reply",
                 key->name);
        assert_contains(err, expected);
        assert_contains(key->allowed, "\"4xx 4.D.D\"");

        if (load_one(key->name, "[\"accept\", \"451 4.4.3\"]", &cfg) != 0)
            fail_msg("%s = [accept, 451] rejected: %s", key->name, err);
        config_free(&cfg);
        if (load_one(key->name, "[\"accept\", \"accept\"]", &cfg) != 0)
            fail_msg("%s = [accept, accept] rejected: %s", key->name, err);
        config_free(&cfg);
    }
    assert_int_equal(rows, 8);

    /* A 5xx stays allowed as the trusted reply of a negative verdict. */
    assert_int_equal(
        load_one("reply_no_domain", "[\"550 5.1.2\", \"451 4.4.3\"]", &cfg), 0);
    config_free(&cfg);
    assert_int_equal(
        load_one("reply_no_domain", "[\"550 5.1.2\", \"550 5.1.2\"]", &cfg),
        -1);
    assert_contains(err, "reply_no_domain: invalid item 2 \"550 5.1.2\"");
}

static void
reply_count_error_shows_items(void **state)
{
    struct mxw_config cfg;

    (void)state;
    assert_int_equal(load_one("reply_no_domain", "[\"550 5.1.2\"]", &cfg), -1);
    assert_contains(err, "reply_no_domain: 1 item given ([\"550 5.1.2\"]); "
                         "allowed: two replies");
    assert_int_equal(
        load_one("reply_mx", "[\"accept\", \"accept\", \"accept\"]", &cfg), -1);
    assert_contains(err, "reply_mx: 3 items given ([\"accept\", \"accept\", "
                         "\"accept\"])");
    assert_int_equal(load_one("edns_ladder",
                              "[4096, 2048, 1400, 1232, 1024, "
                              "800, 512]",
                              &cfg),
                     -1);
    assert_contains(err, "edns_ladder: 7 items given ([4096, 2048, 1400, "
                         "1232, 1024, 800, 512])");
}

static void
include_directive_rejected(void **state)
{
    struct mxw_config cfg;
    const struct {
        const char *text;
        const char *expected;
    } cases[] = {
        {"@include \"/etc\"\n",
         "i.conf:1: @include is not supported; put every setting in one "
         "file"},
        {"ttl_min_s = 5;\n\n  \t@include \"other.conf\"\n",
         "i.conf:3: @include is not supported"},
        {"/* a\n comment */ @include \"x.conf\"\n",
         "i.conf:2: @include is not supported"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(
            config_load_string(cases[i].text, "i.conf", &cfg, err, sizeof(err)),
            -1);
        assert_contains(err, cases[i].expected);
    }

    /* Inside a comment or a string, "@include" is text. */
    assert_int_equal(config_load_string("# @include \"x\"\n"
                                        "// @include \"x\"\n"
                                        "/* @include \"x\"\n*/\n"
                                        "header_name = \"X-@include\";\n"
                                        "pidfile = \"/run/\\\"@include\";\n",
                                        "i.conf", &cfg, err, sizeof(err)),
                     0);
    assert_string_equal(cfg.header_name, "X-@include");
    config_free(&cfg);
}

/* An @include of a directory or a FIFO fails at once, before libconfig
 * opens it. alarm() turns a hang on the FIFO into a failure. */
static void
file_include_rejected(void **state)
{
    struct mxw_config cfg;
    char path[512];
    char fifo[512];
    char text[1200];
    char expected[600];

    (void)state;
    snprintf(fifo, sizeof(fifo), "%s/include.fifo", tmpdir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    snprintf(path, sizeof(path), "%s/include.conf", tmpdir);

    snprintf(text, sizeof(text), "@include \"%s\"\n", tmpdir);
    write_file(path, text);
    alarm(10);
    assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
    snprintf(expected, sizeof(expected),
             "%s:1: @include is not supported; put every setting in one file",
             path);
    assert_string_equal(err, expected);

    snprintf(text, sizeof(text), "ttl_min_s = 1;\n@include \"%s\"\n", fifo);
    write_file(path, text);
    assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
    alarm(0);
    snprintf(expected, sizeof(expected),
             "%s:2: @include is not supported; put every setting in one file",
             path);
    assert_string_equal(err, expected);
}

static void
syntax_errors_explained(void **state)
{
    struct mxw_config cfg;
    const struct {
        const char *text;
        const char *expected;
    } cases[] = {
        {"ttl_min_s = 5;\nstep_timeout_ms = ;\n",
         "e.conf:2: syntax error: expected a value after 'step_timeout_ms "
         "='"},
        {"step_timeout_ms =\n", "e.conf:1: syntax error: expected a value "
                                "after 'step_timeout_ms ='"},
        {"step_timeout_ms : ;\n", "e.conf:1: syntax error: expected a value "
                                  "after 'step_timeout_ms :'"},
        {"\xef\xbb\xbfttl_min_s = 5;\n",
         "e.conf:1: syntax error: the file starts with a UTF-8 byte order "
         "mark; remove the byte order mark"},
        {"header_enabled = yes;\n", "e.conf:1: syntax error: expected true "
                                    "or false for header_enabled, not yes"},
        {"socket = unix;\n",
         "e.conf:1: syntax error: expected a value for socket; write a "
         "string in double quotes, such as \"unix\""},
        {"ttl_min_s = 5;\nttl_max_s = = 6;\n",
         "e.conf:2: syntax error in \"ttl_max_s = = 6;\""},
        {"servers = [\"127.0.0.1\",\n\n",
         "e.conf:3: syntax error at end of input; check for a list, group "
         "or string that is not closed"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(
            config_load_string(cases[i].text, "e.conf", &cfg, err, sizeof(err)),
            -1);
        assert_string_equal(err, cases[i].expected);
    }
}

/* A NUL byte would end libconfig's text early and hide what follows. */
static void
file_nul_byte_is_error(void **state)
{
    struct mxw_config cfg;
    char path[512];
    char expected[600];
    FILE *fp;

    (void)state;
    snprintf(path, sizeof(path), "%s/nul.conf", tmpdir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite("ttl_min_s = 5;\n\0ttl_min_s = x;\n", 1, 31, fp),
                     31);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
    snprintf(expected, sizeof(expected),
             "%s:2: contains a NUL byte; save the file as plain text", path);
    assert_string_equal(err, expected);
}

/* libconfig 1.5 wraps integers that do not fit its int or int64 without
 * an error; each of these would load as an in-range value. */
static void
integer_overflow_detected(void **state)
{
    struct mxw_config cfg;
    const struct {
        const char *key;
        const char *value;
        const char *literal;
    } cases[] = {
        {"step_timeout_ms", "4294967396", "4294967396"},
        {"edns_ladder", "[4294968528]", "4294968528"},
        {"edns_ladder", "[1232,\n 4294967808]", "4294967808"},
        {"cache_size", "9223372036854775807", "9223372036854775807"},
        {"cache_size", "99999999999999999999L", "99999999999999999999L"},
        {"cache_size", "18446744073709551617", "18446744073709551617"},
        {"step_timeout_ms", "0x100000064", "0x100000064"},
        {"ttl_min_s", "-2147483649", "-2147483649"},
        {"ttl_max_s", "2147483648", "2147483648"},
        {"header_enabled", "4294967297", "4294967297"},
    };
    char expected[128];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (load_one(cases[i].key, cases[i].value, &cfg) == 0)
            fail_msg("%s = %s accepted", cases[i].key, cases[i].value);
        snprintf(expected, sizeof(expected), "%s: value %s is out of range",
                 cases[i].key, cases[i].literal);
        assert_contains(err, expected);
    }
    assert_int_equal(load_one("edns_ladder", "[1232,\n 4294967808]", &cfg), -1);
    assert_contains(err, "test.conf:9: edns_ladder");

    /* Literals that fit, and digits in comments and strings, load. */
    assert_int_equal(load_one("step_timeout_ms", "100L", &cfg), 0);
    assert_int_equal(cfg.step_timeout_ms, 100);
    config_free(&cfg);
    assert_int_equal(load_one("step_timeout_ms", "0x64", &cfg), 0);
    assert_int_equal(cfg.step_timeout_ms, 100);
    config_free(&cfg);
    assert_int_equal(config_load_string("# 99999999999\n/* 4294967396 */\n"
                                        "pidfile = \"/run/4294967396.pid\";\n",
                                        "o.conf", &cfg, err, sizeof(err)),
                     0);
    config_free(&cfg);
    assert_int_equal(load_one("step_timeout_ms", "1e30", &cfg), -1);
    assert_contains(err, "wrong type");
}

/* Build a name of count labels of label_len letters, joined by dots. */
static void
make_name(char *buf, size_t len, size_t count, size_t label_len)
{
    size_t used = 0;

    for (size_t i = 0; i < count && used + label_len + 2 < len; i++) {
        if (i > 0)
            buf[used++] = '.';
        memset(buf + used, 'a' + (char)(i % 26), label_len);
        used += label_len;
    }
    buf[used] = '\0';
}

static void
domains_checked(void **state)
{
    struct mxw_config cfg;
    char long_label[80];
    char long_name[300];
    char value[400];
    const char *good[] = {
        "example.com", "example.com.", "xn--bcher-kva.example",
        "a-b.c0m",     "com",          "EXAMPLE.org",
    };
    const char *bad[] = {
        "a..b",    ".com", "-foo.com", "foo-.com", "192.0.2.1", "1.2.3",
        "a_b.com", "",     ".",        "foo .com", "foo.com-",  "foo..com.",
    };
    const char *keys[] = {"protected_domains", "canary_domains"};

    (void)state;
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
            snprintf(value, sizeof(value), "[\"%s\"]", good[i]);
            if (load_one(keys[k], value, &cfg) != 0)
                fail_msg("%s = %s rejected: %s", keys[k], value, err);
            config_free(&cfg);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            snprintf(value, sizeof(value), "[\"%s\"]", bad[i]);
            if (load_one(keys[k], value, &cfg) == 0)
                fail_msg("%s = %s accepted", keys[k], value);
            assert_contains(err, "invalid item 1");
        }

        /* 63 characters per label and 253 in all are the maximum. */
        make_name(long_label, sizeof(long_label), 1, 63);
        snprintf(value, sizeof(value), "[\"%s.com\"]", long_label);
        assert_int_equal(load_one(keys[k], value, &cfg), 0);
        config_free(&cfg);
        make_name(long_label, sizeof(long_label), 1, 64);
        snprintf(value, sizeof(value), "[\"%s.com\"]", long_label);
        assert_int_equal(load_one(keys[k], value, &cfg), -1);
        assert_contains(err, "label of 64 characters");
        make_name(long_name, sizeof(long_name), 4, 62); /* 4*62+3 = 251 */
        snprintf(value, sizeof(value), "[\"%s.a\"]", long_name);
        assert_int_equal(load_one(keys[k], value, &cfg), 0);
        config_free(&cfg);
        snprintf(value, sizeof(value), "[\"%s.a.\"]", long_name);
        assert_int_equal(load_one(keys[k], value, &cfg), 0);
        config_free(&cfg);
        snprintf(value, sizeof(value), "[\"%s.ab\"]", long_name);
        assert_int_equal(load_one(keys[k], value, &cfg), -1);
        assert_contains(err, "1 to 253 characters");
    }

    assert_int_equal(load_one("canary_domains", "[\"192.0.2.1\"]", &cfg), -1);
    assert_contains(err, "not an IP address");

    /* Protected domains that differ in case or a final dot are one. */
    assert_int_equal(
        load_one("protected_domains", "[\"gmail.com\", \"GMail.COM\"]", &cfg),
        -1);
    assert_contains(err, "items 1 \"gmail.com\" and 2 \"GMail.COM\" are the "
                         "same");
    assert_int_equal(
        load_one("protected_domains", "[\"gmail.com.\", \"gmail.com\"]", &cfg),
        -1);
    assert_int_equal(
        load_one("protected_domains", "[\"gmail.com\", \"gmail.co\"]", &cfg),
        0);
    config_free(&cfg);
}

/* The canary queries "LABEL.ZONE" with a label of up to 28 characters,
 * so the zone may have at most 253 - 29 = 224. */
static void
canary_zone_leaves_room(void **state)
{
    struct mxw_config cfg;
    char name[300];
    char value[320];

    (void)state;
    assert_int_equal(load_one("canary_nxdomain_zone", "\"\"", &cfg), 0);
    config_free(&cfg);
    make_name(name, sizeof(name), 4, 54); /* 4*54+3 = 219 */
    snprintf(value, sizeof(value), "\"%s.abcd\"", name);
    assert_int_equal(load_one("canary_nxdomain_zone", value, &cfg), 0);
    config_free(&cfg);
    snprintf(value, sizeof(value), "\"%s.abcde\"", name);
    assert_int_equal(load_one("canary_nxdomain_zone", value, &cfg), -1);
    assert_contains(err, "canary_nxdomain_zone: invalid value");
    assert_contains(err, "1 to 224 characters");
    assert_int_equal(load_one("canary_nxdomain_zone", "\"a..b\"", &cfg), -1);
    assert_int_equal(load_one("canary_nxdomain_zone", "\"192.0.2.1\"", &cfg),
                     -1);
}

static void
socketmap_name_checked(void **state)
{
    struct mxw_config cfg;
    char value[80];
    const char *good[] = {"\"deliverystatus\"", "\"dsn_map.v-1\"", "\"_x\""};
    const char *bad[] = {"\"\"", "\"a b\"", "\"a/b\"", "\"a:b\"", "\"é\""};

    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (load_one("socketmap_name", good[i], &cfg) != 0)
            fail_msg("socketmap_name = %s rejected: %s", good[i], err);
        config_free(&cfg);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (load_one("socketmap_name", bad[i], &cfg) == 0)
            fail_msg("socketmap_name = %s accepted", bad[i]);
        assert_contains(err, "socketmap_name: invalid value");
    }
    memset(value, 'n', sizeof(value));
    value[0] = '"';
    value[65] = '"';
    value[66] = '\0';
    assert_int_equal(load_one("socketmap_name", value, &cfg), 0);
    config_free(&cfg);
    value[65] = 'n';
    value[66] = '"';
    value[67] = '\0';
    assert_int_equal(load_one("socketmap_name", value, &cfg), -1);
    assert_contains(err, "1 to 64 characters");
}

/* No string key accepts a control character; the loader checks every
 * string and every list item the same way. */
static void
control_characters_rejected(void **state)
{
    struct mxw_config cfg;
    const struct {
        const char *key;
        const char *value;
    } cases[] = {
        {"socket", "\"unix:/run/a\\nb\""},
        {"socket", "\"unix:/run/a\\tb\""},
        {"policy_socket", "\"unix:/run/p\\nb\""},
        {"socketmap_socket", "\"unix:/run/s\\x7f\""},
        {"user", "\"mx\\nwarden\""},
        {"group", "\"mail\\r\""},
        {"pidfile", "\"/run/a\\nb.pid\""},
        {"header_name", "\"X-A\\nB\""},
        {"socketmap_name", "\"dsn\\n\""},
        {"canary_nxdomain_zone", "\"example\\n.com\""},
        {"servers", "[\"127.0.0.1\\n\"]"},
        {"protected_domains", "[\"gmail.com\\n\"]"},
        {"reply_no_domain", "[\"550 5.1.2\\n\", \"451 4.4.3\"]"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (load_one(cases[i].key, cases[i].value, &cfg) == 0)
            fail_msg("%s = %s accepted", cases[i].key, cases[i].value);
        assert_contains(err, cases[i].key);
        assert_contains(err, "control character \\x");
    }
    assert_int_equal(load_one("socket", "\"unix:/run/a\\nb\"", &cfg), -1);
    assert_string_equal(err, "test.conf:8: socket: invalid value "
                             "\"unix:/run/a\\x0ab\": control character "
                             "\\x0a at position 12 is not allowed; allowed: "
                             "unix:PATH, inet:PORT@IPv4 or inet6:PORT@IPv6");
}

static void
listener_sockets_distinct(void **state)
{
    struct mxw_config cfg;
    const struct {
        const char *a_key;
        const char *a;
        const char *b_key;
        const char *b;
        bool conflict;
    } cases[] = {
        {"socket", "inet:9000@127.0.0.1", "policy_socket",
         "inet:9000@127.0.0.1", true},
        {"socket", "inet:9000@127.0.0.1", "policy_socket", "inet:9000@0.0.0.0",
         true},
        {"socket", "inet6:9000@::", "socketmap_socket", "inet:9000@127.0.0.1",
         true},
        {"socket", "inet6:9000@::ffff:127.0.0.1", "policy_socket",
         "inet:9000@127.0.0.1", true},
        {"policy_socket", "unix:/run/m.sock", "socketmap_socket",
         "unix:/run//m.sock", true},
        {"socket", "unix:/run/mxwarden/mxwarden.sock", "socketmap_socket",
         "unix:/run/mxwarden/mxwarden.sock", true},
        {"socket", "inet:9000@127.0.0.1", "policy_socket",
         "inet:9001@127.0.0.1", false},
        {"socket", "inet:9000@127.0.0.1", "policy_socket",
         "inet:9000@127.0.0.2", false},
        {"socket", "inet6:9000@::1", "policy_socket", "inet:9000@127.0.0.1",
         false},
        {"policy_socket", "unix:/run/p.sock", "socketmap_socket",
         "unix:/run/s.sock", false},
        {"socket", "unix:/run/9000", "policy_socket", "inet:9000@127.0.0.1",
         false},
    };
    char text[256];
    char expected[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text), "%s = \"%s\";\n%s = \"%s\";\n",
                 cases[i].a_key, cases[i].a, cases[i].b_key, cases[i].b);
        if (!cases[i].conflict) {
            if (config_load_string(text, "l.conf", &cfg, err, sizeof(err)) != 0)
                fail_msg("%s rejected: %s", text, err);
            config_free(&cfg);
            continue;
        }
        if (config_load_string(text, "l.conf", &cfg, err, sizeof(err)) == 0)
            fail_msg("%s accepted", text);
        snprintf(expected, sizeof(expected),
                 "l.conf:2: %s: \"%s\" is the same socket as %s (\"%s\"); "
                 "give each listener its own socket",
                 cases[i].b_key, cases[i].b, cases[i].a_key, cases[i].a);
        assert_string_equal(err, expected);
    }
}

static void
max_inflight_help_counts_lookups(void **state)
{
    const struct config_key *key = config_key_find("max_inflight");

    (void)state;
    assert_non_null(key);
    assert_string_equal(key->unit, "route lookups");
    assert_contains(key->help, "Route lookups in flight");
    assert_contains(key->help, "at most 21 DNS queries");
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
        cmocka_unit_test(servers_duplicates_normalized),
        cmocka_unit_test(reply_second_item_never_permanent),
        cmocka_unit_test(reply_count_error_shows_items),
        cmocka_unit_test(include_directive_rejected),
        cmocka_unit_test(file_include_rejected),
        cmocka_unit_test(syntax_errors_explained),
        cmocka_unit_test(file_nul_byte_is_error),
        cmocka_unit_test(integer_overflow_detected),
        cmocka_unit_test(domains_checked),
        cmocka_unit_test(canary_zone_leaves_room),
        cmocka_unit_test(socketmap_name_checked),
        cmocka_unit_test(control_characters_rejected),
        cmocka_unit_test(listener_sockets_distinct),
        cmocka_unit_test(max_inflight_help_counts_lookups),
    };

    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
