# tests/integration/auth.mk - the auth plugins against the real services
# (a private munged, a private Keystone), and the load generator of
# tests/bench/auth-bench.sh.  Included from tests/Makefile.inc.

TESTS += \
	tests/integration/auth-munge.sh \
	tests/integration/auth-keystone.sh

EXTRA_DIST += \
	tests/integration/lib-auth.sh \
	tests/integration/auth-munge.sh \
	tests/integration/auth-keystone.sh \
	tests/bench/auth-bench.sh

# Built with the check programs, run only by tests/bench/auth-bench.sh.
check_PROGRAMS += tests/bench/authbench
tests_bench_authbench_SOURCES = tests/bench/authbench.c
tests_bench_authbench_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(MUNGE_CFLAGS)
tests_bench_authbench_LDADD = $(CURL_LIBS) $(MUNGE_LIBS) $(PTHREAD_LIBS)
