#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zone.h"

/* CNAME links followed before giving up, as a loop guard. */
#define ZONE_MAX_CNAME_CHAIN 16

struct zone {
    ldns_rdf *apex;
    ldns_rr *soa;
    ldns_rr_list *rrs; /* every record but the SOA */
};

struct zone_set {
    struct zone *zones;
    size_t count;
};

struct zone_set *
zone_set_new(void)
{
    return calloc(1, sizeof(struct zone_set));
}

void
zone_set_free(struct zone_set *zs)
{
    size_t i;

    if (zs == NULL)
        return;
    for (i = 0; i < zs->count; i++) {
        ldns_rdf_deep_free(zs->zones[i].apex);
        ldns_rr_free(zs->zones[i].soa);
        ldns_rr_list_deep_free(zs->zones[i].rrs);
    }
    free(zs->zones);
    free(zs);
}

size_t
zone_set_count(const struct zone_set *zs)
{
    return zs->count;
}

static bool
has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t k = strlen(suffix);

    return n > k && strcmp(s + n - k, suffix) == 0;
}

static int
load_file(struct zone_set *zs, const char *path, char *err, size_t err_len)
{
    const char *base = strrchr(path, '/');
    ldns_rdf *origin = NULL;
    ldns_zone *zone = NULL;
    ldns_status status;
    struct zone *grown;
    int line = 0;
    FILE *fp;

    /* The default origin comes from the file name: "NAME.zone". */
    base = base ? base + 1 : path;
    if (has_suffix(base, ".zone")) {
        char name[256];
        size_t n = strlen(base) - strlen(".zone");

        if (n < sizeof(name) - 1) {
            memcpy(name, base, n);
            name[n] = '.';
            name[n + 1] = '\0';
            origin = ldns_dname_new_frm_str(name);
        }
    }

    fp = fopen(path, "r");
    if (fp == NULL) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        ldns_rdf_deep_free(origin);
        return -1;
    }
    status = ldns_zone_new_frm_fp_l(&zone, fp, origin, 3600, LDNS_RR_CLASS_IN,
                                    &line);
    fclose(fp);
    ldns_rdf_deep_free(origin);
    if (status != LDNS_STATUS_OK) {
        snprintf(err, err_len, "%s:%d: invalid zone file: %s", path, line,
                 ldns_get_errorstr_by_id(status));
        return -1;
    }
    if (ldns_zone_soa(zone) == NULL) {
        snprintf(err, err_len, "%s: no SOA record: add one at the apex", path);
        ldns_zone_deep_free(zone);
        return -1;
    }

    grown = realloc(zs->zones, (zs->count + 1) * sizeof(*grown));
    if (grown == NULL) {
        snprintf(err, err_len, "%s: out of memory", path);
        ldns_zone_deep_free(zone);
        return -1;
    }
    zs->zones = grown;
    grown[zs->count].soa = ldns_rr_clone(ldns_zone_soa(zone));
    grown[zs->count].apex = ldns_rdf_clone(ldns_rr_owner(ldns_zone_soa(zone)));
    grown[zs->count].rrs = ldns_rr_list_clone(ldns_zone_rrs(zone));
    zs->count++;
    ldns_zone_deep_free(zone);
    return 0;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
