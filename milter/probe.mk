# mxwarden-probe: the route lookup on the command line.  Included from
# resolver/local.mk, which owns the probe's build rules.
bin_PROGRAMS += milter/mxwarden-probe
milter_mxwarden_probe_SOURCES = milter/probe.c
milter_mxwarden_probe_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS)
milter_mxwarden_probe_LDADD = milter/libmxwarden.a $(RESOLVER_LIBS) \
	$(LIBCONFIG_LIBS)
dist_man_MANS += doc/mxwarden-probe.1
