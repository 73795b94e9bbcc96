/*
 * mxwarden configuration (named mxw_config.h so that it never shadows the
 * config.h that configure writes): one table of keys drives parsing, defaults,
 * validation, "mxwarden -n", the sample file and the manual page.
 *
 * To add a key: add a typed field to struct mxw_config and one row to
 * config_table[] in mxw_config_table.c. Nothing else needs to change; the
 * tests check that etc/mxwarden.conf and doc/mxwarden.conf.5 list it.
 */
#ifndef MXW_CONFIG_H
#define MXW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Default configuration file, used when -c is not given. */
#ifndef MXW_DEFAULT_CONFIG_FILE
#define MXW_DEFAULT_CONFIG_FILE "/etc/mxwarden/mxwarden.conf"
#endif

/* Maximum length of an error message from config_load(), plus one. */
#define MXW_CONFIG_ERR_MAX 512

enum mxw_log_level {
    MXW_LOG_ERROR = 0,
    MXW_LOG_WARNING,
    MXW_LOG_NOTICE,
    MXW_LOG_INFO,
    MXW_LOG_DEBUG,
};

/* Action taken on a decision other than accept. */
enum mxw_mode {
    MXW_MODE_ENFORCE = 0, /* send the tempfail or reject */
    MXW_MODE_MONITOR,     /* accept, but log and add the header */
};

/* Ways to recognize non-SMTP mail (Postfix non_smtpd_milters), which
 * cannot take a reply per recipient. */
enum mxw_non_smtpd {
    MXW_NON_SMTPD_AUTO = 0, /* a recipient without {rcpt_mailer} and
                               without angle brackets */
    MXW_NON_SMTPD_ALWAYS,   /* every connection is non-SMTP mail */
    MXW_NON_SMTPD_NEVER,    /* every connection is SMTP mail */
};

/* A list of strings owned by the configuration. */
struct mxw_strlist {
    char **items;
    size_t count;
};

/* A list of integers owned by the configuration. */
struct mxw_intlist {
    int *items;
    size_t count;
};

/*
 * The parsed configuration. Strings and lists are heap copies owned by
 * the struct and released by config_free(). Units are in the names.
 */
struct mxw_config {
    /* daemon */
    char *socket;    /* libmilter syntax: unix:PATH or inet:PORT@HOST */
    int socket_mode; /* permission bits of a unix socket */
    char *user;      /* empty: keep the user mxwarden started as */
    char *group;     /* empty: the primary group of user */
    char *pidfile;   /* empty: no pidfile */
    bool foreground;

    /* logging */
    enum mxw_log_level log_level;
    int syslog_facility; /* a LOG_* facility from <syslog.h> */

    /* policy */
    enum mxw_mode mode;

    /* DNS */
    struct mxw_strlist servers; /* "IPv4", "IPv4:port", "IPv6", "[IPv6]:port" */
    int step_timeout_ms;
    int rcpt_deadline_ms;
    struct mxw_intlist edns_ladder; /* payload sizes in bytes, descending */
    bool tcp_fallback;
    int edns_memory_s;
    int max_inflight;
    int cname_max;

    /* cache */
    int cache_size;
    int ttl_min_s;
    int ttl_max_s;
    int negative_ttl_min_s;
    int negative_ttl_max_s;
    int temp_error_ttl_s;
    int stale_window_s;

    /* diagnostic header */
    char *header_name;
    bool header_enabled;
    bool header_remove_incoming;
    int header_max_domains;

    /* milter recipients */
    struct mxw_strlist skip_mailers; /* {rcpt_mailer} values not decided */
    struct mxw_strlist relay_hosts;  /* {rcpt_host} values not decided */
    enum mxw_non_smtpd non_smtpd;

    /* resolver health and canaries */
    int health_window_s;
    int health_min_samples;
    int health_suspect_pct;
    int health_recover_rounds;
    struct mxw_strlist canary_domains;
    char *canary_nxdomain_zone; /* empty: no NXDOMAIN canary */
    int canary_interval_s;      /* 0: only rounds requested by failures */
    int canary_retry_s;         /* interval while a server is not healthy */
    int canary_timeout_ms;

    /* decision table: each row is [trusted reply, untrusted reply] */
    struct mxw_strlist protected_domains;
    struct mxw_strlist reply_mx;
    struct mxw_strlist reply_implicit_mx;
    struct mxw_strlist reply_null_mx;
    struct mxw_strlist reply_no_domain;
    struct mxw_strlist reply_no_mail_hosts;
    struct mxw_strlist reply_temp_error;
    struct mxw_strlist reply_address_literal;
    struct mxw_strlist reply_invalid;

    /* Postfix policy service and delivery-status socketmap */
    char *policy_socket;    /* empty: no policy service */
    char *socketmap_socket; /* empty: no socketmap */
    char *socketmap_name;   /* NAME in socketmap:...:NAME */
    int frontend_max_connections;
};

