/*
 * mxwarden-probe - run mxwarden's route lookup on the command line.
 *
 * A postmaster runs it when a "5.4.4 no mail hosts" bounce arrives: it
 * resolves each target with the same engine, servers and EDNS ladder as
 * the daemon and prints the verdict, the exchanges with their addresses,
 * and every DNS step taken (rung, transport, rcode, size, round trip).
 *
 * Exit status: 0 when every target has a route, 1 when any has a
 * negative verdict, 2 when any ended in temp_error (2 wins over 1), 64
 * for usage and configuration errors.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decide.h"
#include "log.h"
#include "mxw_config.h"
#include "resolver.h"
#include "route.h"

#define EXIT_ROUTE 0
#define EXIT_NEGATIVE 1
#define EXIT_TEMP 2
#define EXIT_USAGE 64

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: mxwarden-probe [-c FILE] [-s SERVER[:PORT]]... "
            "[-t STEP_TIMEOUT_MS] [--json] TARGET...\n"
            "       mxwarden-probe [-c FILE] [-s SERVER[:PORT]]... "
            "[-t STEP_TIMEOUT_MS] --health\n"
            "\n"
            "Resolve the mail route of each TARGET (a domain, user@domain, "
            "or an\n"
            "address literal such as [192.0.2.1]) as mxwarden would, and "
            "print the\n"
            "verdict, the exchanges, every DNS step, the health of the "
            "server that\n"
            "answered, and the decision: the action and SMTP reply "
            "mxwarden would send.\n"
            "A canary round runs against each server first, as the daemon "
            "does at start.\n"
            "\n"
            "  -c FILE              configuration file (default %s when it "
            "exists)\n"
            "  -s SERVER[:PORT]     DNS server to ask; repeat for several; "
            "replaces\n"
            "                       the configured servers (IPv6 as "
            "[ADDR]:PORT)\n"
            "  -t STEP_TIMEOUT_MS   timeout of one query on one EDNS rung, "
            "in ms\n"
            "  --json               one JSON object per target per line\n"
            "  --no-canary          skip the start-up canary round: "
            "health then\n"
            "                       reflects only this run's own "
            "queries\n"
            "  --health             run canary rounds against each server, "
            "print each\n"
            "                       server's health state and why, and "
            "exit 0 when all\n"
            "                       are healthy, 2 otherwise\n"
            "  -h, --help           show this help\n"
            "\n"
            "Exit status: 0 every target has a route, 1 a negative verdict, "
            "2 a\n"
            "temporary error (wins over 1), 64 usage or configuration "
            "error.\n",
            MXW_DEFAULT_CONFIG_FILE);
}

/* ---- JSON output ---- */

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t
utf8_length(const unsigned char *s)
{
    size_t n;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0) {
        n = 2;
        cp = s[0] & 0x1f;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3;
        cp = s[0] & 0x0f;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4;
        cp = s[0] & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Print s as a JSON string; invalid UTF-8 becomes U+FFFD. */
static void
json_string(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    if (!s) {
        fputs("null", out);
        return;
    }
    fputc('"', out);
    while (*p) {
        size_t n = utf8_length(p);

        if (n == 0) {
            fputs("\\ufffd", out);
            p++;
            continue;
        }
        if (n > 1) {
            fwrite(p, 1, n, out);
            p += n;
            continue;
        }
        switch (*p) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
        p++;
    }
    fputc('"', out);
}

/* Write the SMTP reply of a decision, or "" for accept, into buf. */
static void
format_reply(const struct decision *d, char *buf, size_t len)
{
    if (d->policy.reply.accept)
        buf[0] = '\0';
    else
        snprintf(buf, len, "%s %s %s", d->policy.reply.code,
                 d->policy.reply.dsn, d->policy.text);
}

/* Write ,"KEY":[...] with every step of r; an empty list when r is NULL. */
static void
print_json_steps(FILE *out, const char *key, const struct route_result *r)
{
    fprintf(out, ",\"%s\":[", key);
    for (size_t i = 0; r != NULL && i < r->step_count; i++) {
        const struct route_step *s = &r->steps[i];

        fputs(i ? ",{\"server\":" : "{\"server\":", out);
        json_string(out, s->server);
        fputs(",\"name\":", out);
        json_string(out, s->name);
        fputs(",\"type\":", out);
        if (strcmp(route_type_name(s->type), "TYPE") == 0)
            fprintf(out, "\"TYPE%u\"", s->type);
        else
            json_string(out, route_type_name(s->type));
        fprintf(out, ",\"transport\":\"%s\",\"edns_payload\":",
                s->transport == ROUTE_TRANSPORT_TCP ? "tcp" : "udp");
        if (s->edns_payload == ROUTE_EDNS_NONE)
            fputs("null", out);
        else
            fprintf(out, "%u", s->edns_payload);
        fputs(",\"rcode\":", out);
        json_string(out, route_rcode_name(s->rcode));
        fprintf(out,
                ",\"size\":%u,\"rtt_ms\":%u,\"attempt\":%u,"
                "\"answers\":%u,\"error\":",
                s->size_bytes, s->rtt_ms, s->attempts, s->answer_count);
        json_string(out, s->error);
        fputc('}', out);
    }
    fputc(']', out);
}

static void
print_json(FILE *out, const char *target, const struct decision *d)
{
    const struct route_result *r = d->result;
    char reply[sizeof(d->policy.text) + 32];

    fputs("{\"target\":", out);
    json_string(out, target);
    fputs(",\"domain\":", out);
    json_string(out, r->domain);
    fputs(",\"verdict\":", out);
    json_string(out, route_verdict_name(r->verdict));
    fputs(",\"reason\":", out);
    json_string(out, r->reason);
    fprintf(out, ",\"ttl_s\":%u,\"cache\":", r->ttl_s);
    json_string(out, route_cache_state_name(r->cache));
    fputs(",\"server\":", out);
    json_string(out, r->server);
    fputs(",\"rcode\":", out);
    json_string(out, route_rcode_name(r->rcode));

    fputs(",\"exchanges\":[", out);
    for (size_t i = 0; i < r->exchange_count; i++) {
        const struct route_exchange *x = &r->exchanges[i];

        fputs(i ? ",{\"name\":" : "{\"name\":", out);
        json_string(out, x->name);
        fprintf(out, ",\"preference\":%u,\"addresses\":[", x->preference);
        for (size_t j = 0; j < x->address_count; j++) {
            if (j)
                fputc(',', out);
            json_string(out, x->addresses[j]);
        }
        fprintf(out, "],\"usable\":%s,\"why_unusable\":",
                x->usable ? "true" : "false");
        json_string(out, x->why_unusable);
        fputs(",\"lookup_error\":", out);
        json_string(out, x->lookup_error);
        fputc('}', out);
    }

    format_reply(d, reply, sizeof(reply));
    fputs("],\"action\":", out);
    json_string(out, policy_action_name(d->policy.action));
    fputs(",\"would\":", out);
    json_string(out, policy_action_name(d->policy.would));
    fputs(",\"reply\":", out);
    json_string(out, reply[0] != '\0' ? reply : NULL);
    fputs(",\"health\":", out);
    json_string(out, health_state_name(d->health.state));
    fputs(",\"health_reason\":", out);
    json_string(out, r->server != NULL ? d->health.reason : NULL);
    fputs(",\"confirm\":", out);
    json_string(out, decision_confirm_name(d->confirm));
    fputs(",\"rule\":", out);
    json_string(out, d->policy.rule);

    print_json_steps(out, "steps", r);
    print_json_steps(out, "confirm_steps", d->repeat);
    fputs("}\n", out);
}

/* ---- text output ---- */

/* Write one line per step of r, labelled LABEL N; nothing when r is NULL. */
static void
print_text_steps(FILE *out, const char *label, const struct route_result *r)
{
    for (size_t i = 0; r != NULL && i < r->step_count; i++) {
        const struct route_step *s = &r->steps[i];
        const char *rcode = route_rcode_name(s->rcode);
        char edns[16];

        if (s->edns_payload == ROUTE_EDNS_NONE)
            snprintf(edns, sizeof(edns), "none");
        else
            snprintf(edns, sizeof(edns), "%u", s->edns_payload);
        fprintf(out,
                "  %s %zu %s %s server=%s %s edns=%s rcode=%s size=%u "
                "rtt=%ums attempt=%u",
                label, i + 1, route_type_name(s->type), s->name, s->server,
                s->transport == ROUTE_TRANSPORT_TCP ? "tcp" : "udp", edns,
                rcode ? rcode : "none", s->size_bytes, s->rtt_ms, s->attempts);
        if (s->error)
            fprintf(out, " error=%s", s->error);
        fputc('\n', out);
    }
}

/* Write text with bytes outside printable ASCII as '?', so a hostile
 * target cannot move the terminal's cursor or split the line. */
static void
print_safe(FILE *out, const char *text)
{
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        fputc(*p >= 0x20 && *p < 0x7f ? *p : '?', out);
}

static void
print_text(FILE *out, const char *target, const struct decision *d)
{
    const struct route_result *r = d->result;
    char reply[sizeof(d->policy.text) + 32];

    print_safe(out, target);
    fprintf(out, ": %s", route_verdict_name(r->verdict));
    if (r->reason)
        fprintf(out, " reason=%s", r->reason);
    fprintf(out, " domain=%s ttl=%us cache=%s", r->domain[0] ? r->domain : "-",
            r->ttl_s, route_cache_state_name(r->cache));
    if (r->server)
        fprintf(out, " server=%s rcode=%s", r->server,
                route_rcode_name(r->rcode) ? route_rcode_name(r->rcode)
                                           : "none");
    fputc('\n', out);

    for (size_t i = 0; i < r->exchange_count; i++) {
        const struct route_exchange *x = &r->exchanges[i];

        fprintf(out, "  exchange %u %s %s", x->preference, x->name,
                x->usable ? "usable" : "unusable");
        if (!x->usable && x->why_unusable)
            fprintf(out, " (%s%s%s)", x->why_unusable,
                    x->lookup_error ? ": " : "",
                    x->lookup_error ? x->lookup_error : "");
        for (size_t j = 0; j < x->address_count; j++)
            fprintf(out, " %s", x->addresses[j]);
        fputc('\n', out);
    }
    print_text_steps(out, "step", r);
    print_text_steps(out, "confirm step", d->repeat);

    format_reply(d, reply, sizeof(reply));
    fprintf(out, "  decision action=%s", policy_action_name(d->policy.action));
    if (d->policy.would != d->policy.action)
        fprintf(out, " would=%s", policy_action_name(d->policy.would));
    fprintf(out, " rule=%s confirm=%s health=%s", d->policy.rule,
            decision_confirm_name(d->confirm),
            health_state_name(d->health.state));
    if (r->server != NULL)
        fprintf(out, " (%s)", d->health.reason);
    fprintf(out, "\n  reply %s\n", reply[0] != '\0' ? reply : "none");
}

/* Run canary rounds and print each server's state; 0 when all healthy. */
static int
probe_health(struct decider *decider, FILE *out)
{
    struct health *health = decider_health(decider);
    int status = EXIT_ROUTE;

    /* Enough rounds for a failing server to reach unhealthy and for a
     * recovering one to be judged. */
    decider_run_canaries(decider, 4, out);
    for (size_t i = 0; i < health_server_count(health); i++) {
        const char *name = health_server_name(health, i);
        struct health_report report;

        if (!health_get(health, name, &report))
            continue;
        fprintf(out, "%s: %s, negative answers %s: %s\n", name,
                health_state_name(report.state),
                report.trusted_for_negatives ? "trusted" : "not trusted",
                report.reason);
        if (report.state != HEALTH_HEALTHY)
            status = EXIT_TEMP;
    }
    return status;
}

/* ---- main ---- */

/* The domain part of a target: after the last '@' of an address. */
static const char *
target_domain(const char *target)
{
    const char *at = strrchr(target, '@');

    return at ? at + 1 : target;
}

static int
parse_uint(const char *text, unsigned long min, unsigned long max,
           unsigned long *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno || *end || end == text || text[0] == '-' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"json", no_argument, NULL, 'j'},
        {"health", no_argument, NULL, 'H'},
        {"no-canary", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *config_path = NULL;
    const char *servers[RESOLVER_MAX_SERVERS];
    unsigned server_count = 0;
    unsigned long step_timeout = 0;
    bool json = false, health_only = false, canary = true;
    struct mxw_config cfg;
    struct decider *decider;
    char err[MXW_CONFIG_ERR_MAX];
    unsigned rungs, deadline_ms;
    int status = EXIT_ROUTE;
    int c;

    while ((c = getopt_long(argc, argv, "c:s:t:h", long_options, NULL)) != -1) {
        switch (c) {
        case 'c':
            config_path = optarg;
            break;
        case 's':
            if (server_count == RESOLVER_MAX_SERVERS) {
                fprintf(stderr,
                        "mxwarden-probe: too many -s options: at most %d "
                        "servers\n",
                        RESOLVER_MAX_SERVERS);
                return EXIT_USAGE;
            }
            servers[server_count++] = optarg;
            break;
        case 't':
            if (parse_uint(optarg, 1, 60000, &step_timeout) < 0) {
                fprintf(stderr,
                        "mxwarden-probe: invalid step timeout \"%s\": "
                        "expected milliseconds from 1 to 60000\n",
                        optarg);
                return EXIT_USAGE;
            }
            break;
        case 'j':
            json = true;
            break;
        case 'H':
            health_only = true;
            break;
        case 'N':
            canary = false;
            break;
        case 'h':
            usage(stdout);
            return EXIT_ROUTE;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc && !health_only) {
        fprintf(stderr, "mxwarden-probe: missing TARGET\n");
        usage(stderr);
        return EXIT_USAGE;
    }

    /* Configuration: -c FILE, else the default file when it exists, else
     * the built-in defaults (server 127.0.0.1). */
    memset(&cfg, 0, sizeof(cfg));
    if (!config_path && access(MXW_DEFAULT_CONFIG_FILE, F_OK) == 0)
        config_path = MXW_DEFAULT_CONFIG_FILE;
    if (config_path) {
        if (config_load(config_path, &cfg, err, sizeof(err)) < 0) {
            fprintf(stderr, "mxwarden-probe: %s\n", err);
            return EXIT_USAGE;
        }
    } else if (config_defaults(&cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "mxwarden-probe: %s\n", err);
        return EXIT_USAGE;
    }

    /* -s and -t replace what the configuration says. */
    if (server_count > 0) {
        char **items = calloc(server_count, sizeof(*items));

        for (unsigned i = 0; items != NULL && i < server_count; i++)
            items[i] = strdup(servers[i]);
        if (items == NULL || items[server_count - 1] == NULL) {
            fprintf(stderr, "mxwarden-probe: out of memory\n");
            config_free(&cfg);
            return EXIT_USAGE;
        }
        for (size_t i = 0; i < cfg.servers.count; i++)
            free(cfg.servers.items[i]);
        free(cfg.servers.items);
        cfg.servers.items = items;
        cfg.servers.count = server_count;
    }
    if (step_timeout != 0)
        cfg.step_timeout_ms = (int)step_timeout;

    /* Health losses are logged to stderr, as in the foreground daemon,
     * so they explain a tempfail the output shows; the routine start-up
     * recovery (notice level) is left out. */
    {
        struct log_options lopts = {.ident = "mxwarden-probe",
                                    .level = MXW_LOG_WARNING,
                                    .to_stderr = true};

        log_open(&lopts);
    }
    decider = decider_new_oneshot(&cfg, err, sizeof(err));
    if (!decider) {
        fprintf(stderr, "mxwarden-probe: %s\n", err);
        config_free(&cfg);
        return EXIT_USAGE;
    }
    if (health_only) {
        status = probe_health(decider, stdout);
        fflush(stdout);
        decider_free(decider);
        config_free(&cfg);
        return status;
    }
    /* The start-up canary round, as the daemon runs it, so that the
     * decisions below see the servers' real health. */
    if (canary)
        decider_run_canaries(decider, 4, NULL);

    /* The probe waits for the whole lookup, not the daemon's RCPT
     * deadline: a bound of every rung on every server for the MX, an
     * address phase, a CNAME re-ask and a confirmation. */
    rungs = (unsigned)cfg.edns_ladder.count + 1 + (cfg.tcp_fallback ? 1 : 0);
    deadline_ms = 5 * (unsigned)cfg.servers.count * rungs *
                      (unsigned)cfg.step_timeout_ms +
                  1000;

    for (int i = optind; i < argc; i++) {
        const char *target = argv[i];
        struct decision d;

        decider_decide(decider, target_domain(target), deadline_ms, &d);
        if (json)
            print_json(stdout, target, &d);
        else
            print_text(stdout, target, &d);

        if (d.result->verdict == ROUTE_TEMP_ERROR)
            status = EXIT_TEMP;
        else if (!route_verdict_is_positive(d.result->verdict) &&
                 status != EXIT_TEMP)
            status = EXIT_NEGATIVE;
        decision_release(&d);
    }
    fflush(stdout);

    decider_free(decider);
    config_free(&cfg);
    return status;
}
