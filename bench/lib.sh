# Shared by the bench scripts: tools, the spcloud binary, an emulator
# process on a free loopback port, and a project logged in to it.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out
mkdir -p "$OUT"

# need_apt COMMAND PACKAGE: install PACKAGE with apt when COMMAND is missing.
need_apt() {
	command -v "$1" >/dev/null 2>&1 && return 0
	command -v apt-get >/dev/null 2>&1 || return 1
	local sudo=""
	[ "$(id -u)" = 0 ] || sudo="sudo -n"
	echo "installing $2 (apt-get install -y $2)..." >&2
	$sudo apt-get install -y "$2" >/dev/null 2>&1 ||
		{ $sudo apt-get update >/dev/null 2>&1 && $sudo apt-get install -y "$2" >/dev/null 2>&1; } || true
	command -v "$1" >/dev/null 2>&1
}

# spcloud_bin: build bench/out/spcloud (plain `go build`, as a user would)
# unless $SPCLOUD names a binary; prints its path.
spcloud_bin() {
	if [ -n "${SPCLOUD:-}" ]; then
		realpath "$SPCLOUD"
		return
	fi
	(cd "$ROOT" && go build -o "$OUT/spcloud" ./cmd/spcloud) >&2
	echo "$OUT/spcloud"
}

WORK=$(mktemp -d)
EMU_PID=""
bench_cleanup() {
	if [ -n "$EMU_PID" ]; then
		kill "$EMU_PID" 2>/dev/null || true
		wait "$EMU_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap bench_cleanup EXIT

# start_emulator SPCLOUD ARGS...: run `spcloud emulator` on a free loopback
# port; sets URL and EMU_PID.
start_emulator() {
	local bin=$1
	shift
	"$bin" emulator --addr 127.0.0.1:0 --auto-approve "$@" >"$WORK/emu.out" 2>"$WORK/emu.err" &
	EMU_PID=$!
	local i
	for i in $(seq 200); do [ -s "$WORK/emu.out" ] && break; sleep 0.05; done
	URL=$(head -n1 "$WORK/emu.out")
	case "$URL" in
	http://127.0.0.1:*) ;;
	*) echo "the emulator did not start: $(cat "$WORK/emu.err")" >&2; return 1 ;;
	esac
}

# login SPCLOUD DIR: log DIR's project in to $URL through the real browser
# flow, curl playing the browser (the emulator auto-approves); sets TOKEN.
login() {
	local bin=$1 dir=$2
	mkdir -p "$dir/.systemprompt"
	cat >"$WORK/browser" <<'EOS'
#!/bin/sh
exec curl -sSL --noproxy '*' -o /dev/null "$1"
EOS
	chmod +x "$WORK/browser"
	(cd "$dir" && env -u SYSTEMPROMPT_API_TOKEN -u SYSTEMPROMPT_PROFILE -u SYSTEMPROMPT_API_URL \
		SPCLOUD_BROWSER="$WORK/browser" "$bin" auth login --provider github --api-url "$URL" --timeout 20s >/dev/null 2>"$WORK/login.err") ||
		{ echo "login failed: $(cat "$WORK/login.err")" >&2; return 1; }
	TOKEN=$(sed -n 's/.*"api_token": *"\([^"]*\)".*/\1/p' "$dir/.systemprompt/credentials.json")
	[ -n "$TOKEN" ] || { echo "no token in credentials.json" >&2; return 1; }
}

# quiet_machine: wait (up to QUIET_WAIT seconds, default 300) for the
# 1-minute load average to fall below QUIET_LOAD (default 0.7); says so.
quiet_machine() {
	local limit=${QUIET_LOAD:-0.7} waited=0 max=${QUIET_WAIT:-300}
	while awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v m="$limit" 'BEGIN {exit !(l > m)}'; do
		if [ "$waited" -ge "$max" ]; then
			echo "NOTE: load average $(cut -d' ' -f1 /proc/loadavg) is above $limit; measuring anyway" >&2
			return 0
		fi
		sleep 10
		waited=$((waited + 10))
	done
}
