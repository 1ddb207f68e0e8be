#!/bin/bash
# A plugin that calls into hild must fail to link: plugins link with
# -no-undefined and hild exports nothing for them.  Builds
# tests/plugins/bad/needs_hild.la (kept out of every normal build) with the
# plugin flags and expects the link to fail on log_msg, while the same code
# linked without -no-undefined (undefined_symbol.la) does link: the failure
# comes from the flags, not from the code.
set -u
builddir=${HIL_BUILDDIR:-$PWD}
echo "1..3"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A make of its own, not a part of the make running this test.
if env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -C "$builddir" tests/plugins/bad/needs_hild.la >"$log" 2>&1; then
	echo "not ok 1 - a plugin calling into hild fails to link"
else
	echo "ok 1 - a plugin calling into hild fails to link"
fi
if grep -q "undefined reference to .log_msg'" "$log"; then
	echo "ok 2 - because log_msg is undefined"
else
	echo "not ok 2 - because log_msg is undefined"
	sed 's/^/# /' "$log"
fi
if [ -f "$builddir/tests/plugins/bad/.libs/undefined_symbol.so" ]; then
	echo "ok 3 - the same code links without -no-undefined"
else
	echo "not ok 3 - the same code links without -no-undefined"
fi
