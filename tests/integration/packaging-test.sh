#!/bin/bash
# packaging-test.sh - the packages as a site admin installs them.  Builds
# the .deb packages with packaging/build-deb.sh, installs them on this
# machine (dpkg -i; needs root), checks the installed files, the unit, the
# configuration and the user, runs the installed hild as hil on a free
# loopback port and drives it with the installed hil CLI, builds the
# out-of-tree vendor driver against the installed hil-dev with pkg-config
# alone.  Installs hil-slurm next to hil (on the SLURM packages of this
# machine), checks its files, its configuration's owner and mode, its unit,
# runs the installed loan manager as slurm, loads the installed SPANK
# plugin into sbatch and job_submit/hil into a private slurmctld.  Purges
# the packages and checks nothing is left.  Then builds the .rpm packages
# with packaging/build-rpm.sh and checks them with rpm -qp.
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
HS=/usr/sbin/hil-slurm
HS_HOOK=/usr/libexec/hil/hil-slurmctld-hook
HS_CONF=/etc/hil/hil-slurm.conf
HS_UNIT=/lib/systemd/system/hil-slurm.service
HS_PLUGSTACK=/usr/share/doc/hil-slurm/examples/plugstack.conf
SLURM_USER=slurm # SlurmUser of Debian's slurm packages, who runs hil-slurm
CTLD_TIMEOUT=30  # seconds until slurmctld must have loaded job_submit/hil

count=0
failed=0
W=
HILD_PID=
CTLD_PID=
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
	if [ -n "$CTLD_PID" ] && [ "$(cat "/proc/$CTLD_PID/comm" 2>/dev/null)" = slurmctld ]; then
		kill -KILL "$CTLD_PID" 2>/dev/null
		wait "$CTLD_PID" 2>/dev/null
	fi
	[ -n "$vendor_so" ] && rm -f "$vendor_so"
	if [ -n "$installed" ]; then
		dpkg --purge hil-slurm hil-dev hil >/dev/null 2>&1
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
	rpm2archive pkg-config make cc curl setpriv systemd-analyze sqlite3 \
	sbatch slurmctld; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -z "$missing" ] || bail "missing tools:$missing (tests/deps.sh test installs them)"
# hil-slurm builds against libslurm-dev and installs on slurm-wlm's plugins.
for pkg in libslurm-dev slurm-wlm-basic-plugins; do
	dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q ' installed$' ||
		missing="$missing $pkg"
done
[ -z "$missing" ] || bail "missing packages:$missing (tests/deps.sh test installs them)"
getent passwd "$SLURM_USER" >/dev/null || bail "no user '$SLURM_USER' (slurm-wlm-basic-plugins makes it)"
[ -n "$builddir" ] && [ -d "$builddir" ] || bail "HIL_BUILDDIR is not set (run from make check)"

# Another hil installation is not ours to replace, except on a CI machine,
# which is thrown away (a run that was killed may have left one).
if dpkg-query -W -f '${Status}\n' hil hil-dev hil-slurm 2>/dev/null | grep -q ' installed'; then
	[ "${CI:-}" = true ] || bail "hil is installed on this machine; purge it first (dpkg --purge hil-slurm hil-dev hil)"
	dpkg --purge hil-slurm hil-dev hil >/dev/null 2>&1 || bail "could not purge the installed hil"
fi

W=$(mktemp -d "${TMPDIR:-/tmp}/hil-pkg.XXXXXX") || bail "mktemp failed"
chmod 0755 "$W"
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

