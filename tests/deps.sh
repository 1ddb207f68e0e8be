#!/bin/sh
# Install what HIL needs from Debian 12's archive: "build" for hild itself,
# "test" for every test suite (PostgreSQL server, clang for the fuzzer).
set -eu
what=${1:-build}
build="build-essential autoconf automake libtool pkg-config libltdl-dev
	libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libpq-dev
	libsqlite3-dev libcrypt-dev curl libopenipmi-dev libmunge-dev"
test="$build postgresql clang libclang-rt-14-dev clang-format sqlite3
	procps iproute2 git openipmi ipmitool socat
	openvswitch-switch iputils-ping
	munge python3-keystone uwsgi-core uwsgi-plugin-python3 jq
	dpkg-dev debhelper rpm systemd adduser
	libslurm-dev slurmctld slurmd slurm-client"
case $what in
build) pkgs=$build ;;
test) pkgs=$test ;;
*) echo "usage: $0 build|test" >&2; exit 2 ;;
esac
missing=$(dpkg-query -W -f '${Package} ${Status}\n' $pkgs 2>/dev/null |
	awk '$NF != "installed" {print $1}')
# dpkg-query says nothing about packages it has never heard of.
for p in $pkgs; do
	dpkg-query -W "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$(echo $missing)" ] && exit 0
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
