# tests/frontends: the Postfix policy service (check_policy_service) and
# the delivery-status socketmap (smtp_delivery_status_filter), driven by a
# real Postfix, by a small protocol client, and inside a private network
# namespace for the delivery-time guard.  The tests need root and print a
# TAP skip otherwise.
FRONTENDS_E2E_TESTS = \
	tests/frontends/policy_routes.test \
	tests/frontends/policy_transaction.test \
	tests/frontends/policy_ladder.test \
	tests/frontends/policy_outage.test \
	tests/frontends/policy_servfail.test \
	tests/frontends/policy_protected.test \
	tests/frontends/policy_monitor.test \
	tests/frontends/policy_protocol.test \
	tests/frontends/policy_concurrency.test \
	tests/frontends/socketmap_protocol.test \
	tests/frontends/guard_netns.test \
	tests/frontends/confirm_earlier_contradicted.test \
	tests/frontends/confirm_earlier_expiry.test

EXTRA_DIST += $(FRONTENDS_E2E_TESTS) tests/frontends/common.sh \
	tests/frontends/client.py

if HAVE_LDNS
check_PROGRAMS += tests/frontends/frontends-driver
TESTS += $(FRONTENDS_E2E_TESTS)
endif
tests_frontends_frontends_driver_SOURCES = tests/frontends/driver.c
tests_frontends_frontends_driver_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS)
tests_frontends_frontends_driver_LDADD = milter/libmxwarden.a \
	$(RESOLVER_LIBS) $(LIBCONFIG_LIBS) $(PTHREAD_LIBS)

# Run only these tests: make check-frontends
check-frontends:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(FRONTENDS_E2E_TESTS)'
.PHONY: check-frontends
