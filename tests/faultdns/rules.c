#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"

/* Maximum length of one control file, in bytes. */
#define RULES_MAX_FILE_BYTES (1024 * 1024)

enum name_match { NAME_ANY = 0, NAME_EXACT, NAME_BELOW };

/* Attempts seen for one name and type, for answer-from. */
struct attempt_count {
    ldns_rdf *name;
    uint16_t type;
    long count;
};

struct rule {
    enum name_match name_match;
    ldns_rdf *name;      /* NAME_EXACT: the name; NAME_BELOW: the suffix */
    int type;            /* -1: any */
    unsigned transports; /* TRANSPORT_* bits */
    bool transport_selected;

    struct fault_set faults;
    bool sets_limit, sets_overflow, sets_edns, sets_rcode, sets_nodata;
    bool sets_delay, sets_jitter, sets_drop, sets_answer_from, sets_tcp;
    bool sets_synth_a, sets_wrong_id, sets_wrong_question, sets_compress;
    bool sets_qcase, sets_additional;
    char text[256]; /* the action tokens, for the query log */

    struct attempt_count *attempts;
    size_t attempt_count;
};

struct rule_set {
    struct rule *rules;
    size_t count;
    enum tcp_listen tcp_listen;
};

static void
rule_clear(struct rule *r)
{
    size_t i;

    ldns_rdf_deep_free(r->name);
    ldns_rdf_deep_free((ldns_rdf *)r->faults.nodata_soa_owner);
    ldns_rdf_deep_free((ldns_rdf *)r->faults.synth_a);
    ldns_rdf_deep_free((ldns_rdf *)r->faults.wrong_question);
    for (i = 0; i < r->attempt_count; i++)
        ldns_rdf_deep_free(r->attempts[i].name);
    free(r->attempts);
}

void
rule_set_free(struct rule_set *rs)
{
    size_t i;

    if (rs == NULL)
        return;
    for (i = 0; i < rs->count; i++)
        rule_clear(&rs->rules[i]);
    free(rs->rules);
    free(rs);
}

size_t
rule_set_count(const struct rule_set *rs)
{
    return rs->count;
}

enum tcp_listen
rule_set_tcp_listen(const struct rule_set *rs)
{
    return rs->tcp_listen;
}

static bool
parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* Parse NAME as an absolute domain name; a missing final dot is added. */
static ldns_rdf *
parse_name(const char *name)
{
    char buf[300];
    size_t n = strlen(name);

    if (n == 0 || n > 253 + 1)
        return NULL;
    if (name[n - 1] == '.')
        return ldns_dname_new_frm_str(name);
    snprintf(buf, sizeof(buf), "%s.", name);
    return ldns_dname_new_frm_str(buf);
}

struct keyword {
    const char *word;
    int value;
};

static bool
lookup_keyword(const struct keyword *table, const char *word, int *value)
{
    for (; table->word != NULL; table++) {
        if (strcmp(table->word, word) == 0) {
            *value = table->value;
            return true;
        }
    }
    return false;
}

static const struct keyword overflow_words[] = {
    {"tc-empty", WIRE_OVERFLOW_TC_EMPTY},
    {"tc-whole", WIRE_OVERFLOW_TC_WHOLE},
    {"tc-partial", WIRE_OVERFLOW_TC_PARTIAL},
    {"cut", WIRE_OVERFLOW_CUT},
    {"cut-raw", WIRE_OVERFLOW_CUT_RAW},
    {"drop", WIRE_OVERFLOW_DROP},
    {NULL, 0},
};

static const struct keyword edns_words[] = {
    {"formerr", EDNS_FAULT_FORMERR},
    {"formerr-bare", EDNS_FAULT_FORMERR_BARE},
    {"formerr-echo", EDNS_FAULT_FORMERR_ECHO},
    {"badvers", EDNS_FAULT_BADVERS},
    {"notimp", EDNS_FAULT_NOTIMP},
    {"drop", EDNS_FAULT_DROP},
    {"omit-opt", EDNS_FAULT_OMIT_OPT},
    {"opt-in-answer", EDNS_FAULT_OPT_IN_ANSWER},
    {NULL, 0},
};

