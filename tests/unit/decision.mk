# Unit tests of resolver health, the decision policy and the policy and
# socketmap front ends.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_health tests/unit/test_policy \
	tests/unit/test_frontends
TESTS += tests/unit/test_health tests/unit/test_policy \
	tests/unit/test_frontends

tests_unit_test_health_SOURCES = tests/unit/test_health.c
tests_unit_test_health_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_health_LDADD = $(RESOLVER_LIBS) $(CMOCKA_LIBS)

tests_unit_test_policy_SOURCES = tests/unit/test_policy.c
tests_unit_test_policy_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_policy_LDADD = milter/libmxwarden.a $(CMOCKA_LIBS)

tests_unit_test_frontends_SOURCES = tests/unit/test_frontends.c
tests_unit_test_frontends_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_frontends_LDADD = milter/libmxwarden.a $(RESOLVER_LIBS) \
	$(LIBCONFIG_LIBS) $(CMOCKA_LIBS)
endif
