#!/bin/bash
# ipmi-driver.sh - the ipmi OBM driver against simulated BMCs (OpenIPMI's
# ipmi_sim on loopback), through hild's plugin host: power, boot device,
# console, failures, session reuse, secrets.  TAP; skipped without
# ipmi_sim and socat (tests/deps.sh test installs them).
set -u
B=${HIL_BUILDDIR:-$(pwd)}
S=${HIL_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$S/tests/integration/ipmi-sim.sh"

if ! ipmisim_have; then
	echo "1..0 # SKIP needs ipmi_sim (openipmi), socat and ss"
	exit 0
fi
trap ipmisim_stop EXIT
# bmc1..bmc3 at the standard port, "alt" at another one
if ! ipmisim_start 4; then
	echo "Bail out! could not start the simulated BMCs"
	exit 1
fi
if ! dir=$(ipmisim_plugin_dir "$B"); then
	echo "Bail out! the ipmi plugin is not built"
	exit 1
fi
"$B/tests/integration/ipmi-driver-test" check "$IPMISIM_DIR" "$dir" \
	"$IPMISIM_DEAD"
rc=$?
if [ "$rc" != 0 ]; then
	echo "# the end of hild's log:"
	tail -40 "$IPMISIM_DIR/hild.log" | sed 's/^/# /'
fi
exit "$rc"
