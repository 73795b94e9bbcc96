# tests/resolver: the engine and mxwarden-probe against the fault-injecting
# DNS server (and unbound in front of it) on loopback.
RESOLVER_SHELL_TESTS = \
	tests/resolver/faults.test

EXTRA_DIST += $(RESOLVER_SHELL_TESTS) tests/resolver/common.sh \
	tests/resolver/zones/rt.test.zone tests/lib/unbound.sh

if HAVE_LDNS
TESTS += $(RESOLVER_SHELL_TESTS)
endif
