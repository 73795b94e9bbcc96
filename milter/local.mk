# milter: the daemon. The configuration, logging and process plumbing
# live in a library so that unit tests link the same objects.
noinst_LIBRARIES += milter/libmxwarden.a
milter_libmxwarden_a_SOURCES = \
	milter/mxw_config.c milter/mxw_config.h \
	milter/mxw_config_table.c \
	milter/log.c milter/log.h \
	milter/daemon.c milter/daemon.h
milter_libmxwarden_a_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) \
	$(MILTER_CFLAGS)

sbin_PROGRAMS += milter/mxwarden
milter_mxwarden_SOURCES = milter/main.c milter/filter.c milter/filter.h
milter_mxwarden_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) $(MILTER_CFLAGS)
milter_mxwarden_LDADD = milter/libmxwarden.a $(LIBCONFIG_LIBS) \
	$(MILTER_LIBS) $(PTHREAD_LIBS)
