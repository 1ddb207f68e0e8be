#!/bin/bash
# packaging-test.sh - the packages as a site admin installs them.  Builds
# the .deb packages with packaging/build-deb.sh, installs them on this
# machine (dpkg -i; needs root), checks the installed files, the unit, the
# configuration and the user, runs the installed hild as hil on a free
# loopback port and drives it with the installed hil CLI, builds the
# out-of-tree vendor driver against the installed hil-dev with pkg-config
# alone, purges the packages and checks nothing is left.  Then builds the
# .rpm packages with packaging/build-rpm.sh and checks them with rpm -qp.
#
# Environment: HIL_SRCDIR, HIL_BUILDDIR (set by make check; the plugins the
# build tree holds are the ones the packages must ship), HIL_TEST_KEEP=1
# keeps the work directory.  In CI (CI=true) nothing may be skipped.
set -u
top=${HIL_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${HIL_BUILDDIR:-}
HILD=/usr/sbin/hild
HIL=/usr/bin/hil
CONF=/etc/hil/hild.conf
UNIT=/lib/systemd/system/hild.service
STATEDIR=/var/lib/hil
START_TIMEOUT=30 # seconds until the installed hild must answer
STOP_TIMEOUT=20  # seconds until it must exit after SIGTERM

count=0
failed=0
W=
HILD_PID=
installed=
vendor_so=

ok() { # status description
	count=$((count + 1))
	if [ "$1" = 0 ]; then
		echo "ok $count - $2"
	else
		failed=$((failed + 1))
		echo "not ok $count - $2"
	fi
}
diag() { sed 's/^/# /' "$@"; }
diag_tail() { [ -f "$1" ] && tail -n "${2:-30}" "$1" | diag; }
bail() {
	echo "Bail out! $*"
	exit 1
}
# as_hil COMMAND...: run as the hil user and group, as the unit does.
as_hil() { setpriv --reuid=hil --regid=hil --init-groups "$@"; }

cleanup() {
	if [ -n "$HILD_PID" ] && kill -0 "$HILD_PID" 2>/dev/null; then
		kill -KILL "$HILD_PID" 2>/dev/null
		wait "$HILD_PID" 2>/dev/null
	fi
	[ -n "$vendor_so" ] && rm -f "$vendor_so"
	if [ -n "$installed" ]; then
		dpkg --purge hil-dev hil >/dev/null 2>&1
	fi
	if [ -n "$W" ] && [ -d "$W" ]; then
		if [ "${HIL_TEST_KEEP:-}" = 1 ]; then
			echo "# kept $W" >&2
		else
			rm -rf "$W"
		fi
	fi
}

# --- preconditions: fail, never skip, in CI --------------------------------

if [ "$(id -u)" != 0 ]; then
	[ "${CI:-}" = true ] && bail "this test installs packages: run it as root"
	echo "1..0 # SKIP installs packages on this machine: run as root"
	exit 0
fi
missing=
for tool in dpkg-buildpackage dh dpkg-parsechangelog rpmbuild rpm \
	rpm2archive pkg-config make cc curl setpriv systemd-analyze sqlite3; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -z "$missing" ] || bail "missing tools:$missing (tests/deps.sh test installs them)"
[ -n "$builddir" ] && [ -d "$builddir" ] || bail "HIL_BUILDDIR is not set (run from make check)"

# Another hil installation is not ours to replace, except on a CI machine,
# which is thrown away (a run that was killed may have left one).
if dpkg-query -W -f '${Status}' hil hil-dev 2>/dev/null | grep -q ' installed'; then
	[ "${CI:-}" = true ] || bail "hil is installed on this machine; purge it first (dpkg --purge hil-dev hil)"
	dpkg --purge hil-dev hil >/dev/null 2>&1 || bail "could not purge the installed hil"
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/hil-pkg.XXXXXX") || bail "mktemp failed"
chmod 0755 "$W"
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

