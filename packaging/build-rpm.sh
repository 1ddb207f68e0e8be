#!/bin/bash
# build-rpm.sh [OUTDIR]: build the hil, hil-devel and hil-slurm RPM
# packages from this source tree.  Stages a clean copy of the tree in a
# temporary directory, makes the release tarball there (autogen.sh,
# configure, make dist: the tarball carries packaging/rpm/hil.spec, which
# configure made), runs `rpmbuild -tb` on it and copies the binary .rpm
# files to OUTDIR (default: the current directory).  Needs rpmbuild and
# the build dependencies.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/packaging/lib-stage.sh"
out=$(realpath -m "${1:-.}")
version=$(configure_version "$top")

stage=$(mktemp -d "${TMPDIR:-/tmp}/hil-rpm.XXXXXX")
if [ "${HIL_KEEP_STAGE:-}" = 1 ]; then
	echo "build-rpm: staging in $stage (kept)"
else
	trap 'rm -rf "$stage"' EXIT
fi
src=$stage/src
stage_tree "$top" "$src"

(cd "$src" && ./autogen.sh)
mkdir "$src/_dist"
(cd "$src/_dist" && ../configure -q && make -s dist-gzip)
tarball=$src/_dist/hil-$version.tar.gz
[ -f "$tarball" ] || { echo "$0: make dist made no $tarball" >&2; exit 1; }

# Outside an RPM distribution the rpm database knows none of the build
# dependencies (they are installed as the distribution's own packages).
nodeps=
rpm -q --quiet rpm 2>/dev/null || nodeps=--nodeps
rpmbuild -tb $nodeps --define "_topdir $stage/rpmbuild" "$tarball"

mkdir -p "$out"
shopt -s nullglob
rpms=("$stage"/rpmbuild/RPMS/*/*.rpm)
[ ${#rpms[@]} -gt 0 ] || { echo "$0: rpmbuild made no .rpm" >&2; exit 1; }
cp "${rpms[@]}" "$out/"
for f in "${rpms[@]}"; do
	echo "built $out/$(basename "$f")"
done
