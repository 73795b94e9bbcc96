# tests/faultdns: the fault-injecting DNS server and its tests.
FAULTDNS_TESTS = \
	tests/faultdns/basic.test \
	tests/faultdns/zones.test \
	tests/faultdns/rules.test \
	tests/faultdns/size.test \
	tests/faultdns/edns.test \
	tests/faultdns/rcode.test \
	tests/faultdns/time.test \
	tests/faultdns/tcp.test \
	tests/faultdns/lies.test \
	tests/faultdns/encoding.test \
	tests/faultdns/valgrind.test

FAULTDNS_ZONES = \
	tests/faultdns/zones/example.zone \
	tests/faultdns/zones/hotmail.com.zone \
	tests/faultdns/zones/outlook.com.zone \
	tests/faultdns/zones/test.zone

if HAVE_LDNS
noinst_PROGRAMS += tests/faultdns/faultdns
tests_faultdns_faultdns_SOURCES = \
	tests/faultdns/faultdns.c \
	tests/faultdns/answer.c tests/faultdns/answer.h \
	tests/faultdns/qlog.c tests/faultdns/qlog.h \
	tests/faultdns/rules.c tests/faultdns/rules.h \
	tests/faultdns/server.c tests/faultdns/server.h \
	tests/faultdns/wire.c tests/faultdns/wire.h \
	tests/faultdns/zone.c tests/faultdns/zone.h
tests_faultdns_faultdns_CFLAGS = $(AM_CFLAGS) $(LDNS_CFLAGS)
tests_faultdns_faultdns_LDADD = $(LDNS_LIBS)
TESTS += $(FAULTDNS_TESTS)
endif

EXTRA_DIST += tests/faultdns/README.md tests/faultdns/common.sh \
	tests/lib/faultdns.sh \
	$(FAULTDNS_TESTS) $(FAULTDNS_ZONES)
