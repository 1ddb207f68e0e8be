#!/bin/sh
# run-fuzz.sh [SECONDS] - build the request fuzzer (clang, libFuzzer,
# AddressSanitizer, UBSan) in a build directory of its own and run it for
# SECONDS (default 60) over the seed corpus.  SECONDS = 0 replays every
# seed once and stops (a quick regression run).
#
# Exits 0 when nothing was found and non-zero on a finding (crash,
# sanitizer report, leak, timeout, or a reply that breaks the API's
# promises); the input that triggered it is kept under
# <build>/tests/fuzz/findings/ and can be replayed with
#   HIL_FUZZ_PLUGIN_DIR=<build>/tests/fuzz/plugins \
#   <build>/tests/fuzz/fuzz-request <file>
#
# Environment:
#   HIL_FUZZ_BUILD_DIR  build directory (default ${TMPDIR:-/tmp}/hil-fuzz-build)
#   HIL_FUZZ_JOBS   parallel fuzzing processes (default 1)
#   HIL_FUZZ_ARGS   more libFuzzer options, e.g. "-only_ascii=1"
set -u

secs=${1:-60}
jobs=${HIL_FUZZ_JOBS:-1}
case $secs$jobs in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS]" >&2
	exit 2
	;;
esac

src=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
build=${HIL_FUZZ_BUILD_DIR:-${TMPDIR:-/tmp}/hil-fuzz-build}
fz=$build/tests/fuzz

die() {
	echo "run-fuzz: $*" >&2
	exit 2
}

command -v clang >/dev/null 2>&1 || die "clang is needed (libFuzzer)"

if [ ! -x "$src/configure" ]; then
	(cd "$src" && ./autogen.sh) || die "autogen.sh failed"
fi
mkdir -p "$build" || die "cannot create '$build'"
if [ ! -f "$build/Makefile" ]; then
	(cd "$build" && "$src/configure" CC=clang \
		CFLAGS="-g -O1 -fsanitize=fuzzer-no-link" \
		--enable-fuzz --enable-sanitizers >configure.out 2>&1) ||
		{
			tail -20 "$build/configure.out" >&2
			die "configure failed (log: $build/config.log)"
		}
fi
make -C "$build" -j2 tests/fuzz/fuzz-request >"$build/make-fuzz.out" 2>&1 ||
	{
		tail -40 "$build/make-fuzz.out" >&2
		die "build failed"
	}

# The mock plugins, so that nodes and switches can be registered.  clang
# links no sanitizer runtime into a shared object (the fuzzer provides it
# at load time), so they are linked here without -Wl,--no-undefined.
# shellcheck disable=SC2016 # make expands these
plugin_ldflags='-module -avoid-version -shared -export-symbols-regex ^hil_plugin_entry$$ $(SAN_CFLAGS)'
# A plugin directory laid out as hild's (<dir>/<kind>/<name>.so), holding
# copies owned by us and not writable by others, as the loader demands.
rm -rf "$fz/plugins"
for kind in obm switch; do
	la=driver-plugins/$kind/mock/mock.la
	so=$build/driver-plugins/$kind/mock/.libs/mock.so
	if make -C "$build" "$la" PLUGIN_LDFLAGS="$plugin_ldflags" \
		>>"$build/make-fuzz.out" 2>&1 &&
		[ -f "$so" ]; then
		mkdir -p "$fz/plugins/$kind"
		cp "$so" "$fz/plugins/$kind/mock.so"
		chmod 0755 "$fz/plugins" "$fz/plugins/$kind" \
			"$fz/plugins/$kind/mock.so"
	else
		echo "run-fuzz: no $kind mock plugin built;" \
			"$kind calls stop at validation" >&2
	fi
done
HIL_FUZZ_PLUGIN_DIR=$fz/plugins
export HIL_FUZZ_PLUGIN_DIR

ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS UBSAN_OPTIONS

seeds=$src/tests/fuzz/corpus
mkdir -p "$fz/findings" || die "cannot create '$fz/findings'"

if [ "$secs" -eq 0 ]; then
	# shellcheck disable=SC2086
	"$fz/fuzz-request" -artifact_prefix="$fz/findings/" \
		${HIL_FUZZ_ARGS:-} "$seeds"/* >"$fz/replay.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || tail -60 "$fz/replay.out" >&2
	echo "run-fuzz: replayed $(find "$seeds" -type f | wc -l) seeds: exit $rc"
	exit $rc
fi

# New inputs go to a working corpus in the build directory; the seeds in
# the source tree are only read.
mkdir -p "$fz/corpus" || die "cannot create '$fz/corpus'"
par=
[ "$jobs" -gt 1 ] && par="-jobs=$jobs -workers=$jobs"
cd "$fz" || exit 2 # -jobs writes fuzz-<n>.log here
# shellcheck disable=SC2086
"$fz/fuzz-request" \
	-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-max_len=8192 -dict="$src/tests/fuzz/request.dict" \
	-artifact_prefix="$fz/findings/" -print_final_stats=1 \
	$par ${HIL_FUZZ_ARGS:-} \
	"$fz/corpus" "$seeds" 2>"$fz/fuzz.out"
rc=$?
tail -25 "$fz/fuzz.out"
if [ $rc -ne 0 ]; then
	echo "run-fuzz: finding (exit $rc); inputs in $fz/findings/:" >&2
	ls -l "$fz/findings" >&2
fi
exit $rc
