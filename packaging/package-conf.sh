#!/bin/sh
# package-conf.sh SAMPLE PLUGINDIR STATEDIR: print the hild.conf a package
# installs as /etc/hil/hild.conf: the sample with plugin_dir set to the
# installed plugin directory, the database in STATEDIR/hil.db (SQLite) and
# local users.  Fails when the sample no longer has a line to set.
set -eu
[ $# = 3 ] || { echo "usage: $0 SAMPLE PLUGINDIR STATEDIR" >&2; exit 2; }
sample=$1 plugindir=$2 statedir=$3
out=$(sed -e "s|^#* *plugin_dir *=.*|plugin_dir = $plugindir|" \
	-e "s|^database *=.*|database = sqlite://$statedir/hil.db|" \
	-e "s|^auth *=.*|auth = local|" "$sample")
for line in "plugin_dir = $plugindir" "database = sqlite://$statedir/hil.db" \
	"auth = local"; do
	n=$(printf '%s\n' "$out" | grep -cxF "$line" || true)
	if [ "$n" != 1 ]; then
		echo "$0: '$sample' has $n lines '$line' after editing, not 1" >&2
		exit 1
	fi
done
printf '%s\n' "$out"
