# tests/decision: health, confirmation and the decision policy against
# the fault-injecting DNS server, through mxwarden-probe and a driver
# that keeps one decision service alive across fault changes.
DECISION_SHELL_TESTS = \
	tests/decision/stages.test \
	tests/decision/single_process.test \
	tests/decision/unbound.test

EXTRA_DIST += $(DECISION_SHELL_TESTS) tests/decision/common.sh

if HAVE_LDNS
check_PROGRAMS += tests/decision/decision-driver
TESTS += $(DECISION_SHELL_TESTS)
endif
tests_decision_decision_driver_SOURCES = tests/decision/driver.c
tests_decision_decision_driver_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS)
tests_decision_decision_driver_LDADD = milter/libmxwarden.a \
	$(RESOLVER_LIBS) $(LIBCONFIG_LIBS)
