# hild/engine: the operation engine, built into libhild, with its tests
# and benchmark.  Included from the top Makefile.am after
# hild/Makefile.inc.
hild_libhild_a_SOURCES += hild/engine/engine.c hild/engine/engine.h \
	hild/engine/engine-int.h hild/engine/obm.c hild/engine/verify.c
EXTRA_DIST += hild/db/q_engine.def

# The engine tests: a real hild with the mock switch driver, through the
# API (tests/integration/engine-test.sh); switch-readback reads ports back
# through a driver, as hild's plugin host runs it.
check_PROGRAMS += tests/integration/switch-readback
tests_integration_switch_readback_SOURCES = \
	tests/integration/switch-readback.c
tests_integration_switch_readback_CPPFLAGS = $(hild_libhild_a_CPPFLAGS)
tests_integration_switch_readback_LDADD = $(HILD_LIBS)

TESTS += tests/integration/engine-test.sh
EXTRA_DIST += tests/integration/engine-test.sh \
	tests/integration/lib-engine.sh

# The benchmark's load generator, built with the check programs and never
# run by make check: tests/bench/engine-bench.sh runs it and prints.
check_PROGRAMS += tests/bench/engine-bench
tests_bench_engine_bench_SOURCES = tests/bench/engine-bench.c
tests_bench_engine_bench_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) \
	$(JANSSON_CFLAGS)
tests_bench_engine_bench_LDADD = $(CURL_LIBS) $(JANSSON_LIBS) \
	$(PTHREAD_LIBS)
EXTRA_DIST += tests/bench/engine-bench.sh

# The engine's statements on both backends (PostgreSQL with
# HIL_TEST_PG_URI), built with its own copy of the database layer as
# tests/unit/db-test is.
check_PROGRAMS += tests/unit/db-engine-test
TESTS += tests/unit/db-engine-test
tests_unit_db_engine_test_SOURCES = tests/unit/db-engine-test.c tests/tap.h \
	$(DB_SOURCES) hild/log.c hild/log.h
nodist_tests_unit_db_engine_test_SOURCES = hild/db/db-schema.c
tests_unit_db_engine_test_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests \
	$(SQLITE_CFLAGS) $(PQ_CFLAGS)
tests_unit_db_engine_test_LDADD = $(SQLITE_LIBS) $(PQ_LIBS) $(PTHREAD_LIBS)
