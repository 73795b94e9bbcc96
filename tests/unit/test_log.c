/*
 * Unit tests of logging: level filter, decision-line builder and the
 * repeat suppressor, the latter driven by a simulated clock.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "log.h"

/*
 * Each test's struct log_repeat is static: a failed assertion skips
 * log_repeat_destroy(), and the registry must not keep a pointer into a
 * dead stack frame.
 */

/* Lines captured by the sink, guarded by captured_lock. */
#define CAPTURE_MAX 64
static pthread_mutex_t captured_lock = PTHREAD_MUTEX_INITIALIZER;
static char captured[CAPTURE_MAX][LOG_LINE_MAX];
static enum mxw_log_level captured_level[CAPTURE_MAX];
static size_t captured_count;

static int64_t fake_now_ms;

static void
capture(enum mxw_log_level level, const char *line, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&captured_lock);
    if (captured_count < CAPTURE_MAX) {
        snprintf(captured[captured_count], LOG_LINE_MAX, "%s", line);
        captured_level[captured_count] = level;
    }
    captured_count++;
    pthread_mutex_unlock(&captured_lock);
}

static int64_t
fake_clock(void)
{
    return fake_now_ms;
}

static int
setup(void **state)
{
    struct log_options opts = {
        .ident = "test_log",
        .facility = LOG_MAIL,
        .level = MXW_LOG_DEBUG,
        .to_stderr = true,
    };

    (void)state;
    log_open(&opts);
    log_set_sink(capture, NULL);
    log_set_clock(fake_clock);
    fake_now_ms = 1000000;
    captured_count = 0;
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    log_set_sink(NULL, NULL);
    log_set_clock(NULL);
    return 0;
}

static void
level_filter_drops_lower_levels(void **state)
{
    (void)state;
    log_set_level(MXW_LOG_WARNING);
    assert_true(log_enabled(MXW_LOG_ERROR));
    assert_true(log_enabled(MXW_LOG_WARNING));
    assert_false(log_enabled(MXW_LOG_NOTICE));

    log_info("not shown %d", 1);
    log_debug("not shown %d", 2);
    log_warning("disk %s", "full");
    log_error("cannot bind %d", 25);
    assert_int_equal(captured_count, 2);
    assert_string_equal(captured[0], "warning: disk full");
    assert_int_equal(captured_level[0], MXW_LOG_WARNING);
    assert_string_equal(captured[1], "error: cannot bind 25");

    log_set_level(MXW_LOG_DEBUG);
    log_notice("started");
    log_debug("detail");
    assert_int_equal(captured_count, 4);
    assert_string_equal(captured[2], "started");
    assert_string_equal(captured[3], "debug: detail");
}

static void
control_characters_replaced(void **state)
{
    (void)state;
    log_info("user said %s", "hi\nwarning: forged\x1b[2J");
    assert_int_equal(captured_count, 1);
    assert_string_equal(captured[0], "user said hi?warning: forged?[2J");
}

static void
long_message_truncated(void **state)
{
    char big[LOG_LINE_MAX * 2];

    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_warning("%s", big);
    assert_int_equal(captured_count, 1);
    assert_int_equal(strlen(captured[0]), LOG_LINE_MAX - 1);
    assert_memory_equal(captured[0], "warning: aaa", 12);
}

static void
line_starts_with_noqueue(void **state)
{
    struct log_line line;

    (void)state;
    log_line_init(&line, NULL);
    log_line_add(&line, "action", "accept");
    assert_string_equal(log_line_text(&line), "NOQUEUE: action=accept");

    log_line_init(&line, "");
    assert_string_equal(log_line_text(&line), "NOQUEUE:");

    log_line_init(&line, "4ABCD1234F");
    log_line_add(&line, "action", "accept");
    assert_string_equal(log_line_text(&line), "4ABCD1234F: action=accept");
}

static void
line_keeps_field_order(void **state)
{
    struct log_line line;

    (void)state;
    log_line_init(&line, "Q1");
    log_line_add_addr(&line, "to", "user@example.org");
    log_line_add(&line, "domain", "example.org");
    log_line_add(&line, "verdict", "mx");
    log_line_add_int(&line, "rtt_ms", 12);
    log_line_addf(&line, "server", "%s:%d", "127.0.0.1", 53);
    log_line_add(&line, "action", "accept");
    assert_string_equal(log_line_text(&line),
                        "Q1: to=<user@example.org> domain=example.org "
                        "verdict=mx rtt_ms=12 server=127.0.0.1:53 "
                        "action=accept");
}

