# The ovs switch driver against a real Open vSwitch (userspace datapath,
# network namespaces; needs root and `tests/deps.sh test`, and fails
# loudly without them): the driver through hild's plugin host, then
# isolation proven with packets through hild's API, then random API
# operations checked with packets (HIL_OVS_RANDOM_OPS, default 300) and
# hild killed with batches in flight (HIL_OVS_KILL_ROUNDS, default 10).
check_PROGRAMS += tests/integration/ovs-driver-test
tests_integration_ovs_driver_test_SOURCES = \
	tests/integration/ovs-driver-test.c tests/tap.h
tests_integration_ovs_driver_test_CPPFLAGS = $(hild_libhild_a_CPPFLAGS) \
	-I$(top_srcdir)/tests
tests_integration_ovs_driver_test_LDADD = $(HILD_LIBS)

TESTS += \
	tests/integration/ovs-driver.sh \
	tests/integration/ovs-isolation.sh \
	tests/integration/ovs-random.sh

EXTRA_DIST += \
	tests/integration/lib-ovs.sh \
	tests/integration/lib-ovs-hil.sh \
	tests/integration/ovs-driver.sh \
	tests/integration/ovs-isolation.sh \
	tests/integration/ovs-random.sh \
	tests/bench/ovs-bench.sh
