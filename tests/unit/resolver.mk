# tests/unit: unit tests of the resolver engine (cmocka).
if HAVE_CMOCKA
RESOLVER_UNIT_TESTS = \
	tests/unit/test_resolver_dnsmsg \
	tests/unit/test_resolver_ladder \
	tests/unit/test_route_classify \
	tests/unit/test_cache \
	tests/unit/test_resolver_engine \
	tests/unit/test_resolver_admission
check_PROGRAMS += $(RESOLVER_UNIT_TESTS)
TESTS += $(RESOLVER_UNIT_TESTS)

RESOLVER_UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(CARES_CFLAGS) \
	$(LIBIDN2_CFLAGS)
RESOLVER_UNIT_LDADD = $(RESOLVER_LIBS) $(CMOCKA_LIBS)

tests_unit_test_resolver_dnsmsg_SOURCES = tests/unit/test_resolver_dnsmsg.c \
	tests/unit/test_resolver_wire.h
tests_unit_test_resolver_dnsmsg_CFLAGS = $(RESOLVER_UNIT_CFLAGS)
tests_unit_test_resolver_dnsmsg_LDADD = $(RESOLVER_UNIT_LDADD)

tests_unit_test_resolver_ladder_SOURCES = tests/unit/test_resolver_ladder.c
tests_unit_test_resolver_ladder_CFLAGS = $(RESOLVER_UNIT_CFLAGS)
tests_unit_test_resolver_ladder_LDADD = $(RESOLVER_UNIT_LDADD)

tests_unit_test_route_classify_SOURCES = tests/unit/test_route_classify.c \
	tests/unit/test_resolver_wire.h
tests_unit_test_route_classify_CFLAGS = $(RESOLVER_UNIT_CFLAGS)
tests_unit_test_route_classify_LDADD = $(RESOLVER_UNIT_LDADD)

tests_unit_test_cache_SOURCES = tests/unit/test_cache.c
tests_unit_test_cache_CFLAGS = $(RESOLVER_UNIT_CFLAGS)
tests_unit_test_cache_LDADD = $(RESOLVER_UNIT_LDADD)

tests_unit_test_resolver_engine_SOURCES = tests/unit/test_resolver_engine.c \
	tests/unit/test_resolver_wire.h
tests_unit_test_resolver_engine_CFLAGS = $(RESOLVER_UNIT_CFLAGS)
tests_unit_test_resolver_engine_LDADD = $(RESOLVER_UNIT_LDADD)

tests_unit_test_resolver_admission_SOURCES = \
	tests/unit/test_resolver_admission.c
tests_unit_test_resolver_admission_CFLAGS = $(RESOLVER_UNIT_CFLAGS)
tests_unit_test_resolver_admission_LDADD = $(RESOLVER_UNIT_LDADD)
endif
