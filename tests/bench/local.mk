# tests/bench: benchmarks.  Each part keeps its rules in its own section,
# and hangs its work on "make bench" with its own "bench: bench-NAME" line
# (make merges prerequisite lines of one target).

# --- nullmilter: the do-nothing libmilter filter --------------------------
# The baseline of the Postfix end-to-end benchmark, and the filter the
# tests/e2e harness tests drive.  A check program, so "make check" builds it
# before those tests run.
check_PROGRAMS += tests/bench/nullmilter
tests_bench_nullmilter_SOURCES = tests/bench/nullmilter.c
tests_bench_nullmilter_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
tests_bench_nullmilter_LDADD = $(MILTER_LIBS) $(PTHREAD_LIBS)

.PHONY: bench bench-nullmilter
bench: bench-nullmilter
bench-nullmilter: tests/bench/nullmilter
# --- end nullmilter -------------------------------------------------------
