# Decision policy: verdict plus health to accept, tempfail or reject.
noinst_LIBRARIES += milter/libpolicy.a
milter_libpolicy_a_SOURCES = milter/policy.c milter/policy.h
