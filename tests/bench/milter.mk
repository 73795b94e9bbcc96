# tests/bench: the milter benchmarks.  miltbench times RCPT decisions over
# the milter protocol; milter_bench.sh runs it and the Postfix end-to-end
# comparison against nullmilter.  "make bench-milter" runs both and prints
# the figures that doc/benchmarks.md records.
EXTRA_PROGRAMS += tests/bench/miltbench
tests_bench_miltbench_SOURCES = tests/bench/miltbench.c
tests_bench_miltbench_CFLAGS = $(AM_CFLAGS) $(MILTER_CFLAGS)
tests_bench_miltbench_LDADD = $(PTHREAD_LIBS)
CLEANFILES += tests/bench/miltbench
EXTRA_DIST += tests/bench/milter_bench.sh

bench-local: tests/bench/miltbench

bench-milter: tests/bench/miltbench tests/bench/nullmilter milter/mxwarden
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(SHELL) $(top_srcdir)/tests/bench/milter_bench.sh
.PHONY: bench-milter
