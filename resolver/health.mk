# Resolver health: outcome windows, canary rounds, state machine.
noinst_LIBRARIES += resolver/libhealth.a
resolver_libhealth_a_SOURCES = resolver/health.c resolver/health.h \
	resolver/canary.c resolver/canary.h
