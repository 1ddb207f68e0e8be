#!/bin/sh
# pg-start.sh DIR PORT - start a private PostgreSQL server for tests.
#
# The cluster lives in DIR/data, its unix socket in DIR/sock, its log in
# DIR/server.log; it listens on 127.0.0.1:PORT.  Prints the libpq URI of a
# database "hil" owned by role "hil" (password "hil") on stdout and returns
# once the server accepts it.  As root, the server runs as the system user
# $PG_USER (default "postgres", created when missing), which must be able
# to reach DIR.  Stop it with pg-stop.sh DIR.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 DIR PORT" >&2
	exit 2
fi
dir=$1
port=$2
case $port in
'' | *[!0-9]*)
	echo "pg-start.sh: bad port '$port'" >&2
	exit 2
	;;
esac
runas=${PG_USER:-postgres}

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ ! -x "$pgbin/initdb" ]; then
	echo "pg-start.sh: no PostgreSQL server in /usr/lib/postgresql/*/bin" >&2
	exit 1
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -n "$(ls -A "$dir")" ]; then
	echo "pg-start.sh: '$dir' is not empty" >&2
	exit 1
fi

# PostgreSQL refuses to run as root.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$runas" -- "$@"
	else
		"$@"
	fi
}
if [ "$(id -u)" -eq 0 ]; then
	if ! id "$runas" >/dev/null 2>&1; then
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin "$runas"
	fi
	chown "$runas" "$dir"
	if ! runuser -u "$runas" -- test -w "$dir"; then
		echo "pg-start.sh: user '$runas' cannot reach '$dir'" \
			"(its parent directories must be searchable)" >&2
		exit 1
	fi
fi
as_pg mkdir -m 700 "$dir/sock"

# Trust on the private socket (only its owner can reach it), passwords on
# TCP as a real deployment has them.  No fsync: the data is thrown away.
if ! as_pg "$pgbin/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C \
	-N --auth-local=trust --auth-host=scram-sha-256 \
	>"$dir/initdb.log" 2>&1; then
	cat "$dir/initdb.log" >&2
	exit 1
fi
if ! as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
	start -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
	>/dev/null; then
	cat "$dir/server.log" >&2
	exit 1
fi
if ! as_pg "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/sock" -p "$port" \
	-U postgres -d postgres \
	-c "CREATE ROLE hil LOGIN PASSWORD 'hil'" \
	-c "CREATE DATABASE hil OWNER hil" >&2; then
	as_pg "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
	exit 1
fi
echo "postgresql://hil:hil@127.0.0.1:$port/hil"
