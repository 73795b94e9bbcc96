# tests/resolver: the engine and mxwarden-probe against the fault-injecting
# DNS server (and unbound in front of it) on loopback.
RESOLVER_SHELL_TESTS = \
	tests/resolver/faults.test \
	tests/resolver/unbound.test \
	tests/resolver/valgrind.test \
	tests/resolver/deadline.test

EXTRA_DIST += $(RESOLVER_SHELL_TESTS) tests/resolver/common.sh \
	tests/resolver/zones/rt.test.zone tests/lib/unbound.sh

if HAVE_LDNS
TESTS += $(RESOLVER_SHELL_TESTS)
endif

if HAVE_LDNS
check_PROGRAMS += tests/resolver/stress
TESTS += tests/resolver/stress.test
endif
EXTRA_DIST += tests/resolver/stress.test
tests_resolver_stress_SOURCES = tests/resolver/stress.c
tests_resolver_stress_CFLAGS = $(AM_CFLAGS) $(CARES_CFLAGS)
tests_resolver_stress_LDADD = $(RESOLVER_LIBS)

# Submissions past max_inflight: flood.c driven by flood.test.
if HAVE_LDNS
check_PROGRAMS += tests/resolver/flood
TESTS += tests/resolver/flood.test
endif
EXTRA_DIST += tests/resolver/flood.test
tests_resolver_flood_SOURCES = tests/resolver/flood.c
tests_resolver_flood_CFLAGS = $(AM_CFLAGS) $(CARES_CFLAGS)
tests_resolver_flood_LDADD = $(RESOLVER_LIBS)
