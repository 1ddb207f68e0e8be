#!/bin/sh
# pg-stop.sh DIR - stop the server pg-start.sh started in DIR.  Leaves DIR
# for the caller to remove; does nothing if no server runs there.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
# As root, act as the user that owns the cluster.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$(stat -c %U "$dir/data")" -- "$@"
	else
		"$@"
	fi
}
[ -f "$dir/data/postmaster.pid" ] || exit 0
# "status" fails when the pid file is stale (a killed server).
as_pg "$pgbin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 || exit 0
as_pg "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null
