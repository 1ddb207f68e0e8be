# lib-stage.sh - sourced by build-deb.sh and build-rpm.sh (bash).

# stage_tree TOP DEST: copy the source tree at TOP into DEST: in a git
# checkout the files git tracks or would track (nothing it ignores: no
# build directories, no generated configure), otherwise the whole tree
# (an unpacked release tarball).
stage_tree() {
	local top=$1 dest=$2 f
	mkdir -p "$dest"
	if [ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" = "$top" ]; then
		git -C "$top" ls-files -z --cached --others --exclude-standard |
			while IFS= read -r -d '' f; do
				# Tracked but deleted in the work tree: not part of it.
				if [ -e "$top/$f" ] || [ -L "$top/$f" ]; then
					printf '%s\0' "$f"
				fi
			done | tar -C "$top" --null -T - -cf - | tar -C "$dest" -xf -
	else
		tar -C "$top" --exclude=./.git -cf - . | tar -C "$dest" -xf -
	fi
}

# configure_version TOP: the version AC_INIT names.
configure_version() {
	sed -n 's/^AC_INIT(\[hil\], *\[\([^]]*\)\].*/\1/p' "$1/configure.ac"
}

# A build run from make (make check, say) must not hand its jobserver to
# the package build.
unset MAKEFLAGS MFLAGS MAKELEVEL
