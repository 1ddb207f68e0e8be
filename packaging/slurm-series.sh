#!/bin/sh
# slurm-series.sh: print the SLURM release series the build compiles
# against and the next one, e.g. "22.05 22.06".  SLURM loads a plugin only
# when it was built for the same major.minor release, so the packages
# depend on versions >= the first and < the second.  Reads
# SLURM_VERSION_NUMBER through the C preprocessor (CC, CPPFLAGS and
# SLURM_CFLAGS from the environment), so it sees the header the build uses.
set -eu
num=$(printf '#include <slurm/slurm_version.h>\nSLURM_VERSION_NUMBER\n' |
	${CC:-cc} -E -P ${CPPFLAGS:-} ${SLURM_CFLAGS:-} -x c - | sed -n '$p')
case $num in
0x[0-9a-fA-F]*) ;;
*)
	echo "$0: no SLURM_VERSION_NUMBER in slurm/slurm_version.h (got '$num')" >&2
	exit 1
	;;
esac
major=$((num >> 16))
minor=$(((num >> 8) & 255))
printf '%d.%02d %d.%02d\n' "$major" "$minor" "$major" $((minor + 1))
