# tests/fuzz/fuzz.mk - the libFuzzer target over the HTTP-independent
# request path (api/router.c and everything behind it).  Included from
# tests/Makefile.inc.
#
# Built only in a tree configured with CC=clang --enable-fuzz; the target
# is a check program, so `make tests/fuzz/fuzz-request` (or `make check`)
# builds it and nothing is installed.  For coverage feedback the library
# under test must be instrumented too: configure with
# CFLAGS="-g -O1 -fsanitize=fuzzer-no-link" --enable-sanitizers, as
# tests/fuzz/run-fuzz.sh does in a build directory of its own.

if ENABLE_FUZZ
check_PROGRAMS += tests/fuzz/fuzz-request
endif
tests_fuzz_fuzz_request_SOURCES = tests/fuzz/fuzz-request.c
tests_fuzz_fuzz_request_CPPFLAGS = $(hild_libhild_a_CPPFLAGS)
tests_fuzz_fuzz_request_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_request_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_request_LDADD = $(HILD_LIBS)

EXTRA_DIST += tests/fuzz/run-fuzz.sh tests/fuzz/request.dict \
	tests/fuzz/corpus
