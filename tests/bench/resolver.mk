# tests/bench: the resolver benchmark ("make bench-resolver", part of
# "make bench").  Included from resolver/local.mk.
EXTRA_PROGRAMS += tests/bench/resolver_bench
CLEANFILES += tests/bench/resolver_bench
tests_bench_resolver_bench_SOURCES = tests/bench/resolver_bench.c
tests_bench_resolver_bench_CFLAGS = $(AM_CFLAGS) $(CARES_CFLAGS)
tests_bench_resolver_bench_LDADD = $(RESOLVER_LIBS)
EXTRA_DIST += tests/bench/resolver_bench.sh

.PHONY: bench bench-resolver
bench: bench-resolver
bench-resolver: tests/bench/resolver_bench tests/faultdns/faultdns
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(SHELL) $(top_srcdir)/tests/bench/resolver_bench.sh
