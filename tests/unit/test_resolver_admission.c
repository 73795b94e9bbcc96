/*
 * Unit tests of the admission count (resolver/admission.c): which
 * submissions are admitted against the limit, merging of a domain already
 * counted, lookups confined to one server, and the count after every
 * reference is released, from one thread and from many.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "admission.h"

enum op_kind { OP_ENTER, OP_LEAVE };

struct admission_op {
    enum op_kind kind;
    const char *domain;         /* NULL: a lookup confined to one server */
    enum admission_status want; /* OP_ENTER only (ignored for OP_LEAVE) */
    unsigned want_count;        /* admission_count after the op */
};

struct admission_case {
    const char *name;
    unsigned limit;
    struct admission_op ops[16];
    size_t op_count;
};

static const struct admission_case cases[] = {
    {"new_domains_up_to_limit",
     2,
     {{OP_ENTER, "a.test", ADMISSION_NEW, 1},
      {OP_ENTER, "b.test", ADMISSION_NEW, 2},
      {OP_ENTER, "c.test", ADMISSION_FULL, 2}},
     3},
    {"counted_domain_merges_at_limit",
     2,
     {{OP_ENTER, "a.test", ADMISSION_NEW, 1},
      {OP_ENTER, "b.test", ADMISSION_NEW, 2},
      {OP_ENTER, "a.test", ADMISSION_MERGED, 2},
      {OP_ENTER, "b.test", ADMISSION_MERGED, 2}},
     4},
    {"domain_counts_until_last_leave",
     1,
     {{OP_ENTER, "a.test", ADMISSION_NEW, 1},
      {OP_ENTER, "a.test", ADMISSION_MERGED, 1},
      {OP_LEAVE, "a.test", ADMISSION_NEW, 1},
      {OP_ENTER, "b.test", ADMISSION_FULL, 1},
      {OP_LEAVE, "a.test", ADMISSION_NEW, 0},
      {OP_ENTER, "b.test", ADMISSION_NEW, 1}},
     6},
    {"confined_never_merges",
     2,
     {{OP_ENTER, NULL, ADMISSION_NEW, 1},
      {OP_ENTER, NULL, ADMISSION_NEW, 2},
      {OP_ENTER, NULL, ADMISSION_FULL, 2},
      {OP_ENTER, "a.test", ADMISSION_FULL, 2},
      {OP_LEAVE, NULL, ADMISSION_NEW, 1},
      {OP_ENTER, "a.test", ADMISSION_NEW, 2}},
     6},
    {"counted_domain_merges_past_confined",
     2,
     {{OP_ENTER, "a.test", ADMISSION_NEW, 1},
      {OP_ENTER, NULL, ADMISSION_NEW, 2},
      {OP_ENTER, "a.test", ADMISSION_MERGED, 2},
      {OP_ENTER, NULL, ADMISSION_FULL, 2}},
     4},
    {"leave_of_unknown_is_ignored",
     1,
     {{OP_LEAVE, "zz.test", ADMISSION_NEW, 0},
      {OP_LEAVE, NULL, ADMISSION_NEW, 0},
      {OP_ENTER, "a.test", ADMISSION_NEW, 1},
      {OP_LEAVE, "b.test", ADMISSION_NEW, 1},
      {OP_LEAVE, NULL, ADMISSION_NEW, 1},
      {OP_LEAVE, "a.test", ADMISSION_NEW, 0},
      {OP_LEAVE, "a.test", ADMISSION_NEW, 0}},
     7},
    {"zero_limit_admits_nothing",
     0,
     {{OP_ENTER, "a.test", ADMISSION_FULL, 0},
      {OP_ENTER, NULL, ADMISSION_FULL, 0}},
     2},
};

static const char *
status_name(enum admission_status status)
{
    switch (status) {
    case ADMISSION_NEW:
        return "new";
    case ADMISSION_MERGED:
        return "merged";
    case ADMISSION_FULL:
        return "full";
    case ADMISSION_NOMEM:
        return "nomem";
    }
    return "?";
}