version=$(sed -n 's/^AC_INIT(\[hil\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")

# The plugins the build makes, as KIND/NAME: the packages must ship each.
plugins=
for so in "$builddir"/driver-plugins/switch/*/.libs/*.so \
	"$builddir"/driver-plugins/obm/*/.libs/*.so \
	"$builddir"/auth-plugins/*/.libs/*.so; do
	[ -f "$so" ] || continue
	case $so in
	*/driver-plugins/switch/*) kind=switch ;;
	*/driver-plugins/obm/*) kind=obm ;;
	*) kind=auth ;;
	esac
	plugins="$plugins $kind/$(basename "$so" .so)"
done
[ -n "$plugins" ] || bail "no plugins in the build tree '$builddir'"

# --- Debian ------------------------------------------------------------------

# files_present LISTFILE PATH...: every PATH is a line of LISTFILE; names
# the missing ones.
files_present() {
	local list=$1 f rc=0
	shift
	for f in "$@"; do
		if ! grep -qxF -- "$f" "$list"; then
			echo "# missing: $f"
			rc=1
		fi
	done
	return $rc
}

deb_build() {
	"$top/packaging/build-deb.sh" "$W/deb" >"$W/deb.log" 2>&1
	ok $? "build-deb.sh builds the packages"
	DEB_HIL=$(ls "$W"/deb/hil_*.deb 2>/dev/null | head -n1)
	DEB_DEV=$(ls "$W"/deb/hil-dev_*.deb 2>/dev/null | head -n1)
	if [ -z "$DEB_HIL" ] || [ -z "$DEB_DEV" ]; then
		ok 1 "build-deb.sh made hil and hil-dev"
		diag_tail "$W/deb.log" 40
		return 1
	fi
	[ "$(dpkg-deb -f "$DEB_HIL" Version)" = "$version" ]
	ok $? "the package version is configure's ($version)"
	# Private from the moment dpkg unpacks it, before postinst runs.
	dpkg-deb -c "$DEB_HIL" | grep -E '^-rw-r----- [^ ]+ +[0-9]+ [^ ]+ [^ ]+ \./etc/hil/hild\.conf$' >/dev/null
	ok $? "the package ships hild.conf mode 0640"
	return 0
}

deb_install() {
	installed=yes
	dpkg -i "$DEB_HIL" "$DEB_DEV" >"$W/install.log" 2>&1
	local rc=$?
	ok $rc "dpkg -i hil hil-dev"
	[ $rc = 0 ] || { diag_tail "$W/install.log"; return 1; }
	grep -q 'hild --create-admin' "$W/install.log"
	ok $? "the first install says how to create the administrator"
	return 0
}

deb_files() {
	local multiarch plugindir p list=$W/hil.list
	multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
	plugindir=/usr/lib/$multiarch/hil/plugins
	dpkg -L hil >"$list"
	files_present "$list" "$HILD" "$HIL" "$UNIT" "$CONF" "$STATEDIR" \
		/usr/share/man/man8/hild.8.gz /usr/share/man/man1/hil.1.gz
	ok $? "dpkg -L hil: hild, hil, the unit, the conffile, the state directory, the man pages"
	local want=
	for p in $plugins; do
		want="$want $plugindir/$p.so"
	done
	files_present "$list" $want
	ok $? "dpkg -L hil: every plugin the build makes ($plugins )"
	! grep -q '\.la$' "$list"
	ok $? "no libtool archives are installed"
	dpkg -L hil-dev >"$W/hil-dev.list"
	files_present "$W/hil-dev.list" /usr/include/hil/plugin.h \
		"/usr/lib/$multiarch/pkgconfig/hil-plugin.pc"
	ok $? "dpkg -L hil-dev: hil/plugin.h and hil-plugin.pc"

	PLUGINDIR=$(env -u PKG_CONFIG_PATH -u PKG_CONFIG_LIBDIR \
		-u PKG_CONFIG_SYSROOT_DIR pkg-config --variable=plugindir hil-plugin)
	[ "$PLUGINDIR" = "$plugindir" ]
	ok $? "the installed hil-plugin.pc names the installed plugin directory"
	for p in $plugins; do
		[ -f "$plugindir/$p.so" ] || echo "# not on disk: $plugindir/$p.so"
	done
}

deb_config() {
	local st
	dpkg-query -W -f '${Conffiles}\n' hil | grep -q "^ $CONF "
	ok $? "$CONF is a conffile"
	st=$(stat -c '%a %U %G' "$CONF")
	[ "$st" = "640 root hil" ]
	ok $? "$CONF is mode 640, root:hil (got: $st)"
	grep -qxF "plugin_dir = $PLUGINDIR" "$CONF" &&
		grep -qxF "database = sqlite://$STATEDIR/hil.db" "$CONF" &&
		grep -qxF "auth = local" "$CONF"
	ok $? "$CONF: the installed plugin_dir, SQLite in $STATEDIR, local auth"

	local pw
	pw=$(getent passwd hil)
	IFS=: read -r _ _ uid _ _ home shell <<<"$pw"
	[ -n "$pw" ] && [ "$uid" -lt 1000 ] && [ "$home" = "$STATEDIR" ] &&
		case $shell in */nologin | */false) true ;; *) false ;; esac &&
		getent group hil >/dev/null
	ok $? "the hil system user and group exist (${pw:-none})"
	st=$(stat -c '%a %U %G' "$STATEDIR")
	[ "$st" = "750 hil hil" ]
	ok $? "$STATEDIR is mode 750, hil:hil (got: $st)"
	st=$(stat -c '%a %U' "$STATEDIR/hil.db" 2>/dev/null)
	[ "$st" = "600 hil" ]
	ok $? "the install created the database as hil, mode 600 (got: ${st:-none})"
}

