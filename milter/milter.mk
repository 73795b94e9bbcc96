# milter: the libmilter front end. Sessions, recipient rules and the
# diagnostic header live in a library so the unit tests link the same
# objects the daemon runs.
noinst_LIBRARIES += milter/libmxwmilter.a
milter_libmxwmilter_a_SOURCES = \
	milter/session.c milter/session.h \
	milter/header.c milter/header.h \
	milter/rcpt.c milter/rcpt.h
milter_libmxwmilter_a_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) \
	$(CARES_CFLAGS)

# The daemon compiles the same sources into itself, so its link order
# does not depend on where this fragment is included.
milter_mxwarden_SOURCES += \
	milter/session.c milter/session.h \
	milter/header.c milter/header.h \
	milter/rcpt.c milter/rcpt.h