/* Value types a key can have. */
enum config_type {
    CONFIG_BOOL,
    CONFIG_INT,      /* int field, bounded by min..max */
    CONFIG_STRING,   /* char * field, checked by the row's check function */
    CONFIG_ENUM,     /* int or enum field, one of the row's choices */
    CONFIG_OCTAL,    /* int field given as an octal string such as "0660" */
    CONFIG_STR_LIST, /* struct mxw_strlist, each item checked */
    CONFIG_INT_LIST, /* struct mxw_intlist, each item bounded by min..max */
};

/* One allowed word of an enum key and the value it stores. */
struct config_choice {
    const char *name;
    int value;
};

/*
 * A check for a string or string-list item. Returns true when the value is
 * valid; otherwise writes what is allowed into why (a sentence fragment
 * such as "expected unix:PATH or inet:PORT@HOST") and returns false.
 */
typedef bool config_check_fn(const char *value, char *why, size_t whylen);

/*
 * A comparison of two valid items of a string list. Returns true when
 * they name the same thing, such as "::1" and "[::1]:53".
 */
typedef bool config_same_fn(const char *a, const char *b);

/* One row of the configuration table. */
struct config_key {
    const char *name;
    enum config_type type;
    size_t offset; /* offsetof(struct mxw_config, field) */
    /* Default in libconfig syntax, exactly as the sample file writes it. */
    const char *default_text;
    long long min; /* CONFIG_INT, CONFIG_OCTAL, list items; and */
    long long max; /* for lists, count bounds are min_items..max_items */
    size_t min_items;
    size_t max_items;
    bool duplicates_allowed; /* lists whose positions carry meaning */
    const char *unit;        /* "milliseconds", or NULL */
    const struct config_choice *choices; /* CONFIG_ENUM, NULL-terminated */
    config_check_fn *check;              /* strings and string lists */
    /* CONFIG_STR_LIST: check of the second item in place of check (the
     * untrusted reply of a decision-table row), or NULL. */
    config_check_fn *check_second;
    /* CONFIG_STR_LIST: duplicate test; NULL compares the exact text. */
    config_same_fn *same;
    const char *allowed; /* human text of what is allowed */
    const char *help;    /* one line for -h, sample, man */
};

/* The table, in the order the sample file and manual page list keys. */
extern const struct config_key config_table[];
extern const size_t config_table_count;

/* Return the table row named name, or NULL. */
const struct config_key *config_key_find(const char *name);

/*
 * Fill cfg with the built-in defaults. cfg must be zeroed or freed
 * before. Returns 0, or -1 with err set when out of memory or when a
 * default in the table is invalid (a bug the unit tests catch).
 */
int config_defaults(struct mxw_config *cfg, char *err, size_t errlen);

/*
 * Load path over the defaults into cfg. On success returns 0 and cfg
 * owns its strings. On failure returns -1, leaves cfg zeroed (nothing to
 * free) and writes one line into err: "FILE:LINE: KEY: what is wrong;
 * what is allowed". Unknown keys, wrong types, values out of bounds,
 * and cross-key conflicts are all errors.
 */
int config_load(const char *path, struct mxw_config *cfg, char *err,
                size_t errlen);

/* Same as config_load() on text in memory; name is used in messages. */
int config_load_string(const char *text, const char *name,
                       struct mxw_config *cfg, char *err, size_t errlen);

/* Release everything cfg owns and zero it. NULL is a no-op. */
void config_free(struct mxw_config *cfg);

/*
 * Write the value of one key of cfg into buf in libconfig syntax
 * (the form the sample file uses). Returns buf.
 */
const char *config_format_value(const struct mxw_config *cfg,
                                const struct config_key *key, char *buf,
                                size_t buflen);

/* Write the text that describes what key accepts ("50..20000"). */
const char *config_describe_allowed(const struct config_key *key, char *buf,
                                    size_t buflen);

/*
 * Write cfg as a commented configuration file: one help comment and one
 * "key = value;" line per key, in table order.
 */
void config_print(FILE *out, const struct mxw_config *cfg);

/*
 * Split a servers item into its address text and port (53 when not
 * given). Returns true when item is valid.
 */
bool config_server_split(const char *item, char *addr, size_t addrlen,
                         int *port);

/*
 * Compare two valid servers items by address and port, with an
 * IPv4-mapped IPv6 address equal to its IPv4 address. Returns true when
 * both name the same server.
 */
bool config_server_same(const char *a, const char *b);

/*
 * Compare two valid socket values (unix:PATH, inet:PORT@IPv4,
 * inet6:PORT@IPv6). Returns true when both would listen on the same unix
 * path, or on the same port of the same or a wildcard address.
 */
bool config_socket_same(const char *a, const char *b);

/* Name of a log level or facility value, for messages. */
const char *config_enum_name(const struct config_key *key, int value);

#endif
