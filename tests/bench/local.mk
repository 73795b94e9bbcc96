# tests/bench: benchmarks.  Each part keeps its rules in its own section.

# --- nullmilter: the do-nothing libmilter filter --------------------------
# The baseline of the Postfix end-to-end benchmark, and the filter the
# tests/e2e harness tests drive.  Built by "make check" because those tests
# use it.
check_PROGRAMS += tests/bench/nullmilter
tests_bench_nullmilter_SOURCES = tests/bench/nullmilter.c
tests_bench_nullmilter_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
tests_bench_nullmilter_LDADD = $(MILTER_LIBS) $(PTHREAD_LIBS)

# "make bench" builds the benchmark programs; the benchmark runs themselves
# hang further prerequisites on bench-local.
.PHONY: bench bench-local
bench: bench-local
bench-local: tests/bench/nullmilter
# --- end nullmilter -------------------------------------------------------
