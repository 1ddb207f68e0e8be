# shellcheck shell=bash disable=SC2034  # variables for the sourcing script
# ipmi-sim.sh - simulated BMCs (OpenIPMI's ipmi_sim) on loopback for the
# ipmi driver's tests and benchmark; sourced, not run.
#
#   ipmisim_start N [CONSOLES [PLAIN]]
#                                start N BMCs; CONSOLES=1 (default) wires
#                                each one's serial port to a pty pair;
#                                PLAIN=1 makes the first one "plain", with
#                                no chassis script: it answers power status
#                                itself (faster) and refuses power control
#   ipmisim_stop                 stop what ipmisim_start started (by PID)
#
# After ipmisim_start, IPMISIM_DIR is a private directory holding:
#   bmcs                one line per BMC: name address port user password
#                       dir pid (mode 0600; the C programs read it)
#   <name>/chassis      power=0|1 and boot=... lines: the simulated chassis
#   <name>/chassis.log  every get/set ipmi_sim asked the "hardware" for
#   <name>/resets       one line per hard reset
#   <name>/console      the node side of the serial port (write here, the
#                       text comes out of Serial-over-LAN)
#   <name>/fail         touch it and every chassis request fails (0xff)
# BMC i listens on 127.R.S.(10+i) port IPMISIM_PORT (623 as root, the
# standard port, which OpenIPMI's SOL code expects; 10623 otherwise), R.S
# random per run so that concurrent runs do not meet; the last BMC ("alt")
# listens on port 2623 (12623) of its own address instead, to exercise a
# non-standard port.  Also IPMISIM_DEAD, an address where nothing listens.
# Passwords are random.
#
# Packages: openipmi (ipmi_sim), socat, iproute2 (ss).

IPMISIM_DIR=
IPMISIM_PIDS=()
IPMISIM_DEAD=
if [ "$(id -u)" = 0 ]; then IPMISIM_PORT=623; else IPMISIM_PORT=10623; fi

ipmisim_have() {
	command -v ipmi_sim >/dev/null && command -v socat >/dev/null &&
		command -v ss >/dev/null
}

ipmisim_stop() {
	local p tag
	for p in "${IPMISIM_PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
	for p in "${IPMISIM_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	IPMISIM_PIDS=()
	if [ -n "$IPMISIM_DIR" ]; then
		# ipmi_sim takes a uucp lock named after its serial device
		tag=$(basename "$IPMISIM_DIR" | tr -cd 'A-Za-z0-9')
		rm -f /run/lock/LCK..sol-"$tag"-* /var/lock/LCK..sol-"$tag"-* 2>/dev/null
		rm -rf "$IPMISIM_DIR"
	fi
	IPMISIM_DIR=
}

# The simulated hardware: ipmi_sim popen()s it for chassis requests.
ipmisim_chassis_script() {
	cat <<'EOF'
#!/bin/sh
# chassis DIR get power|boot ...  /  chassis DIR set power 1 boot pxe ...
d=$1; shift; op=$1; shift
echo "$op $*" >> "$d/chassis.log"
[ -f "$d/fail" ] && { echo "injected failure"; exit 1; }
case $op in
get)	for p in "$@"; do
		case $p in
		power|boot) echo "$p:$(sed -n "s/^$p=//p" "$d/chassis")" ;;
		*) echo "Invalid parameter: $p"; exit 1 ;;
		esac
	done ;;
set)	while [ $# -ge 2 ]; do
		p=$1; v=$2; shift 2
		case $p in
		power|boot) sed -i "s/^$p=.*/$p=$v/" "$d/chassis" ;;
		reset) echo reset >> "$d/resets" ;;
		esac
		# a boot banner on the serial port at power-on and reset; the
		# console may be absent (no SOL), never block ipmi_sim on it
		if [ -e "$d/console" ] &&
		   { { [ "$p" = power ] && [ "$v" = 1 ]; } || [ "$p" = reset ]; }; then
			printf 'POST ok. Booting from %s ...\r\n' \
				"$(sed -n 's/^boot=//p' "$d/chassis")" > "$d/console"
		fi
	done ;;
*)	exit 1 ;;
esac
exit 0
EOF
}

ipmisim_bound() { # ADDR PORT: is the UDP port taken?
	ss -Hlun "src $1:$2" | grep -q .
}