version=$(sed -n 's/^AC_INIT(\[hil\], *\[\([^]]*\)\].*/\1/p' "$top/configure.ac")
# The SLURM release series hil-slurm is built for, and the next one.
series=$(sh "$top/packaging/slurm-series.sh") || bail "packaging/slurm-series.sh failed"
SLURM_SERIES=${series% *}
SLURM_NEXT=${series#* }

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
	DEB_SLURM=$(ls "$W"/deb/hil-slurm_*.deb 2>/dev/null | head -n1)
	if [ -z "$DEB_HIL" ] || [ -z "$DEB_DEV" ] || [ -z "$DEB_SLURM" ]; then
		ok 1 "build-deb.sh made hil, hil-dev and hil-slurm"
		diag_tail "$W/deb.log" 40
		return 1
	fi
	[ "$(dpkg-deb -f "$DEB_HIL" Version)" = "$version" ] &&
		[ "$(dpkg-deb -f "$DEB_SLURM" Version)" = "$version" ]
	ok $? "the package version is configure's ($version)"
	# Private from the moment dpkg unpacks it, before postinst runs.
	dpkg-deb -c "$DEB_HIL" | grep -E '^-rw-r----- [^ ]+ +[0-9]+ [^ ]+ [^ ]+ \./etc/hil/hild\.conf$' >/dev/null
	ok $? "the package ships hild.conf mode 0640"
	dpkg-deb -c "$DEB_SLURM" | grep -E '^-rw------- [^ ]+ +[0-9]+ [^ ]+ [^ ]+ \./etc/hil/hil-slurm\.conf$' >/dev/null
	ok $? "hil-slurm ships hil-slurm.conf mode 0600"

	# hil and hil-dev stay installable without SLURM.
	local f rel
	for f in "$DEB_HIL" "$DEB_DEV"; do
		for rel in Pre-Depends Depends Recommends; do
			dpkg-deb -f "$f" "$rel"
		done
	done >"$W/hil.rels"
	! grep -qi slurm "$W/hil.rels"
	ok $? "hil and hil-dev need nothing of SLURM"
	# SLURM loads plugins built for its release series only.
	dpkg-deb -f "$DEB_SLURM" Depends | tr ',' '\n' | sed 's/^ *//' >"$W/hil-slurm.deps"
	files_present "$W/hil-slurm.deps" \
		"slurm-wlm-basic-plugins (>= $SLURM_SERIES)" \
		"slurm-wlm-basic-plugins (<< $SLURM_NEXT)" &&
		grep -q '^libslurm[0-9]' "$W/hil-slurm.deps"
	ok $? "hil-slurm depends on SLURM $SLURM_SERIES (plugins) and on libslurm"
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

# --- hil-slurm -----------------------------------------------------------------

# as_slurm COMMAND...: as SlurmUser, as the unit and slurmctld run it.
as_slurm() { setpriv --reuid="$SLURM_USER" --regid="$SLURM_USER" --init-groups "$@"; }

# running_exe PATH: print the pids of processes running the program PATH.
running_exe() {
	local f exe found=1
	for f in /proc/[0-9]*; do
		exe=$(readlink "$f/exe" 2>/dev/null) || continue
		case $exe in "$1" | "$1 (deleted)")
			echo "${f#/proc/}"
			found=0
			;;
		esac
	done
	return $found
}

# Next to the installed hil, as a site adds the SLURM integration.
slurm_install() {
	local rc
	dpkg -i "$DEB_SLURM" >"$W/slurm-install.log" 2>&1
	rc=$?
	ok $rc "dpkg -i hil-slurm next to hil"
	[ $rc = 0 ] || { diag_tail "$W/slurm-install.log"; return 1; }
	grep -q 'systemctl enable --now hil-slurm' "$W/slurm-install.log"
	ok $? "the first install says how to start the loan manager"
	return 0
}

