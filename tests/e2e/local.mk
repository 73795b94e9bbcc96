# tests/e2e: end-to-end tests against a private Postfix on loopback.  The
# tests need root (they start Postfix and smtp-sink) and print a TAP skip
# otherwise.  tests/lib holds the shell helpers they source.

E2E_HARNESS_TESTS = \
	tests/e2e/harness_postfix.test \
	tests/e2e/harness_two_instances.test \
	tests/e2e/harness_milter.test \
	tests/e2e/harness_netns.test \
	tests/e2e/harness_netns_faultdns.test

TESTS += $(E2E_HARNESS_TESTS)
EXTRA_DIST += $(E2E_HARNESS_TESTS) \
	tests/e2e/zonedns.py \
	tests/lib/tap.sh \
	tests/lib/postfix.sh \
	tests/lib/mail.sh \
	tests/lib/netns.sh

# Run only the end-to-end tests: make check-e2e
check-e2e:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(E2E_HARNESS_TESTS)'
.PHONY: check-e2e