static const struct keyword rcode_words[] = {
    {"noerror", 0}, {"formerr", 1}, {"servfail", 2}, {"nxdomain", 3},
    {"notimp", 4},  {"refused", 5}, {"yxdomain", 6}, {"yxrrset", 7},
    {"nxrrset", 8}, {"notauth", 9}, {"notzone", 10}, {NULL, 0},
};

static const struct keyword tcp_words[] = {
    {"hang", TCP_FAULT_HANG},
    {"close", TCP_FAULT_CLOSE},
    {"tc", TCP_FAULT_TC},
    {NULL, 0},
};

static const struct keyword tcp_listen_words[] = {
    {"refuse", TCP_LISTEN_REFUSE},
    {"reset", TCP_LISTEN_RESET},
    {"close-on-accept", TCP_LISTEN_CLOSE},
    {NULL, 0},
};

static const struct keyword compress_words[] = {
    {"none", WIRE_COMPRESS_NONE},
    {"rfc", WIRE_COMPRESS_RFC},
    {"max", WIRE_COMPRESS_MAX},
    {NULL, 0},
};

static const struct keyword qcase_words[] = {
    {"upper", QCASE_UPPER},
    {"lower", QCASE_LOWER},
    {"swap", QCASE_SWAP},
    {NULL, 0},
};

static int
parse_selector(struct rule *r, const char *key, const char *value, char *err,
               size_t err_len)
{
    if (strcmp(key, "name") == 0) {
        const char *suffix = value;

        if (strcmp(value, "*") == 0) {
            r->name_match = NAME_ANY;
            return 0;
        }
        r->name_match = NAME_EXACT;
        if (strncmp(value, "*.", 2) == 0) {
            r->name_match = NAME_BELOW;
            suffix = value + 2;
        }
        ldns_rdf_deep_free(r->name);
        r->name = parse_name(suffix);
        if (r->name == NULL) {
            snprintf(err, err_len, "invalid name '%s'", value);
            return -1;
        }
        return 0;
    }
    if (strcmp(key, "type") == 0) {
        ldns_rr_type type;

        if (strcmp(value, "*") == 0) {
            r->type = -1;
            return 0;
        }
        type = ldns_get_rr_type_by_name(value);
        if (type == 0) {
            snprintf(err, err_len, "unknown type '%s'", value);
            return -1;
        }
        r->type = (int)type;
        return 0;
    }
    /* key is "transport" */
    if (strcmp(value, "udp") == 0) {
        r->transports = TRANSPORT_UDP;
    } else if (strcmp(value, "tcp") == 0) {
        r->transports = TRANSPORT_TCP;
    } else if (strcmp(value, "*") == 0) {
        r->transports = TRANSPORT_UDP | TRANSPORT_TCP;
    } else {
        snprintf(err, err_len, "invalid transport '%s': use udp, tcp or *",
                 value);
        return -1;
    }
    r->transport_selected = true;
    return 0;
}

static int
bad_value(const char *key, const char *value, const char *expected, char *err,
          size_t err_len)
{
    snprintf(err, err_len, "invalid value '%s' for %s: expected %s",
             value ? value : "(none)", key, expected);
    return -1;
}

/* Parse one action token KEY[=VALUE] into R.  TCP_LISTEN receives the
 * listener faults, which are not per query. */
static int
parse_action(struct rule *r, const char *key, const char *value,
             enum tcp_listen *tcp_listen, char *err, size_t err_len)
{
    struct fault_set *f = &r->faults;
    int word;

    if (strcmp(key, "drop") == 0 || strcmp(key, "wrong-id") == 0) {
        if (value != NULL) {
            snprintf(err, err_len, "%s takes no value", key);
            return -1;
        }
        if (key[0] == 'd')
            f->drop = r->sets_drop = true;
        else
            f->wrong_id = r->sets_wrong_id = true;
        return 0;
    }
    if (value == NULL) {
        snprintf(err, err_len, "unknown fault '%s'", key);
        return -1;
    }