slurm_files() {
	local multiarch sdir list=$W/hil-slurm.list st owner
	multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
	sdir=/usr/lib/$multiarch/slurm-wlm
	dpkg -L hil-slurm >"$list"
	files_present "$list" "$HS" "$HS_HOOK" "$HS_CONF" "$HS_UNIT" \
		"$sdir/hil.so" "$sdir/job_submit_hil.so" "$HS_PLUGSTACK" \
		/usr/share/man/man5/hil-slurm.conf.5.gz \
		/usr/share/man/man8/hil-slurm.8.gz \
		/usr/share/man/man8/hil-slurmctld-hook.8.gz \
		/usr/share/man/man8/hil-spank.8.gz
	ok $? "dpkg -L hil-slurm: hil-slurm, the hook, both plugins, the unit, the conffile, the plugstack.conf line, the man pages"
	[ -x "$HS" ] && [ -x "$HS_HOOK" ] && [ -f "$sdir/hil.so" ] &&
		[ -f "$sdir/job_submit_hil.so" ]
	ok $? "the programs and plugins are on disk"
	# The plugins are in SLURM's own plugin directory.
	owner=$(dpkg-query -S "$sdir" 2>/dev/null)
	case ", ${owner%%: *}, " in
	*", slurm-wlm-basic-plugins, "*) true ;;
	*) false ;;
	esac
	ok $? "the plugins are in SLURM's plugin directory $sdir (${owner:-owned by no package})"
	! grep -q '\.la$' "$list" && ! grep -q '^/usr/lib/[^/]*/hil/slurm' "$list"
	ok $? "no libtool archives, nothing in the unused hil/slurm directory"
	grep -qx "required $sdir/hil.so" "$HS_PLUGSTACK"
	ok $? "the plugstack.conf example names the installed hil.so"
	dpkg-query -W -f '${Conffiles}\n' hil-slurm | grep -q "^ $HS_CONF "
	ok $? "$HS_CONF is a conffile"
	st=$(stat -c '%a %U %G' "$HS_CONF")
	[ "$st" = "600 $SLURM_USER $SLURM_USER" ]
	ok $? "$HS_CONF is mode 600, $SLURM_USER:$SLURM_USER (got: $st)"
	# Beside hil: the two share directories (/etc/hil), no file.
	dpkg -L hil | sort >"$W/hil.sorted"
	sort "$list" | comm -12 - "$W/hil.sorted" | while IFS= read -r f; do
		[ -d "$f" ] || echo "# in both: $f"
	done >"$W/shared"
	[ ! -s "$W/shared" ]
	ok $? "hil-slurm and hil share no file"
	diag "$W/shared"
}