static void
line_quotes_and_escapes(void **state)
{
    struct log_line line;

    (void)state;
    log_line_init(&line, NULL);
    log_line_add(&line, "reply", "451 4.4.3 try again");
    log_line_add(&line, "empty", "");
    log_line_add(&line, "q", "say \"hi\" \\ bye");
    log_line_add(&line, "utf8", "caf\xc3\xa9");
    log_line_add(&line, "nl", "a\nb");
    assert_string_equal(log_line_text(&line),
                        "NOQUEUE: reply=\"451 4.4.3 try again\" empty=\"\" "
                        "q=\"say \\\"hi\\\" \\\\ bye\" "
                        "utf8=\"caf\\xc3\\xa9\" nl=\"a\\x0ab\"");
}

static void
line_escapes_addresses(void **state)
{
    struct log_line line;

    (void)state;
    log_line_init(&line, NULL);
    log_line_add_addr(&line, "from", "");
    log_line_add_addr(&line, "to", "\"a b\"@x.org");
    log_line_add_addr(&line, "rcpt", "x>y@z");
    log_line_add_addr(&line, "bs", "a\\b@c");
    log_line_add_addr(&line, "mta", "<u@example.org>");
    log_line_add_addr(&line, "null", "<>");
    assert_string_equal(log_line_text(&line),
                        "NOQUEUE: from=<> to=<\"a\\x20b\"@x.org> "
                        "rcpt=<x\\x3ey@z> bs=<a\\x5cb@c> "
                        "mta=<u@example.org> null=<>");
}

static void
line_escapes_queue_id(void **state)
{
    struct log_line line;

    (void)state;
    log_line_init(&line, "bad id");
    assert_string_equal(log_line_text(&line), "\"bad id\":");
}

static void
line_truncates_whole_fields(void **state)
{
    struct log_line line;
    char value[300];
    const char *text;
    size_t added = 0;

    (void)state;
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    log_line_init(&line, "Q2");
    for (int i = 0; i < 20; i++) {
        log_line_add(&line, "field", value);
        added++;
    }
    text = log_line_text(&line);
    assert_true(strlen(text) < LOG_LINE_MAX);
    assert_non_null(strstr(text, " truncated=yes"));
    /* The mark ends the line and no field is cut in the middle. */
    assert_string_equal(text + strlen(text) - 14, " truncated=yes");
    assert_memory_equal(text + strlen(text) - 14 - 4, "vvvv", 4);
    /* Asking again does not add the mark twice. */
    assert_ptr_equal(log_line_text(&line), text);
    assert_int_equal(strlen(log_line_text(&line)), strlen(text));
    assert_int_equal(added, 20);
}

static void
repeat_counts_then_summarizes(void **state)
{
    static struct log_repeat r;

    (void)state;
    log_repeat_init(&r, MXW_LOG_WARNING, 60000);
    log_repeat(&r, "resolver %s timed out", "127.0.0.1");
    assert_int_equal(captured_count, 1);
    assert_string_equal(captured[0], "warning: resolver 127.0.0.1 timed out");

    for (int i = 0; i < 5; i++) {
        fake_now_ms += 1000;
        log_repeat(&r, "resolver %s timed out", "127.0.0.1");
    }
    assert_int_equal(captured_count, 1);

    /* Quiet for less than the interval: nothing yet. */
    fake_now_ms += 30000;
    log_repeat_tick(&r);
    assert_int_equal(captured_count, 1);

    /* Quiet for the whole interval: the repeat has stopped. */
    fake_now_ms += 30000;
    log_repeat_tick(&r);
    assert_int_equal(captured_count, 2);
    assert_string_equal(captured[1],
                        "warning: last message repeated 5 more times "
                        "before it stopped: resolver 127.0.0.1 timed out");

    /* The next occurrence is a new start and is written in full. */
    log_repeat_tick(&r);
    log_repeat(&r, "resolver %s timed out", "127.0.0.1");
    assert_int_equal(captured_count, 3);
    assert_string_equal(captured[2], "warning: resolver 127.0.0.1 timed out");
    log_repeat_destroy(&r);
    assert_int_equal(captured_count, 3);
}

