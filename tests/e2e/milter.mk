# tests/e2e: the milter scenarios, each against mxwarden behind a private
# Postfix with the fault-injecting DNS server (and unbound where a real
# resolver matters).  They need root and print a TAP skip otherwise.
MILTER_E2E_TESTS = \
	tests/e2e/milter_routes.test \
	tests/e2e/milter_transaction.test \
	tests/e2e/milter_ladder.test \
	tests/e2e/milter_outage.test \
	tests/e2e/milter_servfail.test \
	tests/e2e/milter_protected.test \
	tests/e2e/milter_deadline.test \
	tests/e2e/milter_many.test \
	tests/e2e/milter_concurrency.test \
	tests/e2e/milter_sendmail.test \
	tests/e2e/milter_monitor.test \
	tests/e2e/milter_reload.test \
	tests/e2e/milter_forged_header.test \
	tests/e2e/milter_forged_flood.test \
	tests/e2e/milter_inflight_stale.test

TESTS += $(MILTER_E2E_TESTS)
EXTRA_DIST += $(MILTER_E2E_TESTS) tests/e2e/milter_common.sh

# Run only the milter scenarios: make check-milter
check-milter:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(MILTER_E2E_TESTS)'
.PHONY: check-milter
