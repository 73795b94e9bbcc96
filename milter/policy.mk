# The decision service shared by every front end (policy table, health,
# confirmation), and the policy-service and socketmap front ends, part of
# the daemon library. The daemon links the resolver for them.
milter_libmxwarden_a_SOURCES += \
	milter/policy.c milter/policy.h \
	milter/decide.c milter/decide.h \
	milter/listener.c milter/listener.h \
	milter/policyd.c milter/policyd.h \
	milter/socketmap.c milter/socketmap.h \
	milter/frontends.c milter/frontends.h
milter_mxwarden_LDADD += $(RESOLVER_LIBS)
