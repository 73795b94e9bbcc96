# Resolver health (outcome windows, state machine) and canary rounds,
# part of the resolver library.
resolver_libresolver_a_SOURCES += \
	resolver/health.c resolver/health.h \
	resolver/canary.c resolver/canary.h