static void
repeat_summarizes_each_interval(void **state)
{
    static struct log_repeat r;

    (void)state;
    log_repeat_init(&r, MXW_LOG_WARNING, 10000);
    log_repeat(&r, "cache full");
    /* 30 repeats one second apart: a summary at 10 s, 20 s and 30 s. */
    for (int i = 0; i < 30; i++) {
        fake_now_ms += 1000;
        log_repeat(&r, "cache full");
    }
    assert_int_equal(captured_count, 4);
    assert_string_equal(captured[1], "warning: last message repeated 10 "
                                     "times in 10 s: cache full");
    assert_string_equal(captured[2], "warning: last message repeated 10 "
                                     "times in 10 s: cache full");
    assert_string_equal(captured[3], "warning: last message repeated 10 "
                                     "times in 10 s: cache full");
    log_repeat_destroy(&r);
    assert_int_equal(captured_count, 4);
}

static void
repeat_tick_summarizes_long_runs(void **state)
{
    static struct log_repeat r;

    (void)state;
    log_repeat_init(&r, MXW_LOG_WARNING, 10000);
    log_repeat(&r, "limit reached");
    fake_now_ms += 4000;
    log_repeat(&r, "limit reached");
    fake_now_ms += 4000;
    log_repeat(&r, "limit reached");
    /* Still repeating (seen 3 s ago) but 11 s since the last line. */
    fake_now_ms += 3000;
    log_tick();
    assert_int_equal(captured_count, 2);
    assert_string_equal(captured[1], "warning: last message repeated 2 "
                                     "times in 11 s: limit reached");
    log_repeat_destroy(&r);
}

static void
repeat_new_message_ends_old(void **state)
{
    static struct log_repeat r;

    (void)state;
    log_repeat_init(&r, MXW_LOG_NOTICE, 60000);
    log_repeat(&r, "state A");
    log_repeat(&r, "state A");
    log_repeat(&r, "state A");
    log_repeat(&r, "state B");
    log_repeat(&r, "state A");
    assert_int_equal(captured_count, 4);
    assert_string_equal(captured[0], "state A");
    assert_string_equal(captured[1], "last message repeated 2 more times "
                                     "before it stopped: state A");
    assert_string_equal(captured[2], "state B");
    assert_string_equal(captured[3], "state A");
    log_repeat_destroy(&r);
    assert_int_equal(captured_count, 4);
}

static void
repeat_destroy_flushes_count(void **state)
{
    static struct log_repeat r;

    (void)state;
    log_repeat_init(&r, MXW_LOG_WARNING, 60000);
    log_repeat(&r, "x");
    log_repeat(&r, "x");
    log_repeat_destroy(&r);
    assert_int_equal(captured_count, 2);
    assert_string_equal(captured[1], "warning: last message repeated 1 more "
                                     "time before it stopped: x");
}

static void
repeat_respects_level(void **state)
{
    static struct log_repeat r;

    (void)state;
    log_set_level(MXW_LOG_NOTICE);
    log_repeat_init(&r, MXW_LOG_DEBUG, 1000);
    log_repeat(&r, "hidden");
    log_repeat(&r, "hidden");
    fake_now_ms += 5000;
    log_tick();
    log_repeat_destroy(&r);
    assert_int_equal(captured_count, 0);
    log_set_level(MXW_LOG_DEBUG);
}

#define THREADS 8
#define PER_THREAD 2000

static void *
repeat_worker(void *arg)
{
    struct log_repeat *r = arg;

    for (int i = 0; i < PER_THREAD; i++)
        log_repeat(r, "upstream %s unreachable", "192.0.2.1");
    return NULL;
}

/* Counts from concurrent callers add up exactly. */
static void
repeat_is_thread_safe(void **state)
{
    static struct log_repeat r;
    pthread_t threads[THREADS];
    unsigned long total;

    (void)state;
    log_repeat_init(&r, MXW_LOG_WARNING, 60000);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, repeat_worker, &r),
                         0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    log_repeat_destroy(&r);

    assert_int_equal(captured_count, 2);
    assert_string_equal(captured[0], "warning: upstream 192.0.2.1 "
                                     "unreachable");
    assert_int_equal(sscanf(captured[1],
                            "warning: last message repeated %lu more times",
                            &total),
                     1);
    assert_int_equal(total, THREADS * PER_THREAD - 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(level_filter_drops_lower_levels, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(control_characters_replaced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(long_message_truncated, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(line_starts_with_noqueue, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(line_keeps_field_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(line_quotes_and_escapes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(line_escapes_addresses, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(line_escapes_queue_id, setup, teardown),
        cmocka_unit_test_setup_teardown(line_truncates_whole_fields, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(repeat_counts_then_summarizes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(repeat_summarizes_each_interval, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(repeat_tick_summarizes_long_runs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(repeat_new_message_ends_old, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(repeat_destroy_flushes_count, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(repeat_respects_level, setup, teardown),
        cmocka_unit_test_setup_teardown(repeat_is_thread_safe, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