deb_unit() {
	local rc=0 line cmd
	# Every program the unit runs exists, and runs with the installed
	# configuration.
	while IFS= read -r line; do
		cmd=${line#*=}
		cmd=${cmd#[-@:+!]}
		set -- $cmd
		[ -x "$1" ] || { echo "# not executable: $1"; rc=1; }
		case " $* " in
		*" -f $CONF "*) ;;
		*) echo "# not run with -f $CONF: $line"; rc=1 ;;
		esac
	done < <(grep -E '^Exec(Start|StartPre)=' "$UNIT")
	grep -qx 'User=hil' "$UNIT" && grep -qx 'StateDirectory=hil' "$UNIT" || rc=1
	ok $rc "the unit's programs, configuration, user and state directory are installed"
	as_hil "$HILD" -t -f "$CONF" >"$W/t.log" 2>&1
	rc=$?
	ok $rc "hild -t -f $CONF passes as hil (the unit's ExecStartPre)"
	[ $rc = 0 ] || diag_tail "$W/t.log"
	SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$UNIT" >"$W/verify.log" 2>&1
	rc=$?
	ok $rc "systemd-analyze verify hild.service"
	[ $rc = 0 ] || diag_tail "$W/verify.log"
}

free_port() {
	local port
	if [ -x "$builddir/tests/integration/apitest" ]; then
		"$builddir/tests/integration/apitest" --free-port && return
	fi
	for _ in $(seq 50); do
		port=$((20000 + RANDOM % 20000))
		ss -Htln "sport = :$port" 2>/dev/null | grep -q . || { echo $port; return; }
	done
	return 1
}

# The installed hild, as hil, with a copy of the installed configuration
# on another port, driven by the installed CLI.
deb_run() {
	local conf=$W/run/hild.conf port pw=pkg-admin-pw-$$ code rc deadline
	port=$(free_port) || bail "no free port"
	install -d -m 0750 -o root -g hil "$W/run"
	sed -e "s|^port *=.*|port = $port|" \
		-e "s|^pid_file *=.*|pid_file = $W/run/hild.pid|" "$CONF" >"$conf"
	chown root:hil "$conf"
	chmod 0640 "$conf"
	grep -qx "port = $port" "$conf" && grep -qx "listen = 127.0.0.1" "$conf"
	ok $? "a copy of the configuration listens on 127.0.0.1:$port"

	printf '%s\n' "$pw" | as_hil "$HILD" -f "$conf" --create-admin pkgadmin \
		>"$W/admin.log" 2>&1
	rc=$?
	ok $rc "hild --create-admin as hil"
	[ $rc = 0 ] || { diag_tail "$W/admin.log"; return 1; }

	# Not through as_hil: $! must be hild itself (setpriv execs it).
	setpriv --reuid=hil --regid=hil --init-groups "$HILD" -f "$conf" \
		>"$W/hild.log" 2>&1 &
	HILD_PID=$!
	deadline=$((SECONDS + START_TIMEOUT))
	code=000
	while [ $SECONDS -lt $deadline ] && kill -0 "$HILD_PID" 2>/dev/null; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
			"http://127.0.0.1:$port/v0/projects")
		[ "$code" != 000 ] && break
		sleep 0.2
	done
	[ "$code" = 401 ]
	ok $? "the installed hild serves; anonymous callers get 401 (got $code)"
	[ "$code" != 000 ] || { diag_tail "$W/hild.log"; return 1; }
	[ "$(ps -o user= -p "$HILD_PID" | tr -d ' ')" = hil ]
	ok $? "hild runs as hil"

	export HIL_ENDPOINT=http://127.0.0.1:$port HIL_USERNAME=pkgadmin HIL_PASSWORD=$pw
	unset HIL_AUTH OS_TOKEN OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME
	cli() { # description expected-status args...
		local desc=$1 want=$2 got
		shift 2
		"$HIL" "$@" >"$W/cli.out" 2>"$W/cli.err"
		got=$?
		ok $([ $got = "$want" ]; echo $?) "hil $desc (exit $want)"
		[ $got = "$want" ] || diag "$W/cli.out" "$W/cli.err"
	}
	cli "project create" 0 project create pkgtest
	cli "project list --json" 0 project list --json
	[ "$(tr -d ' \n' <"$W/cli.out")" = '["pkgtest"]' ]
	ok $? "the project is listed"
	cli "node register (the installed mock OBM plugin)" 0 \
		node register n1 mock host=10.0.0.1 user=root password=secret
	cli "project node add" 0 project node add pkgtest n1
	cli "project node list --json" 0 project node list pkgtest --json
	[ "$(tr -d ' \n' <"$W/cli.out")" = '["n1"]' ]
	ok $? "the node is in the project"
	HIL_PASSWORD=wrong cli "with a wrong password" 1 project list

	kill -TERM "$HILD_PID"
	deadline=$((SECONDS + STOP_TIMEOUT))
	while [ $SECONDS -lt $deadline ] && kill -0 "$HILD_PID" 2>/dev/null; do
		sleep 0.2
	done
	if kill -0 "$HILD_PID" 2>/dev/null; then
		ok 1 "hild exits on SIGTERM within ${STOP_TIMEOUT}s"
	else
		wait "$HILD_PID"
		rc=$?
		ok $rc "hild exits 0 on SIGTERM (got $rc)"
		[ $rc = 0 ] || diag_tail "$W/hild.log"
	fi
	HILD_PID=
}

