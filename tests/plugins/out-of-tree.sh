#!/bin/bash
# An out-of-tree driver builds against the installed header and
# hil-plugin.pc alone, and hild loads it.  Installs just the header and the
# .pc file into a private DESTDIR, copies tests/plugins/out-of-tree/ (a
# vendor's tree) elsewhere, builds it with PKG_CONFIG_LIBDIR and
# PKG_CONFIG_SYSROOT_DIR pointing into that DESTDIR only, installs it the
# way its Makefile says, and loads it with load-plugin.
set -u
builddir=${HIL_BUILDDIR:-$PWD}
srcdir=${HIL_SRCDIR:-${srcdir:-.}}
echo "1..6"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
submake() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@"; }
fail() { echo "not ok $1"; shift; [ $# -gt 0 ] && sed 's/^/# /' "$@"; }

if submake -C "$builddir" install-hilincludeHEADERS install-pkgconfigDATA \
	DESTDIR="$tmp/sdk" >"$tmp/install.log" 2>&1; then
	echo "ok 1 - the header and hil-plugin.pc install"
else
	fail "1 - the header and hil-plugin.pc install" "$tmp/install.log"
fi

pc=$(find "$tmp/sdk" -name hil-plugin.pc | head -n1)
hdr=$(find "$tmp/sdk" -path '*/hil/plugin.h' | head -n1)
if [ -n "$pc" ] && [ -n "$hdr" ]; then
	echo "ok 2 - hil/plugin.h and hil-plugin.pc are installed"
else
	fail "2 - hil/plugin.h and hil-plugin.pc are installed"
	exit 0
fi

# Only the private DESTDIR is visible to pkg-config.
export PKG_CONFIG_LIBDIR=$(dirname "$pc")
export PKG_CONFIG_PATH=
export PKG_CONFIG_SYSROOT_DIR=$tmp/sdk
if pkg-config --atleast-version=1.0 hil-plugin &&
	[ "$(pkg-config --modversion hil-plugin)" = "$(sed -n 's/^#define HIL_PLUGIN_ABI_MAJOR \([0-9]*\)$/\1/p' "$hdr").$(sed -n 's/^#define HIL_PLUGIN_ABI_MINOR \([0-9]*\)$/\1/p' "$hdr")" ]; then
	echo "ok 3 - hil-plugin's version is the header's ABI version"
else
	fail "3 - hil-plugin's version is the header's ABI version"
fi

cp -r "$srcdir/tests/plugins/out-of-tree" "$tmp/vendor"
chmod -R u+w "$tmp/vendor"
if submake -C "$tmp/vendor" CC="${CC:-cc}" >"$tmp/build.log" 2>&1 &&
	grep -q -- "-I$tmp/sdk/" "$tmp/build.log" &&
	submake -C "$tmp/vendor" install DESTDIR="$tmp/root" \
		>>"$tmp/build.log" 2>&1; then
	echo "ok 4 - the vendor driver builds with pkg-config alone"
else
	fail "4 - the vendor driver builds with pkg-config alone" "$tmp/build.log"
fi

so=$(find "$tmp/root" -name vendorsw.so | head -n1)
if [ -n "$so" ] && [ "$(dirname "$so")" = "$tmp/root$(pkg-config --variable=switchplugindir hil-plugin)" ] &&
	[ "$(basename "$(dirname "$so")")" = switch ]; then
	echo "ok 5 - it installs into hil-plugin's switch plugin directory"
else
	fail "5 - it installs into hil-plugin's switch plugin directory"
	exit 0
fi

if "$builddir/tests/plugins/load-plugin" "$(dirname "$so")" vendorsw \
	switch port7 >"$tmp/load.log" 2>&1; then
	echo "ok 6 - hild loads it"
else
	fail "6 - hild loads it" "$tmp/load.log"
fi