    if (strcmp(key, "limit") == 0) {
        if (!parse_long(value, WIRE_DNS_HEADER_BYTES, 65535, &f->limit_bytes))
            return bad_value(key, value, "bytes from 12 to 65535", err,
                             err_len);
        r->sets_limit = true;
    } else if (strcmp(key, "overflow") == 0) {
        if (!lookup_keyword(overflow_words, value, &word))
            return bad_value(key, value,
                             "tc-empty, tc-whole, tc-partial, cut, cut-raw "
                             "or drop",
                             err, err_len);
        f->overflow = (enum wire_overflow)word;
        r->sets_overflow = true;
    } else if (strcmp(key, "edns") == 0) {
        if (!lookup_keyword(edns_words, value, &word))
            return bad_value(key, value,
                             "formerr, formerr-bare, formerr-echo, badvers, "
                             "notimp, drop, omit-opt or opt-in-answer",
                             err, err_len);
        f->edns = (enum edns_fault)word;
        r->sets_edns = true;
    } else if (strcmp(key, "rcode") == 0) {
        long number;

        if (lookup_keyword(rcode_words, value, &word))
            f->rcode = word;
        else if (parse_long(value, 0, 15, &number))
            f->rcode = (int)number;
        else
            return bad_value(key, value, "an rcode name or 0 to 15", err,
                             err_len);
        r->sets_rcode = true;
    } else if (strcmp(key, "nodata") == 0) {
        f->nodata_soa_owner = parse_name(value);
        if (f->nodata_soa_owner == NULL)
            return bad_value(key, value, "a domain name", err, err_len);
        r->sets_nodata = true;
    } else if (strcmp(key, "delay") == 0 || strcmp(key, "jitter") == 0) {
        long ms;

        if (!parse_long(value, 0, 600000, &ms))
            return bad_value(key, value, "milliseconds from 0 to 600000", err,
                             err_len);
        if (key[0] == 'd') {
            f->delay_ms = ms;
            r->sets_delay = true;
        } else {
            f->jitter_ms = ms;
            r->sets_jitter = true;
        }
    } else if (strcmp(key, "answer-from") == 0) {
        if (!parse_long(value, 1, 1000000, &f->answer_from))
            return bad_value(key, value, "an attempt number from 1", err,
                             err_len);
        r->sets_answer_from = true;
    } else if (strcmp(key, "tcp") == 0) {
        if (lookup_keyword(tcp_listen_words, value, &word)) {
            if (r->name_match != NAME_ANY || r->type != -1) {
                snprintf(err, err_len,
                         "tcp=%s acts before any query is read, so it takes "
                         "no name= or type=",
                         value);
                return -1;
            }
            *tcp_listen = (enum tcp_listen)word;
            return 0;
        }
        if (!lookup_keyword(tcp_words, value, &word))
            return bad_value(key, value,
                             "refuse, reset, close-on-accept, hang, close "
                             "or tc",
                             err, err_len);
        f->tcp = (enum tcp_fault)word;
        r->sets_tcp = true;
    } else if (strcmp(key, "synth-a") == 0) {
        f->synth_a = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, value);
        if (f->synth_a == NULL)
            return bad_value(key, value, "an IPv4 address", err, err_len);
        r->sets_synth_a = true;
    } else if (strcmp(key, "wrong-question") == 0) {
        f->wrong_question = parse_name(value);
        if (f->wrong_question == NULL)
            return bad_value(key, value, "a domain name", err, err_len);
        r->sets_wrong_question = true;
    } else if (strcmp(key, "compress") == 0) {
        if (!lookup_keyword(compress_words, value, &word))
            return bad_value(key, value, "none, rfc or max", err, err_len);
        f->compress = (enum wire_compress)word;
        r->sets_compress = true;
    } else if (strcmp(key, "qcase") == 0) {
        if (!lookup_keyword(qcase_words, value, &word))
            return bad_value(key, value, "upper, lower or swap", err, err_len);
        f->qcase = (enum qcase)word;
        r->sets_qcase = true;
    } else if (strcmp(key, "additional") == 0) {
        if (strcmp(value, "none") == 0)
            f->no_additional = true;
        else if (strcmp(value, "addresses") == 0)
            f->no_additional = false;
        else
            return bad_value(key, value, "none or addresses", err, err_len);
        r->sets_additional = true;
    } else {
        snprintf(err, err_len, "unknown fault '%s'", key);
        return -1;
    }
    return 0;
}

