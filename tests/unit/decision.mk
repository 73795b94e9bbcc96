# Unit tests of resolver health and the decision policy.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_health tests/unit/test_policy
TESTS += tests/unit/test_health tests/unit/test_policy

tests_unit_test_health_SOURCES = tests/unit/test_health.c
tests_unit_test_health_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_health_LDADD = resolver/libhealth.a $(CMOCKA_LIBS) \
	$(PTHREAD_LIBS)

tests_unit_test_policy_SOURCES = tests/unit/test_policy.c
tests_unit_test_policy_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_policy_LDADD = milter/libpolicy.a $(CMOCKA_LIBS)
endif