# Installing over an installed hil (what an upgrade does): local changes
# to the conffile, its mode and the database stay.
deb_reinstall() {
	local rc st
	echo "# a local change" >>"$CONF"
	dpkg -i "$DEB_HIL" "$DEB_DEV" >"$W/reinstall.log" 2>&1
	rc=$?
	ok $rc "dpkg -i over the installed packages"
	[ $rc = 0 ] || { diag_tail "$W/reinstall.log"; return 1; }
	st=$(stat -c '%a %U %G' "$CONF")
	grep -qx "# a local change" "$CONF" && [ "$st" = "640 root hil" ]
	ok $? "the conffile keeps the local change, mode 640 root:hil (got: $st)"
	[ "$(sqlite3 "file:$STATEDIR/hil.db?mode=ro" 'SELECT label FROM projects')" = pkgtest ]
	ok $? "the database keeps its projects"
	! grep -q 'create-admin' "$W/reinstall.log"
	ok $? "only a first install asks for an administrator"
}

# A vendor's driver: built with the installed header and hil-plugin.pc
# alone, installed where the .pc says, loaded by the installed hild.
deb_vendor() {
	local rc conf=$W/run/vendor.conf
	[ -n "$PLUGINDIR" ] || { ok 1 "the vendor driver: no plugin directory"; return 1; }
	cp -r "$top/tests/plugins/out-of-tree" "$W/vendor"
	chmod -R u+w "$W/vendor"
	rm -f "$W/vendor/vendorsw.so"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u PKG_CONFIG_PATH \
		-u PKG_CONFIG_LIBDIR -u PKG_CONFIG_SYSROOT_DIR -u CFLAGS -u CPPFLAGS \
		make -C "$W/vendor" >"$W/vendor.log" 2>&1
	rc=$?
	# Nothing of the source or build tree on its command lines.
	if [ $rc = 0 ] && grep -qF -e "$top" -e "$builddir" "$W/vendor.log"; then
		echo "# the vendor build used the source or build tree"
		rc=1
	fi
	ok $rc "the out-of-tree driver builds against the installed hil-dev"
	[ $rc = 0 ] || { diag_tail "$W/vendor.log"; return 1; }
	vendor_so=$PLUGINDIR/switch/vendorsw.so
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$W/vendor" install \
		>>"$W/vendor.log" 2>&1 && [ -f "$vendor_so" ]
	ok $? "it installs into the installed switch plugin directory"

	sed -e "s|^switch_drivers *=.*|switch_drivers = mock,vendorsw|" \
		"$W/run/hild.conf" >"$conf"
	chown root:hil "$conf"
	chmod 0640 "$conf"
	as_hil "$HILD" -t -f "$conf" >"$W/vendor-t.log" 2>&1 &&
		grep -qx 'switch_drivers = mock,vendorsw' "$conf"
	rc=$?
	ok $rc "the installed hild loads it (hild -t)"
	[ $rc = 0 ] || diag_tail "$W/vendor-t.log"
	rm -f "$vendor_so"
	vendor_so=
}