static bool
is_selector(const char *key)
{
    return strcmp(key, "name") == 0 || strcmp(key, "type") == 0 ||
           strcmp(key, "transport") == 0;
}

/* Parse one line.  Returns 1 for a rule, 0 for a blank line, -1 on error. */
static int
parse_line(char *line, struct rule *r, enum tcp_listen *tcp_listen, char *err,
           size_t err_len)
{
    char *hash = strchr(line, '#');
    char *save = NULL;
    char *token;
    int pass;
    int word;
    int actions = 0;
    int tokens = 0;

    if (hash != NULL)
        *hash = '\0';
    memset(r, 0, sizeof(*r));
    r->type = -1;
    r->transports = TRANSPORT_UDP | TRANSPORT_TCP;
    r->faults.limit_bytes = -1;
    r->faults.rcode = -1;

    /* Parse selectors in a first pass, so the tcp= check finds them
     * wherever they appear on the line. */
    for (pass = 0; pass < 2; pass++) {
        char copy[4096];

        snprintf(copy, sizeof(copy), "%s", line);
        for (token = strtok_r(copy, " \t\r\n", &save); token != NULL;
             token = strtok_r(NULL, " \t\r\n", &save)) {
            char *eq = strchr(token, '=');
            char *value = NULL;

            if (eq != NULL) {
                *eq = '\0';
                value = eq + 1;
            }
            if (pass == 0)
                tokens++;
            if (is_selector(token) != (pass == 0))
                continue;
            if (pass == 0) {
                if (value == NULL || *value == '\0') {
                    snprintf(err, err_len, "%s needs a value", token);
                    return -1;
                }
                if (parse_selector(r, token, value, err, err_len) != 0)
                    return -1;
                continue;
            }
            if (parse_action(r, token, value, tcp_listen, err, err_len) != 0)
                return -1;
            actions++;
            if (strcmp(token, "tcp") == 0 &&
                lookup_keyword(tcp_listen_words, value, &word))
                continue; /* a listener fault, not a per-query one */
            if (eq != NULL)
                *eq = '=';
            if (strlen(r->text) + strlen(token) + 2 < sizeof(r->text)) {
                if (r->text[0] != '\0')
                    strcat(r->text, ",");
                strcat(r->text, token);
            }
        }
    }
    if (tokens == 0)
        return 0;
    if (actions == 0) {
        snprintf(err, err_len,
                 "no fault on the line: add one, such as "
                 "rcode=servfail");
        return -1;
    }
    return 1;
}

struct rule_set *
rule_set_parse(const char *text, char *err, size_t err_len)
{
    struct rule_set *rs = calloc(1, sizeof(*rs));
    const char *line = text;
    int line_no = 0;

    if (rs == NULL) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    while (line != NULL && *line != '\0') {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[4096];
        char msg[512];
        struct rule r;
        int rc;

        line_no++;
        if (len >= sizeof(buf)) {
            snprintf(err, err_len, "line %d: longer than %zu bytes", line_no,
                     sizeof(buf) - 1);
            rule_set_free(rs);
            return NULL;
        }
        memcpy(buf, line, len);
        buf[len] = '\0';
        line = nl ? nl + 1 : NULL;

        rc = parse_line(buf, &r, &rs->tcp_listen, msg, sizeof(msg));
        if (rc < 0) {
            snprintf(err, err_len, "line %d: %s", line_no, msg);
            rule_clear(&r);
            rule_set_free(rs);
            return NULL;
        }
        if (rc == 0 || r.text[0] == '\0') {
            /* Blank, or only listener faults such as tcp=refuse. */
            rule_clear(&r);
            continue;
        }
        {
            struct rule *grown =
                realloc(rs->rules, (rs->count + 1) * sizeof(*grown));

            if (grown == NULL) {
                snprintf(err, err_len, "out of memory");
                rule_clear(&r);
                rule_set_free(rs);
                return NULL;
            }
            rs->rules = grown;
            rs->rules[rs->count++] = r;
        }
    }
    return rs;
}

