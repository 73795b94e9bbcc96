/*
 * rules: the fault rules read from the control file, and the matching that
 * merges every rule selecting a query into one fault set.
 */
#ifndef FAULTDNS_RULES_H
#define FAULTDNS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "wire.h"

enum transport { TRANSPORT_UDP = 1, TRANSPORT_TCP = 2 };

enum edns_fault {
    EDNS_FAULT_NONE = 0,
    EDNS_FAULT_FORMERR,       /* FORMERR, question echoed, no OPT */
    EDNS_FAULT_FORMERR_BARE,  /* 12-byte FORMERR, empty question */
    EDNS_FAULT_FORMERR_ECHO,  /* FORMERR with the query's OPT echoed,
                                 only when the query carries options */
    EDNS_FAULT_BADVERS,       /* extended rcode BADVERS (16) */
    EDNS_FAULT_NOTIMP,        /* NOTIMP, no OPT */
    EDNS_FAULT_DROP,          /* no reply */
    EDNS_FAULT_OMIT_OPT,      /* normal reply without the OPT */
    EDNS_FAULT_OPT_IN_ANSWER, /* normal reply, OPT in the answer section */
};

enum tcp_fault {
    TCP_FAULT_NONE = 0,
    TCP_FAULT_HANG,  /* read the query, never reply, keep the connection */
    TCP_FAULT_CLOSE, /* read the query, close without a reply */
    TCP_FAULT_TC,    /* reply over TCP with TC=1 */
};

/* How the TCP listeners behave, set only by rules without name= or
 * type=. */
enum tcp_listen {
    TCP_LISTEN_NORMAL = 0,
    TCP_LISTEN_REFUSE, /* listeners closed: connections are refused */
    TCP_LISTEN_RESET,  /* accept, then reset before reading */
    TCP_LISTEN_CLOSE,  /* accept, then close (FIN) before reading */
};

enum qcase { QCASE_ASIS = 0, QCASE_UPPER, QCASE_LOWER, QCASE_SWAP };

struct rule;

/*
 * The faults that apply to one query.  Zero or -1 means "not set".  The
 * pointers point into the rule set and stay valid until it is freed.
 */
struct fault_set {
    long limit_bytes; /* -1: the client's payload (UDP) or none (TCP) */
    enum wire_overflow overflow;
    enum edns_fault edns;
    int rcode; /* -1: from the zone data */
    const ldns_rdf *nodata_soa_owner;
    long delay_ms;
    long jitter_ms;
    bool drop;
    long answer_from; /* 0: every attempt is answered */
    struct rule *answer_from_rule;
    enum tcp_fault tcp;
    const ldns_rdf *synth_a; /* an A rdf */
    bool wrong_id;
    const ldns_rdf *wrong_question;
    enum wire_compress compress;
    enum qcase qcase;
    bool no_additional; /* leave the exchange addresses out of MX answers */
    char applied[256];  /* comma-separated tokens of the matching rules */
};

struct rule_set;

/*
 * Parse the rule text TEXT.  On success returns a new set; on error returns
 * NULL and writes "line N: message" to ERR.
 */
struct rule_set *rule_set_parse(const char *text, char *err, size_t err_len);

/* Read and parse the control file PATH; a missing file is an empty set. */
struct rule_set *rule_set_load(const char *path, char *err, size_t err_len);

void rule_set_free(struct rule_set *rs);

size_t rule_set_count(const struct rule_set *rs);

enum tcp_listen rule_set_tcp_listen(const struct rule_set *rs);

/* Merge every rule selecting QNAME/QTYPE/TRANSPORT into FS, in file order,
 * so a later rule overrides what an earlier one set. */
void rule_set_match(const struct rule_set *rs, const ldns_rdf *qname,
                    uint16_t qtype, enum transport transport,
                    struct fault_set *fs);

/*
 * Count one attempt at QNAME/QTYPE against the answer-from counters of
 * RULE and return the attempt number, starting at 1.
 */
long rule_count_attempt(struct rule *rule, const ldns_rdf *qname,
                        uint16_t qtype);

#endif
