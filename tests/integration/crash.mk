# tests/integration/crash.mk - the crash test: hild killed with SIGKILL
# mid-stream loses nothing it acknowledged.  Included from
# tests/Makefile.inc; crash-test.sh is a TAP test run from the build
# directory.

check_PROGRAMS += tests/integration/crash-writer
tests_integration_crash_writer_SOURCES = tests/integration/crash-writer.c
tests_integration_crash_writer_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) \
	$(JANSSON_CFLAGS)
tests_integration_crash_writer_LDADD = $(CURL_LIBS) $(JANSSON_LIBS)

TESTS += tests/integration/crash-test.sh
EXTRA_DIST += tests/integration/crash-test.sh
