#!/bin/bash
# build-deb.sh [OUTDIR]: build the hil, hil-dev and hil-slurm .deb
# packages from this source tree.  Stages a clean copy of the tree in a
# temporary directory, with packaging/debian as its debian/, runs
# `dpkg-buildpackage -b -uc -us` there and copies the .deb, .buildinfo and
# .changes files to OUTDIR (default: the current directory).  Needs
# dpkg-dev, debhelper and the Build-Depends of packaging/debian/control.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/packaging/lib-stage.sh"
out=$(realpath -m "${1:-.}")

version=$(configure_version "$top")
deb_version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
if [ -z "$version" ] || [ "$deb_version" != "$version" ]; then
	echo "$0: packaging/debian/changelog is at '$deb_version' but" \
		"configure.ac at '$version': add a changelog entry (dch -v)" >&2
	exit 1
fi

stage=$(mktemp -d "${TMPDIR:-/tmp}/hil-deb.XXXXXX")
if [ "${HIL_KEEP_STAGE:-}" = 1 ]; then
	echo "build-deb: staging in $stage (kept)"
else
	trap 'rm -rf "$stage"' EXIT
fi
src=$stage/hil-$version
stage_tree "$top" "$src"
rm -rf "$src/debian"
cp -a "$src/packaging/debian" "$src/debian"

jobs=$(nproc 2>/dev/null || echo 1)
(cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -b -uc -us)

mkdir -p "$out"
shopt -s nullglob
files=("$stage"/*.deb "$stage"/*.buildinfo "$stage"/*.changes)
debs=("$stage"/*.deb)
[ ${#debs[@]} -gt 0 ] || { echo "$0: dpkg-buildpackage made no .deb" >&2; exit 1; }
cp "${files[@]}" "$out/"
for f in "${debs[@]}"; do
	echo "built $out/$(basename "$f")"
done