deb_purge() {
	local rc left= f pid exe
	dpkg --purge hil-dev hil >"$W/purge.log" 2>&1
	rc=$?
	ok $rc "dpkg --purge hil-dev hil"
	[ $rc = 0 ] || diag_tail "$W/purge.log"
	installed=
	! dpkg-query -W -f '${Status}\n' hil hil-dev 2>/dev/null | grep -q ' installed'
	ok $? "neither package is installed"
	for f in "$HILD" "$HIL" "$UNIT" "$CONF" /etc/hil "$STATEDIR" "$PLUGINDIR" \
		/usr/include/hil; do
		[ -e "$f" ] && left="$left $f"
	done
	[ -z "$left" ]
	ok $? "purging leaves nothing on disk${left:+ (left:$left)}"
	left=
	for f in /proc/[0-9]*; do
		exe=$(readlink "$f/exe" 2>/dev/null) || continue
		pid=${f#/proc/}
		case $exe in "$HILD" | "$HILD (deleted)") left="$left $pid" ;; esac
	done
	left="$left $(pgrep -u hil 2>/dev/null | tr '\n' ' ')"
	[ -z "${left// /}" ]
	ok $? "nothing of hil is left running${left// /}"
}

if deb_build && deb_install; then
	deb_files
	deb_config
	deb_unit
	deb_run
	deb_reinstall
	deb_vendor
	deb_purge
fi

# --- RPM ---------------------------------------------------------------------

rpm_check() {
	local rpm_hil rpm_dev libdir p want list=$W/rpm.list rc
	"$top/packaging/build-rpm.sh" "$W/rpm" >"$W/rpm.log" 2>&1
	rc=$?
	ok $rc "build-rpm.sh builds the packages"
	rpm_hil=$(ls "$W"/rpm/hil-"$version"-*.rpm 2>/dev/null | grep -v -e -devel- -e -debug | head -n1)
	rpm_dev=$(ls "$W"/rpm/hil-devel-"$version"-*.rpm 2>/dev/null | head -n1)
	if [ -z "$rpm_hil" ] || [ -z "$rpm_dev" ]; then
		ok 1 "build-rpm.sh made hil and hil-devel $version"
		diag_tail "$W/rpm.log" 40
		return 1
	fi
	libdir=$(rpm --eval '%{_libdir}')
	rpm -qlp "$rpm_hil" >"$list" 2>/dev/null
	files_present "$list" "$HILD" "$HIL" /usr/lib/systemd/system/hild.service \
		"$CONF" "$STATEDIR" /usr/lib/sysusers.d/hil.conf &&
		grep -qE '^/usr/share/man/man8/hild\.8(\.gz)?$' "$list" &&
		grep -qE '^/usr/share/man/man1/hil\.1(\.gz)?$' "$list"
	ok $? "rpm -qlp hil: hild, hil, the unit, the configuration, the state directory, sysusers, the man pages"
	want=
	for p in $plugins; do
		want="$want $libdir/hil/plugins/$p.so"
	done
	files_present "$list" $want
	ok $? "rpm -qlp hil: every plugin the build makes, in $libdir/hil/plugins"
	! grep -q '\.la$' "$list"
	ok $? "rpm: no libtool archives"
	rpm -qlp "$rpm_dev" >"$W/rpm-devel.list" 2>/dev/null
	files_present "$W/rpm-devel.list" /usr/include/hil/plugin.h \
		"$libdir/pkgconfig/hil-plugin.pc"
	ok $? "rpm -qlp hil-devel: hil/plugin.h and hil-plugin.pc"

	rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILENAMES}\n]' \
		"$rpm_hil" >"$W/rpm.modes" 2>/dev/null
	grep -qxF -- "-rw-r----- root hil $CONF" "$W/rpm.modes" &&
		grep -qxF -- "drwxr-x--- hil hil $STATEDIR" "$W/rpm.modes"
	ok $? "rpm: $CONF is 0640 root:hil, $STATEDIR 0750 hil:hil"
	rpm -qp --configfiles "$rpm_hil" 2>/dev/null | grep -qxF "$CONF"
	ok $? "rpm: $CONF is a configuration file"
	rpm -qp --scripts "$rpm_hil" >"$W/rpm.scripts" 2>/dev/null
	grep -q 'useradd -r' "$W/rpm.scripts" && grep -q -- '--upgrade-db' "$W/rpm.scripts" &&
		grep -q 'systemctl' "$W/rpm.scripts" && ! grep -q '%systemd' "$W/rpm.scripts"
	ok $? "rpm: the scriptlets create hil, upgrade the schema and tell systemd"
	(cd "$W" && rpm2archive - <"$rpm_hil" | tar -xzf - ./etc/hil/hild.conf) 2>/dev/null &&
		grep -qxF "plugin_dir = $libdir/hil/plugins" "$W/etc/hil/hild.conf"
	ok $? "rpm: hild.conf names $libdir/hil/plugins"
}

rpm_check

echo "1..$count"
[ "$failed" = 0 ]