struct rule_set *
rule_set_load(const char *path, char *err, size_t err_len)
{
    struct rule_set *rs;
    char *text;
    size_t len;
    FILE *fp;

    fp = fopen(path, "r");
    if (fp == NULL) {
        if (errno == ENOENT)
            return rule_set_parse("", err, err_len);
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    text = malloc(RULES_MAX_FILE_BYTES + 1);
    if (text == NULL) {
        fclose(fp);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    len = fread(text, 1, RULES_MAX_FILE_BYTES + 1, fp);
    fclose(fp);
    if (len > RULES_MAX_FILE_BYTES) {
        snprintf(err, err_len, "%s: larger than %d bytes", path,
                 RULES_MAX_FILE_BYTES);
        free(text);
        return NULL;
    }
    text[len] = '\0';
    rs = rule_set_parse(text, err, err_len);
    free(text);
    return rs;
}

static bool
rule_selects(const struct rule *r, const ldns_rdf *qname, uint16_t qtype,
             enum transport transport)
{
    if ((r->transports & transport) == 0)
        return false;
    if (r->type != -1 && r->type != qtype)
        return false;
    switch (r->name_match) {
    case NAME_EXACT:
        return ldns_dname_compare(qname, r->name) == 0;
    case NAME_BELOW:
        return ldns_dname_is_subdomain(qname, r->name);
    case NAME_ANY:
    default:
        return true;
    }
}

void
rule_set_match(const struct rule_set *rs, const ldns_rdf *qname, uint16_t qtype,
               enum transport transport, struct fault_set *fs)
{
    size_t i;

    memset(fs, 0, sizeof(*fs));
    fs->limit_bytes = -1;
    fs->rcode = -1;

    for (i = 0; i < rs->count; i++) {
        struct rule *r = &rs->rules[i];
        const struct fault_set *f = &r->faults;

        if (!rule_selects(r, qname, qtype, transport))
            continue;

        /* Size faults reach TCP only from rules that select TCP alone, so
         * a UDP size fault does not break the TCP fallback. */
        if (transport == TRANSPORT_UDP ||
            (r->transport_selected && r->transports == TRANSPORT_TCP)) {
            if (r->sets_limit)
                fs->limit_bytes = f->limit_bytes;
            if (r->sets_overflow)
                fs->overflow = f->overflow;
        }
        if (r->sets_edns)
            fs->edns = f->edns;
        if (r->sets_rcode)
            fs->rcode = f->rcode;
        if (r->sets_nodata)
            fs->nodata_soa_owner = f->nodata_soa_owner;
        if (r->sets_delay)
            fs->delay_ms = f->delay_ms;
        if (r->sets_jitter)
            fs->jitter_ms = f->jitter_ms;
        if (r->sets_drop)
            fs->drop = true;
        if (r->sets_answer_from) {
            fs->answer_from = f->answer_from;
            fs->answer_from_rule = r;
        }
        if (r->sets_tcp)
            fs->tcp = f->tcp;
        if (r->sets_synth_a)
            fs->synth_a = f->synth_a;
        if (r->sets_wrong_id)
            fs->wrong_id = true;
        if (r->sets_wrong_question)
            fs->wrong_question = f->wrong_question;
        if (r->sets_compress)
            fs->compress = f->compress;
        if (r->sets_qcase)
            fs->qcase = f->qcase;
        if (r->sets_additional)
            fs->no_additional = f->no_additional;

        if (strlen(fs->applied) + strlen(r->text) + 2 < sizeof(fs->applied)) {
            if (fs->applied[0] != '\0')
                strcat(fs->applied, ",");
            strcat(fs->applied, r->text);
        }
    }
}

long
rule_count_attempt(struct rule *rule, const ldns_rdf *qname, uint16_t qtype)
{
    struct attempt_count *grown;
    size_t i;

    for (i = 0; i < rule->attempt_count; i++) {
        struct attempt_count *a = &rule->attempts[i];

        if (a->type == qtype && ldns_dname_compare(a->name, qname) == 0)
            return ++a->count;
    }
    grown = realloc(rule->attempts, (rule->attempt_count + 1) * sizeof(*grown));
    if (grown == NULL)
        return 1;
    rule->attempts = grown;
    grown[rule->attempt_count].name = ldns_rdf_clone(qname);
    grown[rule->attempt_count].type = qtype;
    grown[rule->attempt_count].count = 1;
    rule->attempt_count++;
    return 1;
}
