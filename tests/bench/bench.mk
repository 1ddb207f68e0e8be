# tests/bench/bench.mk - the load generator behind tests/bench/run-bench.sh.
# Built with the check programs, never run by make check: benchmarks print
# figures and are run by hand (see tests/bench/README.md).  Included from
# tests/Makefile.inc.

check_PROGRAMS += tests/bench/hilbench
tests_bench_hilbench_SOURCES = tests/bench/hilbench.c
tests_bench_hilbench_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JANSSON_CFLAGS)
tests_bench_hilbench_LDADD = $(CURL_LIBS) $(JANSSON_LIBS) $(PTHREAD_LIBS) -lm

EXTRA_DIST += tests/bench/run-bench.sh tests/bench/README.md
