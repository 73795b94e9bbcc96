# Test suite: each part keeps its own fragment.
include tests/unit/local.mk
include tests/faultdns/local.mk
include tests/e2e/local.mk
include tests/bench/local.mk
include tests/resolver/local.mk
include tests/unit/resolver.mk
include tests/decision/local.mk
include tests/frontends/local.mk
