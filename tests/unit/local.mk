# tests/unit: cmocka unit tests and shell tests of the daemon binary.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_config tests/unit/test_log
TESTS += tests/unit/test_config tests/unit/test_log

tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(LIBCONFIG_CFLAGS)
tests_unit_test_config_LDADD = milter/libmxwarden.a $(CMOCKA_LIBS) \
	$(LIBCONFIG_LIBS) $(PTHREAD_LIBS)

tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_log_LDADD = milter/libmxwarden.a $(CMOCKA_LIBS) \
	$(LIBCONFIG_LIBS) $(PTHREAD_LIBS)
endif

# Shell tests run the real mxwarden binary.
TESTS += tests/unit/daemon_cli.test tests/unit/docs_agree.test
EXTRA_DIST += tests/unit/daemon_cli.test tests/unit/docs_agree.test
