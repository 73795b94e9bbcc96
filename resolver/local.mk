# resolver: the DNS engine as a static library, front-end agnostic.
noinst_LIBRARIES += resolver/libresolver.a
resolver_libresolver_a_SOURCES = \
	resolver/resolver.h resolver/route.h \
	resolver/engine.c resolver/engine_internal.h \
	resolver/admission.c resolver/admission.h \
	resolver/lookup.c \
	resolver/hostcache.c resolver/hostcache.h \
	resolver/query.c \
	resolver/ladder.c resolver/ladder.h \
	resolver/classify.c resolver/classify.h \
	resolver/cache.c resolver/cache.h \
	resolver/name.c resolver/name.h \
	resolver/dnsmsg.c resolver/dnsmsg.h \
	resolver/result.c resolver/result.h
resolver_libresolver_a_CFLAGS = $(AM_CFLAGS) $(CARES_CFLAGS) $(LIBIDN2_CFLAGS)

# Link line for programs that use the resolver.
RESOLVER_LIBS = resolver/libresolver.a $(CARES_LIBS) $(LIBIDN2_LIBS) $(PTHREAD_LIBS)


include milter/probe.mk
include tests/bench/resolver.mk