static void
admission_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct admission_case *c = &cases[i];
        struct admission *a = admission_new(c->limit);

        assert_non_null(a);
        for (size_t j = 0; j < c->op_count; j++) {
            const struct admission_op *op = &c->ops[j];
            const char *label = op->domain ? op->domain : "(confined)";

            if (op->kind == OP_ENTER) {
                enum admission_status got = admission_enter(a, op->domain);

                if (got != op->want)
                    fail_msg("%s: op %zu enter %s: got %s, expected %s",
                             c->name, j, label, status_name(got),
                             status_name(op->want));
            } else {
                admission_leave(a, op->domain);
            }
            if (admission_count(a) != op->want_count)
                fail_msg("%s: op %zu (%s): count %u, expected %u", c->name, j,
                         label, admission_count(a), op->want_count);
        }
        admission_free(a);
    }
}

/* More domains than hash buckets: chains of several entries each. */
static void
admission_many_domains(void **state)
{
    enum { DOMAINS = 10000 };
    struct admission *a = admission_new(DOMAINS);
    char name[32];

    (void)state;
    assert_non_null(a);
    for (int i = 0; i < DOMAINS; i++) {
        snprintf(name, sizeof(name), "d%d.test", i);
        assert_int_equal(admission_enter(a, name), ADMISSION_NEW);
    }
    assert_int_equal(admission_count(a), DOMAINS);
    assert_int_equal(admission_enter(a, "one-more.test"), ADMISSION_FULL);
    for (int i = 0; i < DOMAINS; i++) {
        snprintf(name, sizeof(name), "d%d.test", i);
        assert_int_equal(admission_enter(a, name), ADMISSION_MERGED);
    }
    for (int i = 0; i < DOMAINS; i += 2) {
        snprintf(name, sizeof(name), "d%d.test", i);
        admission_leave(a, name);
        admission_leave(a, name);
    }
    assert_int_equal(admission_count(a), DOMAINS / 2);
    /* Entries left behind are freed with the table (valgrind checks). */
    admission_free(a);
}

enum { THREADS = 8, ROUNDS = 2000, THREAD_LIMIT = 5 };

struct thread_tally {
    struct admission *admission;
    int id;
    unsigned admitted, full, wrong;
};

/* Each round enters a domain shared by every thread and one of its own,
 * then releases whatever was admitted. */
static void *
admission_worker(void *arg)
{
    struct thread_tally *t = arg;
    char own[32];

    for (int i = 0; i < ROUNDS; i++) {
        enum admission_status shared, mine;

        snprintf(own, sizeof(own), "t%d-%d.test", t->id, i % 7);
        shared = admission_enter(t->admission, "shared.test");
        mine = admission_enter(t->admission, own);
        if (admission_count(t->admission) > THREAD_LIMIT)
            t->wrong++;
        if (mine == ADMISSION_NEW || mine == ADMISSION_MERGED) {
            t->admitted++;
            admission_leave(t->admission, own);
        } else if (mine == ADMISSION_FULL) {
            t->full++;
        } else {
            t->wrong++;
        }
        if (shared == ADMISSION_NEW || shared == ADMISSION_MERGED)
            admission_leave(t->admission, "shared.test");
        else if (shared != ADMISSION_FULL)
            t->wrong++;
    }
    return NULL;
}

static void
admission_threads_balance(void **state)
{
    struct admission *a = admission_new(THREAD_LIMIT);
    pthread_t tids[THREADS];
    struct thread_tally tally[THREADS];
    unsigned admitted = 0, wrong = 0;

    (void)state;
    assert_non_null(a);
    for (int i = 0; i < THREADS; i++) {
        tally[i] = (struct thread_tally){a, i, 0, 0, 0};
        assert_int_equal(
            pthread_create(&tids[i], NULL, admission_worker, &tally[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(tids[i], NULL);
        admitted += tally[i].admitted;
        wrong += tally[i].wrong;
    }
    assert_int_equal(wrong, 0);
    assert_true(admitted > 0);
    assert_int_equal(admission_count(a), 0);
    admission_free(a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(admission_table),
        cmocka_unit_test(admission_many_domains),
        cmocka_unit_test(admission_threads_balance),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