slurm_unit() {
	local rc=0 line cmd st
	while IFS= read -r line; do
		cmd=${line#*=}
		cmd=${cmd#[-@:+!]}
		set -- $cmd
		[ -x "$1" ] || { echo "# not executable: $1"; rc=1; }
	done < <(grep -E '^Exec(Start|StartPre)=' "$HS_UNIT")
	grep -qx "ExecStart=$HS" "$HS_UNIT" && grep -qx "User=$SLURM_USER" "$HS_UNIT" || rc=1
	ok $rc "the unit runs the installed hil-slurm as $SLURM_USER"
	SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$HS_UNIT" >"$W/hs-verify.log" 2>&1
	rc=$?
	ok $rc "systemd-analyze verify hil-slurm.service"
	[ $rc = 0 ] || diag_tail "$W/hs-verify.log"
	# Installed, not enabled: it belongs on the slurmctld host alone.
	st=$(systemctl is-enabled hil-slurm.service 2>/dev/null)
	[ "$st" = disabled ] && ! ls /etc/systemd/system/*.wants/hil-slurm.service >/dev/null 2>&1
	ok $? "hil-slurm.service is not enabled (is-enabled: ${st:-none})"
	! running_exe "$HS" >/dev/null
	ok $? "the install started no $HS"
}

# The installed loan manager, as SlurmUser: its usage, and the installed
# configuration, also once it holds a password (which its owner and mode
# must allow).
slurm_run() {
	local rc
	"$HS" -h >"$W/hs-h.out" 2>&1
	rc=$?
	grep -q '^usage: hil-slurm' "$W/hs-h.out"
	ok $(( rc | $? )) "$HS -h prints its usage, exit 0 (exit $rc)"
	as_slurm "$HS" -t >"$W/hs-t.log" 2>&1
	rc=$?
	ok $rc "hil-slurm -t passes on $HS_CONF as $SLURM_USER (the unit's ExecStartPre)"
	[ $rc = 0 ] || diag_tail "$W/hs-t.log"
	# The site sets hild's password: the file's owner and mode must suit
	# its readers, which refuse a password others may read.
	printf 'password = pkg-hs-pw-%s\n' "$$" >>"$HS_CONF"
	as_slurm "$HS" -t >"$W/hs-t2.log" 2>&1
	rc=$?
	ok $rc "with a password in it, $HS_CONF still passes hil-slurm -t as $SLURM_USER"
	[ $rc = 0 ] || diag_tail "$W/hs-t2.log"
	# The hook lets a job without HIL options through, and refuses to
	# work outside slurmctld's prolog and epilog.
	env -i "$HS_HOOK" >"$W/hook.log" 2>&1
	rc=$?
	ok $rc "the installed hil-slurmctld-hook passes a job without HIL options"
	env -i SPANK_HIL_PROJECT=pkgtest "$HS_HOOK" >>"$W/hook.log" 2>&1
	rc=$?
	[ $rc = 1 ]
	ok $? "outside slurmctld, a HIL job makes it fail (exit $rc)"
}

# SLURM's programs load the installed plugins from where the package put
# them: sbatch the SPANK plugin through the plugstack.conf example,
# slurmctld (as SlurmUser, with its default PluginDir) job_submit/hil.
slurm_load() {
	local sl=$W/slurm port rc deadline
	install -d -m 0755 "$sl"
	install -d -m 0700 -o "$SLURM_USER" -g "$SLURM_USER" "$sl/state"
	port=$(free_port) || bail "no free port"
	cat >"$sl/slurm.conf" <<CONF
ClusterName=hilpkg
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmUser=$SLURM_USER
StateSaveLocation=$sl/state
SlurmctldPidFile=$sl/state/slurmctld.pid
SlurmctldLogFile=$sl/state/slurmctld.log
SlurmctldDebug=info
MailProg=/bin/true
MpiDefault=none
ProctrackType=proctrack/linuxproc
PlugStackConfig=$HS_PLUGSTACK
JobSubmitPlugins=hil
NodeName=n1 NodeAddr=127.0.0.1 CPUs=1 State=UNKNOWN
PartitionName=batch Nodes=n1 Default=YES
CONF
	SLURM_CONF=$sl/slurm.conf sbatch --help >"$W/sbatch-help.out" 2>&1
	grep -q -e '--hil-project=' "$W/sbatch-help.out" &&
		grep -q -e '--hil-release=' "$W/sbatch-help.out"
	ok $? "sbatch loads the installed hil.so (plugstack.conf example): --hil-project, --hil-release"

	# job_submit/hil reads the default $HS_CONF (it logs "loaded" only
	# when it could).
	env -u HIL_SLURM_CONF SLURM_CONF="$sl/slurm.conf" slurmctld -D -i \
		>"$sl/slurmctld.out" 2>&1 &
	CTLD_PID=$!
	deadline=$((SECONDS + CTLD_TIMEOUT))
	rc=1
	while [ $SECONDS -lt $deadline ] && kill -0 "$CTLD_PID" 2>/dev/null; do
		grep -q 'job_submit/hil: loaded' "$sl/state/slurmctld.log" 2>/dev/null && { rc=0; break; }
		sleep 0.2
	done
	ok $rc "slurmctld (as $SLURM_USER, default PluginDir) loads the installed job_submit/hil, which reads $HS_CONF"
	[ $rc = 0 ] || { diag_tail "$sl/state/slurmctld.log"; diag_tail "$sl/slurmctld.out"; }
	if [ "$(cat "/proc/$CTLD_PID/comm" 2>/dev/null)" = slurmctld ]; then
		kill -TERM "$CTLD_PID"
		deadline=$((SECONDS + STOP_TIMEOUT))
		while [ $SECONDS -lt $deadline ] && kill -0 "$CTLD_PID" 2>/dev/null; do
			sleep 0.2
		done
		kill -KILL "$CTLD_PID" 2>/dev/null
	fi
	wait "$CTLD_PID" 2>/dev/null
	CTLD_PID=
}

# An upgrade keeps the site's configuration, its owner and its mode.
slurm_reinstall() {
	local rc st
	dpkg -i "$DEB_SLURM" >"$W/slurm-reinstall.log" 2>&1
	rc=$?
	ok $rc "dpkg -i hil-slurm over itself"
	[ $rc = 0 ] || { diag_tail "$W/slurm-reinstall.log"; return 1; }
	st=$(stat -c '%a %U %G' "$HS_CONF")
	grep -qx "password = pkg-hs-pw-$$" "$HS_CONF" &&
		[ "$st" = "600 $SLURM_USER $SLURM_USER" ]
	ok $? "$HS_CONF keeps the password, mode 600 $SLURM_USER:$SLURM_USER (got: $st)"
}

# Purging hil-slurm leaves hil and SLURM as they were.
slurm_purge() {
	local rc left= f sdir
	sdir=/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/slurm-wlm
	dpkg --purge hil-slurm >"$W/slurm-purge.log" 2>&1
	rc=$?
	ok $rc "dpkg --purge hil-slurm"
	[ $rc = 0 ] || diag_tail "$W/slurm-purge.log"
	for f in "$HS" "$HS_HOOK" "$HS_CONF" "$HS_UNIT" "$sdir/hil.so" \
		"$sdir/job_submit_hil.so" /usr/share/doc/hil-slurm /usr/libexec/hil \
		/usr/share/man/man8/hil-slurm.8.gz /run/hil-slurm \
		/etc/systemd/system/multi-user.target.wants/hil-slurm.service; do
		[ -e "$f" ] && left="$left $f"
	done
	left="$left$(running_exe "$HS" | tr '\n' ' ')"
	[ -z "${left// /}" ]
	ok $? "purging hil-slurm leaves nothing of it on disk or running${left:+ (left:$left)}"
	dpkg-query -W -f '${Status}\n' hil slurm-wlm-basic-plugins 2>/dev/null |
		grep -c ' installed$' | grep -qx 2 && [ -d "$sdir" ] && [ -f "$CONF" ] &&
		as_hil "$HILD" -t -f "$CONF" >/dev/null 2>&1
	ok $? "hil and SLURM's plugins stay installed, hild -t still passes"
}

deb_purge() {
	local rc left= f pid exe
	dpkg --purge hil-slurm hil-dev hil >"$W/purge.log" 2>&1
	rc=$?
	ok $rc "dpkg --purge hil-dev hil"
	[ $rc = 0 ] || diag_tail "$W/purge.log"
	installed=
	! dpkg-query -W -f '${Status}\n' hil hil-dev hil-slurm 2>/dev/null | grep -q ' installed'
	ok $? "no hil package is installed"
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
	if slurm_install; then
		slurm_files
		slurm_unit
		slurm_run
		slurm_load
		slurm_reinstall
		slurm_purge
	fi
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
	RPM_SLURM=$(ls "$W"/rpm/hil-slurm-"$version"-*.rpm 2>/dev/null | head -n1)
	if [ -z "$rpm_hil" ] || [ -z "$rpm_dev" ] || [ -z "$RPM_SLURM" ]; then
		ok 1 "build-rpm.sh made hil, hil-devel and hil-slurm $version"
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

# The hil-slurm subpackage: its files in SLURM's plugin directory
# (LIBDIR/slurm), the configuration 0600 slurm:slurm, the SLURM release
# series it requires; hil itself requires nothing of SLURM.
rpm_slurm() {
	local libdir sdir list=$W/rpm-slurm.list
	[ -n "${RPM_SLURM:-}" ] || return 1
	libdir=$(rpm --eval '%{_libdir}')
	sdir=$libdir/slurm
	rpm -qlp "$RPM_SLURM" >"$list" 2>/dev/null
	files_present "$list" "$HS" "$HS_HOOK" "$HS_CONF" \
		/usr/lib/systemd/system/hil-slurm.service \
		"$sdir/hil.so" "$sdir/job_submit_hil.so" &&
		grep -qE '^/usr/share/doc/hil-slurm(-[0-9.]+)?/plugstack\.conf$' "$list" &&
		grep -qE '^/usr/share/man/man5/hil-slurm\.conf\.5(\.gz)?$' "$list" &&
		grep -qE '^/usr/share/man/man8/hil-slurm\.8(\.gz)?$' "$list" &&
		grep -qE '^/usr/share/man/man8/hil-slurmctld-hook\.8(\.gz)?$' "$list" &&
		grep -qE '^/usr/share/man/man8/hil-spank\.8(\.gz)?$' "$list"
	ok $? "rpm -qlp hil-slurm: hil-slurm, the hook, both plugins in $sdir, the unit, the configuration, plugstack.conf, the man pages"
	! grep -q '\.la$' "$list" && ! grep -q "^$libdir/hil/slurm" "$list"
	ok $? "rpm hil-slurm: no libtool archives, nothing in $libdir/hil/slurm"
	rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILENAMES}\n]' \
		"$RPM_SLURM" 2>/dev/null | grep -qxF -- "-rw------- slurm slurm $HS_CONF"
	ok $? "rpm: $HS_CONF is 0600 slurm:slurm"
	rpm -qp --configfiles "$RPM_SLURM" 2>/dev/null | grep -qxF "$HS_CONF"
	ok $? "rpm: $HS_CONF is a configuration file"
	rpm -qp --requires "$RPM_SLURM" 2>/dev/null >"$W/rpm-slurm.requires"
	grep -qE "^slurm(\(.*\))? >= $SLURM_SERIES\$" "$W/rpm-slurm.requires" &&
		grep -qE "^slurm(\(.*\))? < $SLURM_NEXT\$" "$W/rpm-slurm.requires" &&
		grep -q '^libslurm\.so' "$W/rpm-slurm.requires"
	ok $? "rpm hil-slurm requires SLURM $SLURM_SERIES and libslurm"
	! rpm -qp --requires "$(ls "$W"/rpm/hil-"$version"-*.rpm | grep -v -e -devel- -e -slurm- -e -debug | head -n1)" 2>/dev/null |
		grep -qi slurm
	ok $? "rpm hil requires nothing of SLURM"
	rpm -qp --scripts "$RPM_SLURM" >"$W/rpm-slurm.scripts" 2>/dev/null
	# post, preun and postun: the presets decide about enabling, a removal
	# stops it, an upgrade restarts it (written out outside an RPM
	# distribution, systemd-update-helper calls in one).
	[ "$(grep -c 'hil-slurm\.service' "$W/rpm-slurm.scripts")" -ge 3 ] &&
		! grep -q '%systemd' "$W/rpm-slurm.scripts"
	ok $? "rpm hil-slurm: the scriptlets tell systemd about hil-slurm.service"
	(cd "$W" && rpm2archive - <"$RPM_SLURM" | tar -xzf - --wildcards './usr/share/doc/hil-slurm*/plugstack.conf') 2>/dev/null &&
		grep -qxF "required $sdir/hil.so" "$W"/usr/share/doc/hil-slurm*/plugstack.conf
	ok $? "rpm: plugstack.conf names $sdir/hil.so"
}

rpm_check
rpm_slurm

echo "1..$count"
[ "$failed" = 0 ]
