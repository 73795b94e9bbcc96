/*
 * zone: the authoritative data, loaded from master files, and the lookup
 * that turns a question into answer and authority records.
 */
#ifndef FAULTDNS_ZONE_H
#define FAULTDNS_ZONE_H

#include <stddef.h>

#include <ldns/ldns.h>

struct zone_set;

/* The outcome of a lookup. */
enum zone_status {
    ZONE_NOT_AUTH, /* no loaded zone contains the name */
    ZONE_ANSWER,   /* records of the requested type (maybe after CNAMEs) */
    ZONE_NODATA,   /* the name exists without that type */
    ZONE_NXDOMAIN, /* the name (or a CNAME target) does not exist */
};

/* Return an empty set, or NULL when memory runs out. */
struct zone_set *zone_set_new(void);
void zone_set_free(struct zone_set *zs);

/*
 * Load PATH: a master file, or a directory whose files ending in ".zone"
 * are loaded in name order.  A file named NAME.zone has the default origin
 * NAME.; $ORIGIN in the file overrides it.  Each file needs an SOA, which
 * gives the zone apex.  On error returns -1 and writes a message naming the
 * file and line to ERR.
 */
int zone_set_load(struct zone_set *zs, const char *path, char *err,
                  size_t err_len);

size_t zone_set_count(const struct zone_set *zs);

/*
 * Look QNAME/QTYPE up and append copies of the records to ANSWER (the
 * CNAME chain and the final RRset) and AUTHORITY (the SOA for negative
 * answers).  The caller owns both lists.
 */
enum zone_status zone_lookup(const struct zone_set *zs, const ldns_rdf *qname,
                             ldns_rr_type qtype, ldns_rr_list *answer,
                             ldns_rr_list *authority);

/*
 * Append to ADDITIONAL copies of the A and AAAA records of the targets of
 * the MX, NS and SRV records in ANSWER (RFC 1035 section 3.3.9), for
 * targets inside the loaded zones.
 */
void zone_add_additional(const struct zone_set *zs, const ldns_rr_list *answer,
                         ldns_rr_list *additional);

/* Return the SOA of the zone containing NAME, or NULL.  Not a copy. */
const ldns_rr *zone_find_soa(const struct zone_set *zs, const ldns_rdf *name);

#endif