ipmisim_start() {
	local n=$1 consoles=${2:-1} plain=${3:-0} w tag base i name addr port d pw
	local chassis
	local -a names addrs ports simpids
	ipmisim_have || return 1
	w=$(mktemp -d /tmp/hil-ipmisim.XXXXXX) || return 1
	chmod 700 "$w"
	IPMISIM_DIR=$w
	tag=$(basename "$w" | tr -cd 'A-Za-z0-9')
	for _ in $(seq 20); do
		base=127.$((RANDOM % 150 + 100)).$((RANDOM % 256))
		ipmisim_bound "$base.11" "$IPMISIM_PORT" || break
	done
	IPMISIM_DEAD=$base.9
	ipmisim_chassis_script > "$w/chassis.sh"
	chmod 755 "$w/chassis.sh"
	cat > "$w/bmc.emu" <<'EOF'
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02
sel_enable 0x20 1000 0x0a
mc_enable 0x20
EOF
	: > "$w/bmcs"
	chmod 600 "$w/bmcs"
	for i in $(seq 1 "$n"); do
		name=bmc$i addr=$base.$((10 + i)) port=$IPMISIM_PORT
		[ "$i" = "$n" ] && [ "$n" -gt 1 ] &&
			name=alt port=$((IPMISIM_PORT + 2000))
		[ "$i" = 1 ] && [ "$plain" = 1 ] && name=plain
		d=$w/$name
		chassis="chassis_control \"$w/chassis.sh $d\""
		[ "$name" = plain ] && chassis=
		mkdir -p "$d/state"
		printf 'power=0\nboot=default\n' > "$d/chassis"
		pw=$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
		pw="pw$i-$pw"
		sol=
		if [ "$consoles" = 1 ]; then
			socat pty,raw,echo=0,link="$d/sol-$tag-$i" \
				pty,raw,echo=0,link="$d/console" 2>>"$d/socat.log" &
			IPMISIM_PIDS+=($!)
			sol="sol \"$d/sol-$tag-$i\" 115200"
		fi
		cat > "$d/lan.conf" <<EOF
name "$name"
set_working_mc 0x20
  startlan 1
    addr $addr $port
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user md2 md5 straight
    allowed_auths_operator md2 md5 straight
    allowed_auths_admin md2 md5 straight
    guid a123456789abcdefa123456789ab$(printf %04x "$i")
  endlan
  $chassis
  $sol
  user 2 true  "admin"  "$pw"   admin     10      md2 md5 straight
  user 3 true  "viewer" "$pw"   user      10      md2 md5 straight
EOF
		names+=("$name") addrs+=("$addr") ports+=("$port")
		printf '%s %s %s admin %s %s' "$name" "$addr" "$port" "$pw" "$d" \
			>> "$w/bmcs.tmp"
		echo >> "$w/bmcs.tmp"
	done
	if [ "$consoles" = 1 ]; then # ipmi_sim opens the pty at start
		for name in "${names[@]}"; do
			for _ in $(seq 100); do
				[ -e "$w/$name/console" ] && break
				sleep 0.05
			done
		done
	fi
	for i in "${!names[@]}"; do
		d=$w/${names[$i]}
		# -n: no console on stdio; -s: private persistence directory
		ipmi_sim -n -c "$d/lan.conf" -f "$w/bmc.emu" -s "$d/state" \
			> "$d/sim.log" 2>&1 &
		IPMISIM_PIDS+=($!)
		simpids[i]=$!
	done
	for i in "${!names[@]}"; do
		for _ in $(seq 200); do
			if ! kill -0 "${simpids[$i]}" 2>/dev/null; then
				echo "ipmi_sim for ${names[$i]} died:" >&2
				cat "$w/${names[$i]}/sim.log" >&2
				return 1
			fi
			ipmisim_bound "${addrs[$i]}" "${ports[$i]}" && break
			sleep 0.05
		done
	done
	i=0
	while read -r line; do
		echo "$line ${simpids[$i]}" >> "$w/bmcs"
		i=$((i + 1))
	done < "$w/bmcs.tmp"
	rm -f "$w/bmcs.tmp"
	return 0
}

# Install the built ipmi plugin where hild's loader accepts it: a private
# directory (0755) holding <dir>/ipmi.so (0644).
ipmisim_plugin_dir() {
	local built=$1/driver-plugins/obm/ipmi/.libs/ipmi.so dir=$IPMISIM_DIR/plugins
	mkdir -p "$dir"
	chmod 755 "$IPMISIM_DIR" "$dir"
	install -m 0644 "$built" "$dir/ipmi.so" || return 1
	echo "$dir"
}
