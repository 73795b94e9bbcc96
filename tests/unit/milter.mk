# tests/unit: unit tests of the milter front end's sessions, recipient
# rules and diagnostic headers.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_header tests/unit/test_session
TESTS += tests/unit/test_header tests/unit/test_session

tests_unit_test_header_SOURCES = tests/unit/test_header.c
tests_unit_test_header_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_header_LDADD = milter/libmxwmilter.a $(RESOLVER_LIBS) \
	$(CMOCKA_LIBS)

tests_unit_test_session_SOURCES = tests/unit/test_session.c
tests_unit_test_session_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(LIBCONFIG_CFLAGS)
tests_unit_test_session_LDADD = milter/libmxwmilter.a milter/libmxwarden.a \
	$(RESOLVER_LIBS) $(CMOCKA_LIBS) $(LIBCONFIG_LIBS) $(PTHREAD_LIBS)
endif