load_dir(struct zone_set *zs, const char *path, char *err, size_t err_len)
{
    struct dirent *entry;
    char **names = NULL;
    size_t count = 0;
    size_t i;
    int rc = 0;
    DIR *dir;

    dir = opendir(path);
    if (dir == NULL) {
        snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    while ((entry = readdir(dir)) != NULL) {
        char **grown;

        if (!has_suffix(entry->d_name, ".zone"))
            continue;
        grown = realloc(names, (count + 1) * sizeof(*names));
        if (grown == NULL)
            break;
        names = grown;
        names[count] = strdup(entry->d_name);
        if (names[count] == NULL)
            break;
        count++;
    }
    closedir(dir);

    qsort(names, count, sizeof(*names), compare_names);
    for (i = 0; i < count; i++) {
        char file[4096];

        snprintf(file, sizeof(file), "%s/%s", path, names[i]);
        if (rc == 0)
            rc = load_file(zs, file, err, err_len);
        free(names[i]);
    }
    free(names);
    if (rc == 0 && count == 0) {
        snprintf(err, err_len, "%s: no files ending in .zone", path);
        rc = -1;
    }
    return rc;
}

int
zone_set_load(struct zone_set *zs, const char *path, char *err, size_t err_len)
{
    struct stat st;

    if (stat(path, &st) != 0) {
        snprintf(err, err_len, "cannot read zone %s: %s", path,
                 strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode))
        return load_dir(zs, path, err, err_len);
    return load_file(zs, path, err, err_len);
}

/* Return the zone with the longest apex that contains NAME, or NULL. */
static const struct zone *
find_zone(const struct zone_set *zs, const ldns_rdf *name)
{
    const struct zone *best = NULL;
    size_t i;

    for (i = 0; i < zs->count; i++) {
        const struct zone *z = &zs->zones[i];

        if (ldns_dname_compare(name, z->apex) != 0 &&
            !ldns_dname_is_subdomain(name, z->apex))
            continue;
        if (best == NULL || ldns_dname_label_count(z->apex) >
                                ldns_dname_label_count(best->apex))
            best = z;
    }
    return best;
}

const ldns_rr *
zone_find_soa(const struct zone_set *zs, const ldns_rdf *name)
{
    const struct zone *z = find_zone(zs, name);

    return z ? z->soa : NULL;
}

/* True when NAME owns records or is an empty non-terminal in Z. */
static bool
name_exists(const struct zone *z, const ldns_rdf *name)
{
    size_t i;

    if (ldns_dname_compare(name, z->apex) == 0)
        return true;
    for (i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
        const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(z->rrs, i));

        if (ldns_dname_compare(owner, name) == 0 ||
            ldns_dname_is_subdomain(owner, name))
            return true;
    }
    return false;
}

/*
 * Copy the records of Z owned by OWNER (of type TYPE, or every type for
 * ANY) to OUT with their owner set to NAME.  Returns the number copied, or
 * -1 when memory runs out.
 */
