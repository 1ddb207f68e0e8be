#!/bin/bash
# Build hild and start it on its embedded defaults: SQLite, local users,
# mock drivers, 127.0.0.1.  State lives in ./demo (delete it to start over).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
port=${HIL_PORT:-5000}
demo=$top/demo
build=$top/build

"$top/tests/deps.sh" build
(cd "$top" && ./autogen.sh >/dev/null 2>&1)
mkdir -p "$build"
(cd "$build" && { [ -f Makefile ] || "$top/configure" -q --prefix="$demo/root"; } &&
	make -s -j"$(nproc)" && make -s install >/dev/null)

mkdir -p "$demo"
chmod 700 "$demo"
conf=$demo/hild.conf
if [ ! -f "$conf" ]; then
	umask 077
	cat >"$conf" <<CONF
listen = 127.0.0.1
port = $port
database = sqlite://$demo/hil.db
auth = local
plugin_dir = $demo/root/lib/hil/plugins
switch_drivers = mock
obm_drivers = mock
pid_file = $demo/hild.pid
CONF
fi
hild=$demo/root/sbin/hild
hil=$demo/root/bin/hil
"$hild" -f "$conf" -t
"$hild" -f "$conf" --upgrade-db
if [ ! -f "$demo/admin-password" ]; then
	head -c 12 /dev/urandom | base64 | tr -d '/+=' >"$demo/admin-password"
	"$hild" -f "$conf" --create-admin admin <"$demo/admin-password"
fi
if [ -f "$demo/hild.pid" ] && kill -0 "$(cat "$demo/hild.pid")" 2>/dev/null; then
	kill "$(cat "$demo/hild.pid")"; sleep 0.5
fi
"$hild" -f "$conf" -d
for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$port/v0/projects" && break
	sleep 0.1
done

export HIL_ENDPOINT=http://127.0.0.1:$port HIL_USERNAME=admin
HIL_PASSWORD=$(cat "$demo/admin-password")
export HIL_PASSWORD
echo
echo "hild is running (pid $(cat "$demo/hild.pid")), SQLite database in $demo/hil.db"
echo "+ hil project create demo"; "$hil" project create demo || true
echo "+ hil node register node-01 mock host=10.0.0.1 user=root password=secret"
"$hil" node register node-01 mock host=10.0.0.1 user=root password=secret || true
echo "+ hil project node add demo node-01"; "$hil" project node add demo node-01 || true
echo "+ hil node show node-01"; "$hil" node show node-01
cat <<MSG

Try next:
  export PATH=$demo/root/bin:\$PATH HIL_ENDPOINT=$HIL_ENDPOINT HIL_USERNAME=admin HIL_PASSWORD=\$(cat $demo/admin-password)
  hil project list
  hil node list all
  hil user create alice s3cret regular && hil user project add alice demo
  hil --help
Stop it with:  kill \$(cat $demo/hild.pid)
MSG
