#!/bin/bash
# ovs-driver.sh - the ovs switch driver against a real Open vSwitch (TAP).
#
# Starts a private ovsdb-server (unix socket and a loopback TCP port) and
# ovs-vswitchd (userspace datapath, own network namespace), makes bridge
# sw0 with parked ports p1..p4 and bridge sw1 with port q1 (ovs-vsctl, for
# the setup only), then runs ovs-driver-test, which loads the built plugin
# through hild's plugin host and drives it.  Never skips: a missing
# package or a daemon that does not start is a failure.
#
# Environment: HIL_BUILDDIR (build tree), HIL_SRCDIR, HIL_TEST_KEEP=1.
set -u
HIL_SRCDIR=${HIL_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
HIL_BUILDDIR=${HIL_BUILDDIR:-.}
. "$HIL_SRCDIR/tests/integration/lib-ovs.sh"

PROG=$HIL_BUILDDIR/tests/integration/ovs-driver-test
SO=$HIL_BUILDDIR/driver-plugins/switch/ovs/.libs/ovs.so
W=

bail() {
	echo "Bail out! $*"
	exit 1
}

cleanup() {
	ovs_stop
	if [ -n "$W" ] && [ -d "$W" ]; then
		if [ "${HIL_TEST_KEEP:-}" = 1 ]; then
			echo "# kept $W" >&2
		else
			rm -rf "$W"
		fi
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$PROG" ] || bail "no ovs-driver-test at '$PROG' (build first)"
[ -f "$SO" ] || bail "no ovs plugin at '$SO' (build first)"
W=$(mktemp -d "${TMPDIR:-/tmp}/hil-ovsdrv.XXXXXX") || bail "mktemp failed"
chmod 755 "$W"
mkdir -m 755 "$W/plugins"
install -m 755 "$SO" "$W/plugins/ovs.so"

ovs_start "$W" tcp || { ovs_log_tail; bail "Open vSwitch did not start"; }
{
	ovs_bridge sw0 &&
		ovs_port sw0 p1 && ovs_port sw0 p2 && ovs_port sw0 p3 &&
		ovs_port sw0 p4 &&
		ovs_bridge sw1 && ovs_port sw1 q1
} >/dev/null || { ovs_log_tail; bail "could not make the bridges"; }

"$PROG" "$W/plugins" "$OVS_W" "$OVS_TCP_DB"
rc=$?
[ $rc = 0 ] || ovs_log_tail 30
exit $rc