static int
copy_rrs(const struct zone *z, const ldns_rdf *owner, ldns_rr_type type,
         const ldns_rdf *name, ldns_rr_list *out)
{
    int copied = 0;
    size_t i;

    if (ldns_dname_compare(owner, z->apex) == 0 &&
        (type == LDNS_RR_TYPE_SOA || type == LDNS_RR_TYPE_ANY)) {
        if (!ldns_rr_list_push_rr(out, ldns_rr_clone(z->soa)))
            return -1;
        copied++;
    }
    for (i = 0; i < ldns_rr_list_rr_count(z->rrs); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
        ldns_rr *copy;

        if (ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
            continue;
        if (type != LDNS_RR_TYPE_ANY && ldns_rr_get_type(rr) != type)
            continue;
        copy = ldns_rr_clone(rr);
        if (copy == NULL)
            return -1;
        ldns_rdf_deep_free(ldns_rr_owner(copy));
        ldns_rr_set_owner(copy, ldns_rdf_clone(name));
        if (!ldns_rr_list_push_rr(out, copy)) {
            ldns_rr_free(copy);
            return -1;
        }
        copied++;
    }
    return copied;
}

/*
 * Return the owner whose records answer for NAME: NAME itself when it
 * exists, the wildcard "*.<closest encloser>" when that exists (RFC 4592),
 * or NULL.  The caller frees the result.
 */
static ldns_rdf *
find_source(const struct zone *z, const ldns_rdf *name)
{
    ldns_rdf *encloser;

    if (name_exists(z, name))
        return ldns_rdf_clone(name);

    encloser = ldns_dname_left_chop(name);
    while (encloser != NULL && !name_exists(z, encloser)) {
        ldns_rdf *up = ldns_dname_left_chop(encloser);

        ldns_rdf_deep_free(encloser);
        encloser = up;
    }
    if (encloser != NULL) {
        ldns_rdf *star = ldns_dname_new_frm_str("*");
        ldns_rdf *wildcard = NULL;

        if (star != NULL)
            wildcard = ldns_dname_cat_clone(star, encloser);
        ldns_rdf_deep_free(star);
        ldns_rdf_deep_free(encloser);
        if (wildcard != NULL && name_exists(z, wildcard))
            return wildcard;
        ldns_rdf_deep_free(wildcard);
    }
    return NULL;
}

enum zone_status
zone_lookup(const struct zone_set *zs, const ldns_rdf *qname,
            ldns_rr_type qtype, ldns_rr_list *answer, ldns_rr_list *authority)
{
    ldns_rdf *name = ldns_rdf_clone(qname);
    enum zone_status status = ZONE_NOT_AUTH;
    int chain;

    /* NOTE: delegations (NS records below an apex) are served as plain
     * data, not as referrals. */
    for (chain = 0; chain <= ZONE_MAX_CNAME_CHAIN; chain++) {
        const struct zone *z = find_zone(zs, name);
        ldns_rdf *source;
        ldns_rdf *target;
        int n;

        if (z == NULL) {
            /* A CNAME leading out of the loaded zones ends the answer. */
            status = chain == 0 ? ZONE_NOT_AUTH : ZONE_ANSWER;
            break;
        }
        source = find_source(z, name);
        if (source == NULL) {
            ldns_rr_list_push_rr(authority, ldns_rr_clone(z->soa));
            status = ZONE_NXDOMAIN;
            break;
        }

        n = copy_rrs(z, source, qtype, name, answer);
        if (n != 0 || qtype == LDNS_RR_TYPE_CNAME) {
            ldns_rdf_deep_free(source);
            if (n == 0)
                ldns_rr_list_push_rr(authority, ldns_rr_clone(z->soa));
            status = n > 0 || chain > 0 ? ZONE_ANSWER : ZONE_NODATA;
            break;
        }

        /* Follow a CNAME at this name (RFC 1034 section 4.3.2). */
        n = copy_rrs(z, source, LDNS_RR_TYPE_CNAME, name, answer);
        ldns_rdf_deep_free(source);
        if (n <= 0) {
            ldns_rr_list_push_rr(authority, ldns_rr_clone(z->soa));
            status = chain > 0 ? ZONE_ANSWER : ZONE_NODATA;
            break;
        }
        target = ldns_rdf_clone(ldns_rr_rdf(
            ldns_rr_list_rr(answer, ldns_rr_list_rr_count(answer) - 1), 0));
        ldns_rdf_deep_free(name);
        name = target;
        status = ZONE_ANSWER;
    }
    ldns_rdf_deep_free(name);
    return status;
}

/* Return the host name an MX, NS or SRV record points at, or NULL. */
static const ldns_rdf *
rr_target(const ldns_rr *rr)
{
    switch (ldns_rr_get_type(rr)) {
    case LDNS_RR_TYPE_MX:
        return ldns_rr_rdf(rr, 1);
    case LDNS_RR_TYPE_NS:
        return ldns_rr_rdf(rr, 0);
    case LDNS_RR_TYPE_SRV:
        return ldns_rr_rdf(rr, 3);
    default:
        return NULL;
    }
}

void
zone_add_additional(const struct zone_set *zs, const ldns_rr_list *answer,
                    ldns_rr_list *additional)
{
    static const ldns_rr_type types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
    size_t i;

    for (i = 0; i < ldns_rr_list_rr_count(answer); i++) {
        const ldns_rdf *target = rr_target(ldns_rr_list_rr(answer, i));
        const struct zone *z;
        ldns_rdf *source;
        size_t j;
        size_t t;
        bool seen = false;

        if (target == NULL || ldns_dname_label_count(target) == 0)
            continue;
        for (j = 0; j < i && !seen; j++) {
            const ldns_rdf *earlier = rr_target(ldns_rr_list_rr(answer, j));

            seen = earlier != NULL && ldns_dname_compare(earlier, target) == 0;
        }
        z = find_zone(zs, target);
        if (seen || z == NULL)
            continue;
        source = find_source(z, target);
        if (source == NULL)
            continue;
        for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
            copy_rrs(z, source, types[t], target, additional);
        ldns_rdf_deep_free(source);
    }
}
